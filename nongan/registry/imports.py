"""Producer spreadsheet import on the one pipeline (``nongan.core.imports``): the template, the whole-file
check, and the atomic bulk apply. ``PRODUCERS`` is registered by ``RegistryConfig.ready``."""

import datetime as dt
import re

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, imports
from nongan.core.excel import Column, Sheet
from nongan.core.models import Region
from nongan.core.scoping import can_edit_registry, regions_for
from nongan.core.text import pinyin_initials
from nongan.core.validators import (
    normalize_uscc,
)

from .choices import ProducerType, Tier
from .models import Producer, ProducerProduct, ProductCategory
from .numbering import PRODUCER, township_part
from .services import _search_text, producer_identifier_errors

PRODUCER_SHEET = Sheet(
    title=gettext_lazy("Producers"),
    columns=[
        Column(
            "name",
            gettext_lazy("Name"),
            True,
            gettext_lazy("Full registered name."),
            "赣榆区青口镇绿源蔬菜专业合作社",
            34,
        ),
        Column(
            "type",
            gettext_lazy("Type"),
            True,
            gettext_lazy(
                "One of: enterprise, cooperative, family farm, scale grower, household, buyer / collector, "
                "slaughterhouse, wholesale market (Chinese names accepted)."
            ),
            "合作社",
            14,
        ),
        Column(
            "credit_code",
            gettext_lazy("Unified social credit code"),
            False,
            gettext_lazy(
                "18 characters (GB 32100); required for enterprises, cooperatives, slaughterhouses and markets."
            ),
            "93320707MA1N2X3Y4K",
            22,
        ),
        Column("legal_rep", gettext_lazy("Legal representative / head"), True, "", "王建国", 14),
        Column(
            "id_number",
            gettext_lazy("ID number of the head"),
            False,
            gettext_lazy("18 characters (GB 11643); required for households."),
            "",
            22,
        ),
        Column(
            "phone",
            gettext_lazy("Mobile phone"),
            True,
            gettext_lazy("11-digit mainland mobile number."),
            "13812345678",
            14,
        ),
        Column(
            "township",
            gettext_lazy("Township"),
            True,
            gettext_lazy("Name of the town, e.g. 青口镇."),
            "青口镇",
            10,
        ),
        Column(
            "village",
            gettext_lazy("Village"),
            False,
            gettext_lazy("Name of the village or community in that town."),
            "",
            12,
        ),
        Column("address", gettext_lazy("Address"), False, "", "", 30),
        Column(
            "is_scale", gettext_lazy("Scale producer"), False, gettext_lazy("是 or 否 (yes / no)."), "是", 10
        ),
        Column(
            "tier", gettext_lazy("Supervision tier"), False, gettext_lazy("A, B or C; B if empty."), "B", 8
        ),
        Column(
            "tier_reason",
            gettext_lazy("Reason for the tier"),
            False,
            gettext_lazy("Required for tier C."),
            "",
            20,
        ),
        Column(
            "products",
            gettext_lazy("Products"),
            False,
            gettext_lazy("Product names separated by ; or 、 e.g. 黄瓜;番茄."),
            "黄瓜;番茄",
            20,
        ),
        Column(
            "established", gettext_lazy("Established"), False, gettext_lazy("Date, e.g. 2018-05-01."), "", 12
        ),
    ],
    instructions=[
        gettext_lazy("A file with any bad row imports nothing; the error report lists every problem.")
    ],
)

YES = {"是", "y", "yes", "true", "1", "规模"}
NO = {"否", "n", "no", "false", "0", ""}


class _Lookups:
    """Everything the row checks need, loaded once per file."""

    def __init__(self, user):
        allowed = regions_for(user).filter(level__in=("township", "village")).select_related("parent")
        self.towns = {r.name: r for r in allowed if r.level == "township"}
        self.villages = {(r.parent.name, r.name): r for r in allowed if r.level == "village" and r.parent}
        self.all_towns = set(Region.objects.filter(level="township").values_list("name", flat=True))
        self.types = {}
        from django.utils import translation

        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                for value, label in ProducerType.choices:
                    self.types[str(label).lower()] = value
        for value, _label in ProducerType.choices:
            self.types[value] = value
        self.types.update(
            {
                "企业": "enterprise",
                "合作社": "cooperative",
                "家庭农场": "family_farm",
                "种养大户": "scale_grower",
                "农户": "household",
                "收购商": "buyer",
                "屠宰场": "slaughterhouse",
                "批发市场": "wholesale_market",
            }
        )
        self.categories = {}
        for c in ProductCategory.objects.all():
            self.categories[c.name] = c.pk
            for a in filter(None, c.aliases.split(";")):
                self.categories.setdefault(a, c.pk)
        self.existing_credit = {}


def _err(errors, row, column, message):
    errors.append(
        {"row": row, "column": str(PRODUCER_SHEET_LABELS.get(column, column)), "message": str(message)}
    )


PRODUCER_SHEET_LABELS = {c.key: c.label for c in PRODUCER_SHEET.columns}
SPLIT_RE = re.compile(r"[;；、,，\s]+")


def validate_producer_rows(rows, user) -> tuple[list[dict], list[dict]]:
    """Check every row; return (clean rows, errors). Nothing is written."""
    lk = _Lookups(user)
    clean: list[dict] = []
    errors: list[dict] = []
    seen_credit: dict[str, int] = {}
    parsed: list[tuple[int, dict]] = []
    for excel_row, raw in rows:
        parsed.append((excel_row, raw))
        if raw.get("credit_code"):
            seen_credit.setdefault(normalize_uscc(raw["credit_code"]), excel_row)
    existing = (
        dict(Producer.objects.filter(credit_code__in=list(seen_credit)).values_list("credit_code", "code"))
        if seen_credit
        else {}
    )
    first_row_of: dict[str, int] = {}
    for excel_row, raw in parsed:
        before = len(errors)
        row: dict = {"excel_row": excel_row}
        name = raw.get("name", "")
        if not name:
            _err(errors, excel_row, "name", _("The name is empty."))
        elif len(name) > 128:
            _err(errors, excel_row, "name", _("The name is longer than 128 characters."))
        row["name"] = name
        ptype = lk.types.get((raw.get("type") or "").lower())
        if not ptype:
            _err(errors, excel_row, "type", _("Unknown type “%(value)s”.") % {"value": raw.get("type", "")})
        row["type"] = ptype
        values, found = producer_identifier_errors(
            ptype=ptype,
            credit_code=raw.get("credit_code", ""),
            id_number=raw.get("id_number", ""),
            phone=raw.get("phone", ""),
            check_duplicate=False,
        )
        credit = values["credit_code"]
        if "credit_code" in found:
            _err(errors, excel_row, "credit_code", found["credit_code"])
        elif credit in existing:
            _err(
                errors,
                excel_row,
                "credit_code",
                _("Already registered as %(code)s.") % {"code": existing[credit]},
            )
        elif credit in first_row_of:
            _err(
                errors,
                excel_row,
                "credit_code",
                _("The same credit code is on row %(row)d.") % {"row": first_row_of[credit]},
            )
        elif credit:
            first_row_of[credit] = excel_row
        row.update(values)
        row["legal_rep"] = raw.get("legal_rep", "")
        if not row["legal_rep"]:
            _err(errors, excel_row, "legal_rep", _("The head's name is empty."))
        for field in ("id_number", "phone"):
            if field in found:
                _err(errors, excel_row, field, found[field])
        town_name, village_name = raw.get("township", ""), raw.get("village", "")
        region = None
        if town_name not in lk.towns:
            if town_name in lk.all_towns:
                _err(
                    errors,
                    excel_row,
                    "township",
                    _("%(name)s is outside your jurisdiction.") % {"name": town_name},
                )
            else:
                _err(errors, excel_row, "township", _("Unknown township “%(name)s”.") % {"name": town_name})
        elif village_name:
            region = lk.villages.get((town_name, village_name))
            if region is None:
                _err(
                    errors,
                    excel_row,
                    "village",
                    _("%(town)s has no village “%(name)s” in your jurisdiction.")
                    % {"town": town_name, "name": village_name},
                )
        else:
            region = lk.towns[town_name]
        row["region"] = region
        row["address"] = raw.get("address", "")[:255]
        scale = (raw.get("is_scale") or "").lower()
        if scale not in YES | NO:
            _err(errors, excel_row, "is_scale", _("Write 是 or 否."))
        row["is_scale"] = scale in YES
        tier = (raw.get("tier") or "B").upper()
        if tier not in Tier.values:
            _err(errors, excel_row, "tier", _("The tier is A, B or C."))
        row["tier"] = tier
        row["tier_reason"] = raw.get("tier_reason", "")[:255]
        if tier == "C" and not row["tier_reason"]:
            _err(errors, excel_row, "tier_reason", _("Give the reason for tier C (key supervision)."))
        products = []
        for pname in filter(None, SPLIT_RE.split(raw.get("products", ""))):
            pk = lk.categories.get(pname)
            if pk is None:
                _err(errors, excel_row, "products", _("Unknown product “%(name)s”.") % {"name": pname})
            else:
                products.append(pk)
        row["products"] = sorted(set(products))
        est = raw.get("established", "")
        row["established"] = None
        if est:
            try:
                row["established"] = dt.date.fromisoformat(est.replace("/", "-")[:10])
            except ValueError:
                _err(errors, excel_row, "established", _("Write the date as 2018-05-01."))
        if len(errors) == before:
            clean.append(row)
    return clean, errors


def apply_producer_rows(rows: list[dict], actor) -> int:
    """Insert validated rows in one transaction, with registry numbers, product lines and audit entries."""
    with transaction.atomic():
        wanted: dict[str, int] = {}
        for r in rows:
            town = township_part(r["region"])
            wanted[town] = wanted.get(town, 0) + 1
        numbers = {town: iter(PRODUCER.take(n, township=town)) for town, n in sorted(wanted.items())}
        objs = []
        for r in rows:
            region = r["region"]
            p = Producer(
                code=next(numbers[township_part(region)]),
                name=r["name"],
                type=r["type"],
                credit_code=r["credit_code"],
                legal_rep=r["legal_rep"],
                id_number=r["id_number"],
                phone=r["phone"],
                region=region,
                address=r["address"],
                is_scale=r["is_scale"],
                tier=r["tier"],
                tier_reason=r["tier_reason"],
                established=r["established"],
            )
            p.name_initials = pinyin_initials(p.name)
            p.search_text = _search_text(p)
            objs.append(p)
        Producer.objects.bulk_create(objs, batch_size=1000)
        created = {
            p.code: p.pk for p in Producer.objects.filter(code__in=[o.code for o in objs]).only("code")
        }
        lines = []
        for o, r in zip(objs, rows, strict=True):
            o.pk = created[o.code]
            lines.extend(ProducerProduct(producer_id=o.pk, category_id=c) for c in r["products"])
        ProducerProduct.objects.bulk_create(lines, batch_size=2000)
        names = dict(ProductCategory.objects.values_list("pk", "name"))
        audit.record_create_many(
            actor,
            objs,
            reason=_("spreadsheet import"),
            extra=[{"products": sorted(names[c] for c in r["products"])} for r in rows],
        )
    return len(objs)


APPLY_CHUNK = 2000


class ProducerImporter(imports.Importer):
    """Producers from the registry's template: every row new (a credit code already registered is an error)."""

    kind = "producers"
    label = gettext_lazy("Import producers")
    upload_url = "registry:producer_import"
    sheet = PRODUCER_SHEET
    # A county's registry in one file is well below this; the check holds every row (cross-row duplicate checks),
    # about 2.5 KB each, so this bounds what the largest file adds to the process (bench/bench_imports.py).
    max_rows = 50_000

    def may_import(self, user) -> bool:
        return can_edit_registry(user)

    def check(self, job, rows) -> imports.Plan:
        clean, errors = validate_producer_rows(rows, job.created_by)
        return imports.Plan(items=clean, errors=errors, new=len(clean))

    def apply(self, job, plan) -> dict:
        # In chunks inside the pipeline's one transaction: the model instances and audit records of one chunk
        # are freed before the next, so memory does not grow with the file.
        rows, n = plan.items, 0
        for start in range(0, len(rows), APPLY_CHUNK):
            n += apply_producer_rows(rows[start : start + APPLY_CHUNK], job.created_by)
        return {"created": n, "message": _("%(n)d producers imported.") % {"n": n}}


PRODUCERS = ProducerImporter()
