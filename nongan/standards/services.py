"""Writes of the standards: editions, limits, banned and restricted lists, scope mappings.

Every import reads the whole table, checks every row, and only then writes, in one transaction. Nothing is
typed over: an edition that exists is never changed; a table for an edition that already has limits is refused
(or, for the shipped data loaded again, skipped); list rows that exist are skipped when identical and refused
when they differ. Each created row gets an audit record; each write bumps the revision token so every process
rebuilds its judgement index.
"""

from __future__ import annotations

import csv
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.core.choices import ImportStatus
from nongan.core.models import ImportJob
from nongan.core.scoping import can_manage
from nongan.registry.models import ProductCategory

from . import engine
from .choices import AnalyteKind, EditionKind, ImportKind
from .engine import Judgement, judge  # noqa: F401  (the judgement interface, also reachable from services)
from .models import (
    Analyte,
    BannedSubstance,
    Edition,
    MaxResidueLimit,
    RestrictedUse,
    ScopeMapping,
    StandardsRevision,
)
from .tables import (
    RowError,
    Table,
    TableRejected,
    parse_bool,
    parse_date_text,
    parse_decimal,
    read_path,
    read_table,
)

DATA_DIR = Path(__file__).parent / "data"
SHIPPED = {
    "scope": DATA_DIR / "scope_mappings.csv",
    ImportKind.EDITIONS: DATA_DIR / "standard_editions.csv",
    ImportKind.MRL: DATA_DIR / "mrl_sample.csv",
    ImportKind.BANNED: DATA_DIR / "banned_pesticides.csv",
    ImportKind.RESTRICTED: DATA_DIR / "restricted_scope_pesticides.csv",
}
MAX_LIMIT = 999999
FAMILY_RE = re.compile(r"^((?:GB|NY)(?:/T)? \d+)")
EDITION_RE = re.compile(r"(?:GB|NY)(?:/T)?\s*[\d.]+-\d{4}")
EXCLUDES_RE = re.compile(r"^(.*?)\s*[(（]\s*(.+?)\s*除外\s*[)）]\s*$")
NOT_DETECTABLE = {"不得检出", "nd", "n.d.", "not detectable"}


# ---------------------------------------------------------------- helpers
def _touch() -> None:
    """Record that the standards changed: a new revision token, and this process's index dropped."""
    StandardsRevision.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    engine.invalidate_on_commit()


def family_of(code: str) -> str:
    """ "GB 2763.1-2022" → "GB 2763"."""
    code = normalise_code(code)
    m = FAMILY_RE.match(code)
    return m.group(1) if m else code.split("-")[0].strip()


def normalise_code(code: str) -> str:
    """ "GB2763-2021" and "GB 2763 - 2021" → "GB 2763-2021"."""
    code = re.sub(r"\s*-\s*", "-", (code or "").strip())
    return re.sub(r"^(GB|NY)(/T)?\s*", lambda m: m.group(1) + (m.group(2) or "") + " ", code)


def _food_index() -> dict[str, ProductCategory]:
    cats = list(ProductCategory.objects.all())
    index: dict[str, ProductCategory] = {}
    for c in cats:
        for alias in engine._split(c.aliases):
            index.setdefault(alias, c)
    for c in cats:
        index[c.name] = c
    return index


def _analyte_index() -> dict[str, Analyte]:
    index: dict[str, Analyte] = {}
    analytes = list(Analyte.objects.all())
    for a in analytes:
        for alias in a.alias_list:
            index.setdefault(alias, a)
        if a.name_en:
            index.setdefault(a.name_en.strip().lower(), a)
    for a in analytes:
        index[a.name_zh] = a
    return index


def _find_analyte(index: dict[str, Analyte], name: str) -> Analyte | None:
    return index.get(name) or index.get(name.lower())


def _scope_resolvable(name: str, foods: dict[str, ProductCategory], mappings: set[str]) -> bool:
    return name in mappings or name in foods


def _get_or_create_analyte(
    actor, index: dict[str, Analyte], name: str, name_en: str, kind: str
) -> tuple[Analyte, bool]:
    found = _find_analyte(index, name)
    if found is not None:
        return found, False
    analyte = Analyte.objects.create(name_zh=name, name_en=name_en, kind=kind)
    audit.record_create(actor, analyte, reason="standards import")
    index[name] = analyte
    if name_en:
        index.setdefault(name_en.lower(), analyte)
    return analyte, True


# ---------------------------------------------------------------- analytes, editions by hand
@transaction.atomic
def analyte_create(
    *,
    actor,
    name_zh: str,
    name_en: str = "",
    cas: str = "",
    kind: str = AnalyteKind.PESTICIDE,
    aliases: str = "",
) -> Analyte:
    name_zh = (name_zh or "").strip()
    if not name_zh:
        raise ValidationError({"name_zh": _("Enter the Chinese name.")})
    if _find_analyte(_analyte_index(), name_zh):
        raise ValidationError(
            {"name_zh": _("“%(name)s” is already in the list of analytes.") % {"name": name_zh}}
        )
    if kind not in AnalyteKind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    analyte = Analyte.objects.create(
        name_zh=name_zh, name_en=name_en.strip(), cas=cas.strip(), kind=kind, aliases=aliases.strip()
    )
    audit.record_create(actor, analyte)
    _touch()
    return analyte


def cas_is_valid(cas: str) -> bool:
    """A CAS registry number: 2–7 digits, 2 digits, and a check digit equal to the sum of the other digits,
    each times its position counted from the right, modulo 10 (e.g. 52-68-6: 8·1+6·2+2·3+5·4 = 46 → 6)."""
    if not CAS_RE.match(cas or ""):
        return False
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    return sum(i * int(d) for i, d in enumerate(reversed(body), start=1)) % 10 == check


@transaction.atomic
def analyte_update(
    *, actor, analyte: Analyte, name_zh: str, name_en: str = "", cas: str = "", kind: str, aliases: str = ""
) -> Analyte:
    """Edit an analyte by hand (district administrators). The Chinese name is the key of the limits and lists:
    it may be corrected only while no limit, ban or restriction refers to the analyte. Validates everything
    first; audited; the judgement index is rebuilt after the commit."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only a district administrator may edit analytes."))
    analyte = Analyte.objects.select_for_update().get(pk=analyte.pk)
    name_zh = (name_zh or "").strip()
    name_en = " ".join((name_en or "").split())
    cas = (cas or "").strip()
    alias_list = list(
        dict.fromkeys(a.strip() for a in (aliases or "").replace("；", ";").split(";") if a.strip())
    )
    errors: dict[str, str] = {}
    others = Analyte.objects.exclude(pk=analyte.pk)
    if not name_zh:
        errors["name_zh"] = _("Enter the Chinese name.")
    elif name_zh != analyte.name_zh:
        if analyte.limits.exists() or analyte.bans.exists() or analyte.restrictions.exists():
            errors["name_zh"] = _(
                "The Chinese name cannot be changed: limits or lists refer to this analyte. "
                "Add the other spelling under other names."
            )
        elif others.filter(name_zh=name_zh).exists() or name_zh in _other_aliases(others):
            errors["name_zh"] = _("“%(name)s” is already in the list of analytes.") % {"name": name_zh}
    if len(name_zh) > 64:
        errors["name_zh"] = _("At most %(n)d characters.") % {"n": 64}
    if len(name_en) > 128:
        errors["name_en"] = _("At most %(n)d characters.") % {"n": 128}
    elif name_en and others.filter(name_en__iexact=name_en).exists():
        errors["name_en"] = _("Another analyte already has this English name.")
    if cas and not cas_is_valid(cas):
        errors["cas"] = (
            _("“%(value)s” is not a CAS number such as 52-68-6.") % {"value": cas}
            if not CAS_RE.match(cas)
            else _("The check digit of CAS number %(value)s is wrong.") % {"value": cas}
        )
    if kind not in AnalyteKind.values:
        errors["kind"] = _("Unknown kind.")
    taken = set(others.values_list("name_zh", flat=True))
    clashes = [a for a in alias_list if a in taken]
    if clashes:
        errors["aliases"] = _("These other names are Chinese names of other analytes: %(names)s.") % {
            "names": "、".join(clashes)
        }
    joined = ";".join(a for a in alias_list if a != name_zh)
    if len(joined) > 255:
        errors["aliases"] = _("At most %(n)d characters.") % {"n": 255}
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(analyte)
    analyte.name_zh, analyte.name_en, analyte.cas, analyte.kind, analyte.aliases = (
        name_zh,
        name_en,
        cas,
        kind,
        joined,
    )
    analyte.save()
    if audit.record_update(actor, analyte, before) is not None:
        _touch()
    return analyte


def _other_aliases(qs) -> set[str]:
    out: set[str] = set()
    for a in qs.exclude(aliases=""):
        out.update(a.alias_list)
    return out


def edition_create(
    *,
    actor,
    code: str,
    kind: str,
    in_force,
    issued=None,
    amends: Edition | None = None,
    supersedes_text: str = "",
    scope: str = "",
    source: str = "",
) -> Edition:
    """Create one edition by hand (the same checks as the editions import)."""
    row = {
        "standard": code or "",
        "kind": kind or "",
        "in_force": in_force.isoformat() if hasattr(in_force, "isoformat") else (in_force or ""),
        "issued": issued.isoformat() if hasattr(issued, "isoformat") else (issued or ""),
        "amends": amends.code if amends else "",
        "supersedes": supersedes_text or "",
        "scope": scope or "",
        "source": source or "",
    }
    table = Table(rows=[(0, row)], headers={})
    try:
        editions_import(actor=actor, table=table)
    except TableRejected as exc:
        fields = {
            "standard": "code",
            "in_force": "in_force",
            "issued": "issued",
            "kind": "kind",
            "amends": "amends",
        }
        raise ValidationError({fields.get(e.column, "code"): e.message for e in exc.row_errors}) from None
    return Edition.objects.get(code=normalise_code(code))


# ---------------------------------------------------------------- editions
def _edition_kind(text: str) -> str | None:
    value = (text or "").strip().lower()
    if value.startswith("amendment") or "修改" in value or value == EditionKind.AMENDMENT:
        return EditionKind.AMENDMENT
    if value.startswith("full") or value in ("标准", "全文", "完整版") or value == EditionKind.FULL:
        return EditionKind.FULL
    return None


@transaction.atomic
def editions_import(*, actor, table: Table) -> dict[str, int]:
    """Create editions; one that exists identically is skipped, one that exists with other data is refused."""
    errors: list[RowError] = []
    existing = {e.code: e for e in Edition.objects.all()}
    planned: dict[str, dict] = {}
    col = table.column
    for rownum, row in table.rows:
        code = normalise_code(row.get("standard", ""))
        if not code:
            errors.append(RowError(rownum, col("standard"), _("Enter the standard, e.g. GB 2763-2021.")))
            continue
        if not EDITION_RE.fullmatch(code):
            errors.append(
                RowError(
                    rownum,
                    col("standard"),
                    _("“%(code)s” is not a standard number such as GB 2763-2021.") % {"code": code},
                )
            )
            continue
        kind = _edition_kind(row.get("kind", ""))
        if kind is None:
            errors.append(
                RowError(
                    rownum,
                    col("kind"),
                    _("Unknown kind “%(kind)s”: write full edition or amendment.")
                    % {"kind": row.get("kind", "")},
                )
            )
        in_force = parse_date_text(row.get("in_force", ""))
        if in_force is None:
            errors.append(
                RowError(
                    rownum,
                    col("in_force"),
                    _("“%(value)s” is not a date; write it as 2026-03-01.")
                    % {"value": row.get("in_force", "")},
                )
            )
        issued = None
        if row.get("issued", "").strip():
            issued = parse_date_text(row["issued"])
            if issued is None:
                errors.append(
                    RowError(
                        rownum,
                        col("issued"),
                        _("“%(value)s” is not a date; write it as 2026-02-12.") % {"value": row["issued"]},
                    )
                )
            elif in_force and issued > in_force:
                errors.append(
                    RowError(rownum, col("issued"), _("The issue date is after the in-force date."))
                )
        family = (row.get("family") or "").strip() or family_of(code)
        amends_code = normalise_code(row.get("amends", ""))
        if not amends_code and kind == EditionKind.AMENDMENT:
            found = EDITION_RE.search(row.get("kind", ""))
            amends_code = normalise_code(found.group(0)) if found else ""
        if kind == EditionKind.AMENDMENT:
            if not amends_code:
                errors.append(
                    RowError(
                        rownum,
                        col("kind"),
                        _(
                            "Say which edition this amendment amends, e.g. "
                            "“amendment (adds to GB 2763-2021)”."
                        ),
                    )
                )
            elif amends_code not in existing and amends_code not in planned:
                errors.append(
                    RowError(
                        rownum,
                        col("kind"),
                        _("The amended edition %(code)s is neither loaded nor above this row.")
                        % {"code": amends_code},
                    )
                )
            else:
                target = planned.get(amends_code) or {
                    "family": existing[amends_code].family,
                    "kind": existing[amends_code].kind,
                }
                if target["family"] != family or target["kind"] != EditionKind.FULL:
                    errors.append(
                        RowError(
                            rownum,
                            col("kind"),
                            _("An amendment must amend a full edition of the same standard."),
                        )
                    )
        else:
            amends_code = ""
        values = {
            "code": code,
            "family": family,
            "kind": kind,
            "kind_text": (row.get("kind") or "").strip()[:255],
            "amends_code": amends_code,
            "supersedes_text": (row.get("supersedes") or "").strip()[:255],
            "issued": issued,
            "in_force": in_force,
            "scope": (row.get("scope") or "").strip()[:255],
            "source": (row.get("source") or "").strip()[:500],
        }
        if code in planned:
            errors.append(
                RowError(rownum, col("standard"), _("%(code)s appears twice in the file.") % {"code": code})
            )
            continue
        if code in existing:
            old = existing[code]
            same = (
                old.kind == kind
                and old.in_force == in_force
                and (issued is None or old.issued == issued)
                and (old.amends.code if old.amends_id else "") == amends_code
            )
            if not same:
                errors.append(
                    RowError(
                        rownum,
                        col("standard"),
                        _(
                            "%(code)s is already loaded with other data; an edition is never changed. Import a new "
                            "edition under its own number."
                        )
                        % {"code": code},
                    )
                )
            planned[code] = {"family": old.family, "kind": old.kind, "skip": True}
            continue
        planned[code] = {**values, "skip": False}
    if errors:
        raise TableRejected(errors)

    created = skipped = 0
    for code, values in planned.items():
        if values.get("skip"):
            skipped += 1
            continue
        amends = existing.get(values["amends_code"]) if values["amends_code"] else None
        edition = Edition.objects.create(
            code=code,
            family=values["family"],
            kind=values["kind"],
            kind_text=values["kind_text"],
            amends=amends,
            supersedes_text=values["supersedes_text"],
            issued=values["issued"],
            in_force=values["in_force"],
            scope=values["scope"],
            source=values["source"],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        existing[code] = edition
        superseded = [
            existing[c]
            for c in (normalise_code(s) for s in re.split(r"[;；,，]", values["supersedes_text"]))
            if c in existing
        ]
        if superseded:
            edition.supersedes.set(superseded)
        audit.record_create(actor, edition, reason="standards import")
        created += 1
    if created:
        _touch()
    return {"created": created, "skipped": skipped}


# ---------------------------------------------------------------- maximum residue limits
def _parse_food(
    text: str, foods: dict[str, ProductCategory]
) -> tuple[ProductCategory | None, list[ProductCategory], str]:
    """ "瓜类蔬菜(节瓜除外)" → (瓜类蔬菜, [节瓜], "") or (None, [], error message)."""
    text = (text or "").strip()
    excluded_names: list[str] = []
    m = EXCLUDES_RE.match(text)
    if m:
        text = m.group(1).strip()
        excluded_names = [n.strip() for n in re.split(r"[、,，;；和]", m.group(2)) if n.strip()]
    if not text:
        return None, [], _("Enter the food or food group.")
    food = foods.get(text)
    if food is None:
        return (
            None,
            [],
            _("“%(name)s” is not a food or food group of the product classification.") % {"name": text},
        )
    excluded = []
    for name in excluded_names:
        member = foods.get(name)
        if member is None or not member.path.startswith(food.path) or member.pk == food.pk:
            return (
                None,
                [],
                _("“%(name)s” is not a member of %(group)s.") % {"name": name, "group": food.name},
            )
        excluded.append(member)
    return food, excluded, ""


@transaction.atomic
def mrl_import(
    *, actor, table: Table, edition: Edition | None = None, existing: str = "refuse"
) -> dict[str, int]:
    """Import a limit table. Each row names its edition in the standard column, or ``edition`` gives it.

    An edition that already has limits is never added to: with ``existing="refuse"`` (the upload page) the
    table is rejected, with ``existing="skip"`` (loading the shipped data again) its rows are left out.
    """
    errors: list[RowError] = []
    col = table.column
    foods = _food_index()
    editions = {e.code: e for e in Edition.objects.all()}
    analytes = _analyte_index()
    populated = set(MaxResidueLimit.objects.values_list("edition__code", flat=True).distinct())
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    refused: set[str] = set()
    for rownum, row in table.rows:
        code = normalise_code(row.get("standard", ""))
        ed = None
        if edition is not None:
            if code and code != edition.code:
                errors.append(
                    RowError(
                        rownum,
                        col("standard"),
                        _("This row belongs to %(code)s, not to %(edition)s.")
                        % {"code": code, "edition": edition.code},
                    )
                )
            ed = edition
        elif not code:
            errors.append(RowError(rownum, col("standard"), _("Enter the standard (edition) of the limit.")))
        elif code not in editions:
            errors.append(
                RowError(
                    rownum,
                    col("standard"),
                    _("The edition %(code)s is not loaded; add it to the editions first.") % {"code": code},
                )
            )
        else:
            ed = editions[code]
        name = (row.get("analyte") or "").strip()
        if not name:
            errors.append(RowError(rownum, col("analyte"), _("Enter the pesticide or drug.")))
        food, excluded, message = _parse_food(row.get("food", ""), foods)
        if message:
            errors.append(RowError(rownum, col("food"), message))
        limit_text = (row.get("limit") or "").strip()
        temporary = False
        if limit_text.endswith("*"):
            temporary, limit_text = True, limit_text[:-1].strip()
        if limit_text.lower() in NOT_DETECTABLE:
            limit = parse_decimal("0")
        else:
            limit = parse_decimal(limit_text)
            if limit is None:
                errors.append(
                    RowError(
                        rownum,
                        col("limit"),
                        _("“%(value)s” is not a number.") % {"value": row.get("limit", "")},
                    )
                )
            elif limit < 0 or limit > MAX_LIMIT:
                errors.append(
                    RowError(
                        rownum,
                        col("limit"),
                        _("A limit lies between 0 and %(max)s mg/kg.") % {"max": MAX_LIMIT},
                    )
                )
                limit = None
            elif limit.as_tuple().exponent < -6:
                errors.append(RowError(rownum, col("limit"), _("A limit has at most 6 decimal places.")))
                limit = None
        flag = parse_bool(row.get("temporary", ""))
        if flag is None:
            errors.append(RowError(rownum, col("temporary"), _("Write yes or no (是/否).")))
        else:
            temporary = temporary or flag
        if ed is not None and ed.code in populated:
            if existing == "skip":
                refused.add(ed.code)
                continue
            if ed.code not in refused:
                refused.add(ed.code)
                errors.append(
                    RowError(
                        rownum,
                        col("standard"),
                        _(
                            "%(code)s already has limits; an edition is never overwritten. Import a new edition or "
                            "amendment instead."
                        )
                        % {"code": ed.code},
                    )
                )
            continue
        if ed is not None and food is not None and name:
            analyte = _find_analyte(analytes, name)
            key = (ed.code, analyte.name_zh if analyte else name, food.pk)
            if key in seen:
                errors.append(
                    RowError(
                        rownum,
                        col("food"),
                        _("The same limit is already on row %(row)d.") % {"row": seen[key]},
                    )
                )
            seen[key] = rownum
        if limit is not None and ed is not None and food is not None and name:
            rows.append(
                {
                    "edition": ed,
                    "name": name,
                    "name_en": (row.get("analyte_en") or "").strip(),
                    "food": food,
                    "food_text": (row.get("food") or "").strip()[:128],
                    "excluded": excluded,
                    "limit": limit,
                    "temporary": temporary,
                    "source": (row.get("source") or "").strip()[:500],
                    "note": (row.get("note") or "").strip()[:500],
                }
            )
    if errors:
        raise TableRejected(errors)

    created = analytes_created = 0
    for r in rows:
        kind = AnalyteKind.VET_DRUG if r["edition"].family.startswith("GB 31650") else AnalyteKind.PESTICIDE
        analyte, new = _get_or_create_analyte(actor, analytes, r["name"], r["name_en"], kind)
        analytes_created += new
        mrl = MaxResidueLimit.objects.create(
            edition=r["edition"],
            analyte=analyte,
            food=r["food"],
            food_text=r["food_text"],
            excludes=";".join(c.name for c in r["excluded"]),
            limit_mg_kg=r["limit"],
            temporary=r["temporary"],
            source=r["source"],
            note=r["note"],
        )
        audit.record_create(actor, mrl, reason="standards import")
        created += 1
    if created or analytes_created:
        _touch()
    return {"created": created, "analytes_created": analytes_created, "skipped_editions": len(refused)}


# ---------------------------------------------------------------- banned and restricted lists
def _list_import(*, actor, table: Table, model, fields: list[str], scope_check: bool) -> dict[str, int]:
    errors: list[RowError] = []
    col = table.column
    analytes = _analyte_index()
    foods = _food_index()
    mappings = set(ScopeMapping.objects.values_list("name", flat=True))
    existing = {(o.analyte.name_zh, o.announcement): o for o in model.objects.select_related("analyte")}
    planned: list[dict] = []
    seen: dict[tuple, int] = {}
    skipped = 0
    for rownum, row in table.rows:
        name = (row.get("analyte") or "").strip()
        if not name:
            errors.append(RowError(rownum, col("analyte"), _("Enter the substance.")))
            continue
        effective = None
        if (row.get("effective_from") or "").strip():
            effective = parse_date_text(row["effective_from"])
            if effective is None:
                errors.append(
                    RowError(
                        rownum,
                        col("effective_from"),
                        _("“%(value)s” is not a date; write it as 2019-01-01.")
                        % {"value": row["effective_from"]},
                    )
                )
        kind = (row.get("kind") or "").strip() or AnalyteKind.PESTICIDE
        if kind not in AnalyteKind.values:
            labels = {str(label): value for value, label in AnalyteKind.choices}
            kind = labels.get(kind, kind)
            if kind not in AnalyteKind.values:
                errors.append(
                    RowError(
                        rownum,
                        col("kind"),
                        _("Unknown kind “%(kind)s”: pesticide, vet_drug or prohibited.")
                        % {"kind": row.get("kind")},
                    )
                )
        values = {f: (row.get(f) or "").strip()[: 255 if f != "source" else 500] for f in fields}
        values["effective_from"] = effective
        if scope_check:
            names = engine._split(values["banned_on"])
            if not names:
                errors.append(
                    RowError(rownum, col("banned_on"), _("Enter the crops or groups it is banned on."))
                )
            for scope in names:
                if not _scope_resolvable(scope, foods, mappings):
                    errors.append(
                        RowError(
                            rownum,
                            col("banned_on"),
                            _(
                                "“%(name)s” is neither a food or group of the product classification nor a scope mapping."
                            )
                            % {"name": scope},
                        )
                    )
        analyte = _find_analyte(analytes, name)
        key = (analyte.name_zh if analyte else name, values.get("announcement", ""))
        if key in seen:
            errors.append(
                RowError(
                    rownum,
                    col("analyte"),
                    _("%(name)s is already on row %(row)d.") % {"name": name, "row": seen[key]},
                )
            )
            continue
        seen[key] = rownum
        old = existing.get(key)
        if old is not None:
            if any(getattr(old, f) != v for f, v in values.items() if f != "source"):
                errors.append(
                    RowError(
                        rownum,
                        col("analyte"),
                        _(
                            "%(name)s (%(announcement)s) is already listed with other data; a listed entry is never "
                            "changed."
                        )
                        % {"name": name, "announcement": values.get("announcement", "")},
                    )
                )
            skipped += 1
            continue
        planned.append(
            {"name": name, "name_en": (row.get("analyte_en") or "").strip(), "kind": kind, "values": values}
        )
    if errors:
        raise TableRejected(errors)
    created = 0
    for p in planned:
        analyte, _new = _get_or_create_analyte(actor, analytes, p["name"], p["name_en"], p["kind"])
        obj = model.objects.create(analyte=analyte, **p["values"])
        audit.record_create(actor, obj, reason="standards import")
        created += 1
    if created:
        _touch()
    return {"created": created, "skipped": skipped}


@transaction.atomic
def banned_import(*, actor, table: Table) -> dict[str, int]:
    """Add substances to the banned list (name, English name, scope of the ban, announcement, effective date)."""
    return _list_import(
        actor=actor,
        table=table,
        model=BannedSubstance,
        fields=["ban_scope", "announcement", "source"],
        scope_check=False,
    )


@transaction.atomic
def restricted_import(*, actor, table: Table) -> dict[str, int]:
    """Add pesticides banned on some crops; every scope name must be a tree node, another name of one, or a
    scope mapping."""
    return _list_import(
        actor=actor,
        table=table,
        model=RestrictedUse,
        fields=["banned_on", "announcement", "source"],
        scope_check=True,
    )


# ---------------------------------------------------------------- analytes
CAS_RE = re.compile(r"^\d{2,7}-\d{2}-\d$")


def _kind_value(text: str) -> str | None:
    text = (text or "").strip()
    if not text:
        return ""
    if text in AnalyteKind.values:
        return text
    labels = {
        "农药": AnalyteKind.PESTICIDE,
        "兽药": AnalyteKind.VET_DRUG,
        "禁用化合物": AnalyteKind.PROHIBITED,
        "禁止使用的化合物": AnalyteKind.PROHIBITED,
    }
    return labels.get(text)


@transaction.atomic
def analytes_import(*, actor, table: Table) -> dict[str, int]:
    """Add analytes, or add to existing ones: an English name or CAS number where it was empty, and other names
    (never removed). A different kind, English name or CAS number than the one stored is refused."""
    errors: list[RowError] = []
    col = table.column
    index = _analyte_index()
    planned: list[tuple[Analyte | None, dict]] = []
    seen: dict[str, int] = {}
    for rownum, row in table.rows:
        name = (row.get("analyte") or "").strip()
        if not name:
            errors.append(RowError(rownum, col("analyte"), _("Enter the Chinese name.")))
            continue
        if name in seen:
            errors.append(
                RowError(
                    rownum,
                    col("analyte"),
                    _("%(name)s is already on row %(row)d.") % {"name": name, "row": seen[name]},
                )
            )
            continue
        seen[name] = rownum
        kind = _kind_value(row.get("kind", ""))
        if kind is None:
            errors.append(
                RowError(
                    rownum,
                    col("kind"),
                    _("Unknown kind “%(kind)s”: pesticide, vet_drug or prohibited.")
                    % {"kind": row.get("kind")},
                )
            )
        cas = (row.get("cas") or "").strip()
        if cas and not CAS_RE.match(cas):
            errors.append(
                RowError(
                    rownum, col("cas"), _("“%(value)s” is not a CAS number such as 52-68-6.") % {"value": cas}
                )
            )
        name_en = (row.get("analyte_en") or "").strip()[:128]
        aliases = engine._split(row.get("aliases"))
        existing = index.get(name)
        if existing is not None and existing.name_zh != name:
            errors.append(
                RowError(
                    rownum,
                    col("analyte"),
                    _("“%(name)s” already names %(other)s.") % {"name": name, "other": existing.name_zh},
                )
            )
            continue
        for alias in aliases:
            other = _find_analyte(index, alias)
            if other is not None and other.name_zh != name:
                errors.append(
                    RowError(
                        rownum,
                        col("aliases"),
                        _("“%(name)s” already names %(other)s.") % {"name": alias, "other": other.name_zh},
                    )
                )
        if existing is not None:
            for field, value in (("kind", kind), ("name_en", name_en), ("cas", cas)):
                if value and getattr(existing, field) and getattr(existing, field).lower() != value.lower():
                    errors.append(
                        RowError(
                            rownum,
                            col("kind" if field == "kind" else "analyte_en" if field == "name_en" else "cas"),
                            _("%(name)s already has %(value)s here; a stored value is never changed.")
                            % {"name": name, "value": getattr(existing, field)},
                        )
                    )
        planned.append(
            (
                existing,
                {
                    "name_zh": name,
                    "name_en": name_en,
                    "cas": cas,
                    "kind": kind or AnalyteKind.PESTICIDE,
                    "aliases": aliases,
                },
            )
        )
    if errors:
        raise TableRejected(errors)
    created = updated = 0
    for existing, values in planned:
        if existing is None:
            analyte = Analyte.objects.create(
                name_zh=values["name_zh"],
                name_en=values["name_en"],
                cas=values["cas"],
                kind=values["kind"],
                aliases=";".join(values["aliases"])[:255],
            )
            audit.record_create(actor, analyte, reason="standards import")
            created += 1
            continue
        before = audit.snapshot(existing)
        merged = list(dict.fromkeys(existing.alias_list + values["aliases"]))
        existing.aliases = ";".join(merged)[:255]
        existing.name_en = existing.name_en or values["name_en"]
        existing.cas = existing.cas or values["cas"]
        if audit.snapshot(existing) != before:
            existing.save()
            audit.record_update(actor, existing, before, reason="standards import")
            updated += 1
    if created or updated:
        _touch()
    return {"created": created, "updated": updated}


# ---------------------------------------------------------------- scope mappings
@transaction.atomic
def scope_mappings_load(*, actor=None, path: Path = SHIPPED["scope"]) -> dict[str, int]:
    """Load the mapping of scope names to tree nodes (name, categories separated by ;, note). A name that exists
    keeps its mapping."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    foods = _food_index()
    errors = []
    for i, row in enumerate(rows, start=2):
        for name in engine._split(row.get("categories")):
            if name not in foods:
                errors.append(
                    RowError(
                        i,
                        "categories",
                        _("“%(name)s” is not a food or food group of the product classification.")
                        % {"name": name},
                    )
                )
    if errors:
        raise TableRejected(errors)
    created = 0
    existing = set(ScopeMapping.objects.values_list("name", flat=True))
    for row in rows:
        name = row["name"].strip()
        if name in existing:
            continue
        mapping = ScopeMapping.objects.create(name=name, note=(row.get("note") or "").strip()[:500])
        mapping.categories.set([foods[n] for n in engine._split(row.get("categories"))])
        audit.record_create(actor, mapping, reason="standards load")
        created += 1
    if created:
        _touch()
    return {"created": created}


# ---------------------------------------------------------------- the shipped data
@transaction.atomic
def standards_load(*, actor=None, data_dir: Path | None = None) -> dict[str, dict[str, int]]:
    """Load the shipped reference data (nongan/standards/data/): scope mappings, editions, limits, banned and
    restricted lists. Idempotent: a second run creates nothing."""
    paths = dict(SHIPPED)
    if data_dir is not None:
        paths = {k: Path(data_dir) / Path(p).name for k, p in SHIPPED.items()}
    if not ProductCategory.objects.exists():
        from nongan.registry.services import categories_load

        categories_load()
    return {
        "scope_mappings": scope_mappings_load(actor=actor, path=paths["scope"]),
        "editions": editions_import(actor=actor, table=read_path("editions", paths[ImportKind.EDITIONS])),
        "limits": mrl_import(actor=actor, table=read_path("mrl", paths[ImportKind.MRL]), existing="skip"),
        "banned": banned_import(actor=actor, table=read_path("banned", paths[ImportKind.BANNED])),
        "restricted": restricted_import(
            actor=actor, table=read_path("restricted", paths[ImportKind.RESTRICTED])
        ),
    }


# ---------------------------------------------------------------- uploads (the import page)
def import_upload(
    *, actor, kind: str, upload, edition: Edition | None = None, background: bool | None = None
) -> ImportJob:
    """Record the upload as an ImportJob, read it, and check and apply it: at once when it is small, as a
    background task (``nongan db_worker``) when it has more rows than ``NONGAN_IMPORT_SYNC_ROWS``. A rejected
    table leaves the job FAILED with its per-row errors (downloadable as .xlsx) and nothing else changed."""
    from .selectors import may_manage

    if not may_manage(actor):
        raise ValidationError(_("Only a district administrator may import standards."))
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    content = upload.read()
    upload.seek(0)
    job = ImportJob.objects.create(
        kind=f"standards.{kind}",
        created_by=actor,
        file=upload,
        original_name=upload.name[:255],
        status=ImportStatus.VALIDATING,
    )
    try:
        table = read_table(kind, content, upload.name)
    except ValidationError as exc:
        return _job_failed(
            job, [{"row": 0, "column": "", "message": m} for m in exc.messages], exc.messages[0]
        )
    job.total_rows = len(table.rows)
    if background is None:
        background = job.total_rows > settings.NONGAN_IMPORT_SYNC_ROWS
    if background:
        from .tasks import import_standards

        job.status = ImportStatus.PENDING
        job.message = _("Waiting for the background worker.")
        job.save(update_fields=["total_rows", "status", "message"])
        code = edition.code if edition else ""
        transaction.on_commit(lambda: import_standards.enqueue(job.pk, code))
        return job
    return import_job_run(job=job, table=table, edition=edition)


def _job_failed(job: ImportJob, errors: list[dict], message: str) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.errors = errors
    job.message = message
    job.finished = timezone.now()
    job.save()
    return job


def import_job_run(
    *, job: ImportJob, table: Table | None = None, edition: Edition | None = None
) -> ImportJob:
    """Check and apply the table of an import job (in the request, or in the background task)."""
    kind = job.kind.split(".", 1)[1]
    actor = job.created_by
    if table is None:
        try:
            with job.file.open("rb") as f:
                table = read_table(kind, f.read(), job.original_name)
        except (ValidationError, OSError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            return _job_failed(job, [{"row": 0, "column": "", "message": m} for m in messages], messages[0])
    job.total_rows = len(table.rows)
    job.status = ImportStatus.APPLYING
    job.save(update_fields=["total_rows", "status"])
    try:
        if kind == ImportKind.MRL:
            result = mrl_import(actor=actor, table=table, edition=edition)
        elif kind == ImportKind.EDITIONS:
            result = editions_import(actor=actor, table=table)
        elif kind == ImportKind.BANNED:
            result = banned_import(actor=actor, table=table)
        elif kind == ImportKind.ANALYTES:
            result = analytes_import(actor=actor, table=table)
        else:
            result = restricted_import(actor=actor, table=table)
    except TableRejected as exc:
        return _job_failed(
            job,
            [e.as_dict() for e in exc.row_errors],
            _("%(n)d errors; nothing was imported.") % {"n": len(exc.row_errors)},
        )
    except ValidationError as exc:
        return _job_failed(
            job, [{"row": 0, "column": "", "message": m} for m in exc.messages], exc.messages[0]
        )
    job.status = ImportStatus.DONE
    job.processed_rows = job.total_rows
    job.created_count = result.get("created", 0)
    job.updated_count = result.get("updated", 0)
    job.message = _("%(n)d rows created.") % {"n": job.created_count}
    job.errors = []
    job.finished = timezone.now()
    job.save()
    return job
