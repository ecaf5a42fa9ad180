"""Analytes: created and edited by hand, and the analytes import."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit, versions
from nongan.core.scoping import can_manage

from .. import engine
from ..choices import AnalyteKind
from ..models import Analyte
from ..tables import RowError, Table, TableRejected
from .common import _analyte_index, _find_analyte, _touch

CAS_RE = re.compile(r"^\d{2,7}-\d{2}-\d$")


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
    *,
    actor,
    analyte: Analyte,
    name_zh: str,
    name_en: str = "",
    cas: str = "",
    kind: str,
    aliases: str = "",
    expected_version=None,
) -> Analyte:
    """Edit an analyte by hand (district administrators). The Chinese name is the key of the limits and lists:
    it may be corrected only while no limit, ban or restriction refers to the analyte. Validates everything
    first; audited; the judgement index is rebuilt after the commit."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only a district administrator may edit analytes."))
    analyte = Analyte.objects.select_for_update().get(pk=analyte.pk)
    versions.expect(analyte, expected_version)  # the version the user started from
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
