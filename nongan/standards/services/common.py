"""Shared helpers of the standards writes: standard numbers, the food and analyte indexes, the revision touch."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.registry import selectors as registry

from .. import engine
from ..models import Analyte, StandardsRevision
from ..tables import RowError

if TYPE_CHECKING:
    from nongan.registry.models import ProductCategory

# A limit whose ``source`` starts with this came from an official table import (services/official.py).
OFFICIAL_SOURCE = "official table"
FAMILY_RE = re.compile(r"^((?:GB|NY)(?:/T)? \d+)")


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
    cats = list(registry.categories())
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


def refused_as_populated(
    ed, populated, existing: str, refused: set, errors: list, rownum: int, column
) -> bool:
    """Whether a table row is for an edition that already has limits (``populated``), so it is left out: quietly
    with ``existing == "skip"``, else with one error per edition (an edition is never overwritten)."""
    if ed is None or ed.code not in populated:
        return False
    if existing == "skip":
        refused.add(ed.code)
        return True
    if ed.code not in refused:
        refused.add(ed.code)
        errors.append(
            RowError(
                rownum,
                column,
                _(
                    "%(code)s already has limits; an edition is never overwritten. Import a new edition or "
                    "amendment instead."
                )
                % {"code": ed.code},
            )
        )
    return True
