"""Maximum residue limits: the limit table import."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit

from ..choices import AnalyteKind
from ..models import Edition, MaxResidueLimit
from ..tables import RowError, Table, TableRejected, parse_bool, parse_decimal
from .common import (
    _analyte_index,
    _find_analyte,
    _food_index,
    _get_or_create_analyte,
    _touch,
    normalise_code,
    refused_as_populated,
)

if TYPE_CHECKING:
    from nongan.registry.models import ProductCategory

MAX_LIMIT = 999999
EXCLUDES_RE = re.compile(r"^(.*?)\s*[(（]\s*(.+?)\s*除外\s*[)）]\s*$")
NOT_DETECTABLE = {"不得检出", "nd", "n.d.", "not detectable"}


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
        if refused_as_populated(ed, populated, existing, refused, errors, rownum, col("standard")):
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
