"""Is an input's active ingredient banned, or banned on this food? (the gate at certificate issue)

Uses ``nongan.standards.selectors.substance_status(analyte_name, food)`` when the standards app
provides it; until then it reads the two reference lists shipped in ./data/ (copied from
/work/shared/reference/: banned_pesticides.csv and restricted_scope_pesticides.csv, each row with
its source).
"""

import csv
import functools
from pathlib import Path

DATA = Path(__file__).parent / "data"

# Names in the restricted list's "banned_on" column that mean a group of the product tree.
SCOPE_ALIASES = {
    "果树": {"水果"},
    "十字花科蔬菜": {"芸薹属类蔬菜"},
    "甘蓝": {"结球甘蓝", "甘蓝"},
    "柑橘": {"柑橘类水果", "橘", "橙", "柑橘"},
    "中草药材": {"中草药材", "药用植物"},
}


@functools.cache
def _lists() -> tuple[set[str], dict[str, list[str]]]:
    with open(DATA / "banned_pesticides.csv", encoding="utf-8-sig", newline="") as f:
        banned = {row["name_zh"].strip() for row in csv.DictReader(f)}
    restricted: dict[str, list[str]] = {}
    with open(DATA / "restricted_scope_pesticides.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            restricted[row["name_zh"].strip()] = [s.strip() for s in row["banned_on"].split(";") if s.strip()]
    return banned, restricted


def food_names(category) -> set[str]:
    """The category's name, aliases and every ancestor's name (黄瓜 → {黄瓜, 瓜类蔬菜, 蔬菜})."""
    from nongan.registry.models import ProductCategory

    codes = [c for c in category.path.strip("/").split("/") if c]
    names = set(ProductCategory.objects.filter(code__in=codes).values_list("name", flat=True))
    names.add(category.name)
    names |= {a.strip() for a in (category.aliases or "").split(";") if a.strip()}
    return names


def _local_status(ingredient: str, category) -> str | None:
    banned, restricted = _lists()
    if ingredient in banned:
        return "banned"
    scope = restricted.get(ingredient)
    if not scope:
        return None
    if category.kind != "plant":
        return None
    names = food_names(category)
    for entry in scope:
        if entry.startswith("all crops"):
            return "restricted"
        if names & SCOPE_ALIASES.get(entry, {entry}):
            return "restricted"
    return None


def substance_status(ingredient: str, category) -> str | None:
    """ "banned", "restricted" (banned on this food) or None."""
    ingredient = (ingredient or "").strip()
    if not ingredient:
        return None
    try:
        from nongan.standards import selectors as std  # noqa: PLC0415
    except ImportError:
        std = None
    fn = getattr(std, "substance_status", None) if std else None
    if fn is not None:
        return fn(ingredient, category.name)
    return _local_status(ingredient, category)
