"""The GB 2763-2026 excerpt (data/gb2763_2026_excerpt.csv): one row per table row of the standard as an OCR-derived
JSON gives it, with that JSON's conversion defects (data/README.md). This loader handles each defect explicitly and
reports every row it does not load, with the reason, instead of guessing:

- a table filed under the previous clause (表 153 under 4.152) belongs to a clause not named here: skipped;
- footnote rows (``*该限量为临时限量。``) carry no value: skipped; ``*`` after a value marks a temporary limit;
- merged cells (``黄花菜(干)水果``, ``根茎类蔬菜(姜除外)姜``, ``蔬菜大白菜``) and ``栗`` under 谷物 in 4.239: reported;
- exclusions stay with the row (``瓜类蔬菜(节瓜、苦瓜除外)`` → 瓜类蔬菜, excluding 节瓜 and 苦瓜);
- the fat basis sits in the value (``2(以脂肪计)``), in the food (``…,以脂肪中的残留量计``) or in the heading of an
  animal product; ``脂肪含量10%以下`` / ``…及以上`` are fat-content bands of the heading's food;
- 4.560, 4.561, 4.563, 4.564 are 再残留限量 (EMRL) tables;
- membership comes from the product tree, not from ``food_group`` (which is wrong for animal products after plant
  headings), except for the few names that mean a different food under 谷物 (豌豆 there is the dry pulse).

The edition is marked partial: a pair it does not hold is "limit not loaded", never "no limit".
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from nongan.core import audit

from ..choices import AnalyteKind, LimitBasis, LimitType
from ..models import Edition, MaxResidueLimit
from .common import OFFICIAL_SOURCE, _analyte_index, _food_index, _get_or_create_analyte, _touch
from .editions import partial_mark_is_deliberate

if TYPE_CHECKING:
    from nongan.registry.models import ProductCategory

EDITION_CODE = "GB 2763-2026"
EMRL_CLAUSES = {"4.560", "4.561", "4.563", "4.564"}
FAT_SUFFIX = ",以脂肪中的残留量计"
MERGED_CELLS = {"黄花菜(干)水果", "根茎类蔬菜(姜除外)姜", "蔬菜大白菜"}
# (clause, food) rows the source itself marks as doubtful (README: "栗 under 谷物 in 4.239, probably 粟").
DOUBTFUL = {("4.239", "栗")}
# Names that mean another food under a heading (豌豆 under 谷物 is the dry pulse of 杂粮类).
IN_GROUP = {
    ("谷物", "豌豆"): "豌豆(干)",
    ("谷物", "蚕豆"): "蚕豆(干)",
    ("谷物", "扁豆"): "扁豆(干)",
}
# Other spellings of the excerpt → the product tree's name.
SYNONYMS = {"稻谷类": "稻类", "糖类": "糖料", "杧果": "芒果"}
VALUE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(\*?)\s*(?:[(（](以原样计|以脂肪计)[)）])?$")
BAND_BELOW = "脂肪含量10%以下"
BAND_UP = "脂肪含量10%及以上"
ANIMAL_KINDS = {"livestock", "poultry", "eggs", "milk", "aquatic"}


@dataclass
class ExcerptReport:
    created: int = 0
    skipped_existing: int = 0
    analytes_created: int = 0
    footnotes: int = 0
    misfiled: dict[str, list[int]] = field(default_factory=dict)  # "4.152 表 153" → file rows
    merged: list[tuple[int, str, str]] = field(default_factory=list)  # (row, clause, food)
    unmapped: dict[str, list[int]] = field(default_factory=dict)  # food as written → rows
    unknown_exclusions: dict[str, list[int]] = field(default_factory=dict)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)
    bad_values: list[tuple[int, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "skipped": self.skipped_existing,
            "analytes_created": self.analytes_created,
            "footnotes": self.footnotes,
            "misfiled": sum(len(v) for v in self.misfiled.values()),
            "merged": len(self.merged),
            "unmapped": sum(len(v) for v in self.unmapped.values()),
            "duplicates": len(self.duplicates),
            "bad_values": len(self.bad_values),
        }

    def lines(self) -> list[str]:
        """What was not loaded, for the load command's output."""
        out = []
        for key, rows in self.misfiled.items():
            out.append(f"misfiled table {key} (belongs to the next clause): rows {_rows(rows)}")
        for row, clause, food in self.merged:
            out.append(f"merged or doubtful cell, clause {clause} row {row}: {food}")
        for name, rows in self.unmapped.items():
            out.append(f"food not in the product tree: {name} (rows {_rows(rows)})")
        for name, rows in self.unknown_exclusions.items():
            out.append(f"exclusion naming no food of the tree: {name} (rows {_rows(rows)})")
        for row, clause, food in self.duplicates:
            out.append(f"second row for the same food in clause {clause}, row {row}: {food}")
        for row, value in self.bad_values:
            out.append(f"value not a limit, row {row}: {value}")
        return out


def _rows(rows: list[int]) -> str:
    return ", ".join(str(r) for r in rows[:8]) + (" …" if len(rows) > 8 else "")


def split_names(text: str) -> list[str]:
    """ "柠檬、柚和金橘" → [柠檬, 柚, 金橘]; separators inside brackets are kept (露莓(包括波森莓和罗甘莓))."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([（":
            depth += 1
        elif ch in ")]）":
            depth -= 1
        if depth == 0 and ch in "、,，;；和":
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_food(text: str) -> tuple[str, list[str], bool]:
    """ "哺乳动物肉类(海洋哺乳动物除外),以脂肪中的残留量计" → ("哺乳动物肉类", ["海洋哺乳动物"], True)."""
    text = text.strip()
    fat = text.endswith(FAT_SUFFIX)
    if fat:
        text = text[: -len(FAT_SUFFIX)].strip()
    if not (text.endswith(("除外)", "除外）", "除外]"))):
        return text, [], fat
    depth = 0
    for i in range(len(text) - 1, -1, -1):  # the bracket that opens the trailing "…除外)"
        if text[i] in ")]）":
            depth += 1
        elif text[i] in "([（":
            depth -= 1
            if depth == 0:
                return text[:i].strip(), split_names(text[i + 1 : -3]), fat
    return text, [], fat


def parse_value(text: str) -> tuple[Decimal, bool, str] | None:
    """ "1*" → (1, True, ""); "2(以脂肪计)" → (2, False, "fat")."""
    m = VALUE_RE.match(text.strip())
    if not m:
        return None
    try:
        value = Decimal(m.group(1))
    except InvalidOperation:
        return None
    basis = {"以原样计": LimitBasis.AS_IS, "以脂肪计": LimitBasis.FAT}.get(m.group(3) or "", "")
    return value, bool(m.group(2)), basis


def _lookup(foods: dict[str, ProductCategory], name: str) -> ProductCategory | None:
    return foods.get(name) or foods.get(SYNONYMS.get(name, ""))


BAD_VALUE = "bad_value"
UNMAPPED = "unmapped"


@dataclass
class PlacedRow:
    """A table row of the standard placed in the product tree: the food or group, the members it leaves out (as the
    tree names them; ``unknown_excluded`` those that name no member, kept as written), the limit, ``*`` and basis."""

    food: ProductCategory
    name: str
    excluded: list[str]
    unknown_excluded: list[str]
    limit: Decimal
    temporary: bool
    basis: str


def place_row(
    foods: dict[str, ProductCategory], food_text: str, group_text: str, value_text: str
) -> tuple[PlacedRow | None, str]:
    """One row of a limit table as the standard prints it — food category/name (with "(…除外)" and
    ",以脂肪中的残留量计"), the group heading it sits under, and the value ("0.5", "1*", "2(以脂肪计)") — placed in
    the product tree. Returns (row, "") or (None, ``BAD_VALUE`` / ``UNMAPPED`` (the food names no node)).

    The one row parser of the standard's shape: the shipped excerpt's loader and the official table import
    (services/official.py) both place their rows with it."""
    parsed = parse_value(value_text)
    if parsed is None:
        return None, BAD_VALUE
    limit, temporary, basis = parsed
    band = {BAND_BELOW: LimitBasis.FAT_BELOW_10, BAND_UP: LimitBasis.FAT_10_UP}.get(food_text)
    if band:
        name, excluded, _fat = parse_food(group_text)
        basis = band
    else:
        name, excluded, fat = parse_food(food_text)
        name = IN_GROUP.get((group_text, name), name)
        if fat:
            basis = LimitBasis.FAT
    food = _lookup(foods, name)
    if food is None:
        return None, UNMAPPED
    if not band and not basis and group_text.endswith(FAT_SUFFIX) and food.kind in ANIMAL_KINDS:
        basis = LimitBasis.FAT
    names, unknown = [], []
    for ex in excluded:
        ex = IN_GROUP.get((group_text, ex), ex)
        member = _lookup(foods, ex)
        if member is None or not member.path.startswith(food.path) or member.pk == food.pk:
            unknown.append(ex)
            names.append(ex)
        else:
            names.append(member.name)
    return PlacedRow(food, name, names, unknown, limit, temporary, basis), ""


@transaction.atomic
def excerpt_load(*, actor=None, path: Path) -> ExcerptReport:
    """Load the excerpt into GB 2763-2026 (which the editions file creates); idempotent: a file already loaded is
    skipped, and a limit of the edition that exists (e.g. loaded earlier from mrl_sample.csv) is kept."""
    report = ExcerptReport()
    edition = Edition.objects.filter(code=EDITION_CODE).first()
    if edition is None:
        raise ValueError(f"{EDITION_CODE} is not loaded")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if MaxResidueLimit.objects.filter(edition=edition, source__startswith=OFFICIAL_SOURCE).exists():
        report.skipped_existing = len(rows)  # an official table was imported: the excerpt never comes back
        return report
    if not edition.partial and not partial_mark_is_deliberate(edition):
        before = audit.snapshot(edition)
        edition.partial = True
        edition.save(update_fields=["partial"])
        audit.record_update(actor, edition, before, reason="standards load: loaded from an excerpt")
    source_file = Path(path).name
    if MaxResidueLimit.objects.filter(edition=edition, source_file=source_file).exists():
        report.skipped_existing = len(rows)
        return report

    foods = _food_index()
    analytes = _analyte_index()
    existing = set(
        MaxResidueLimit.objects.filter(edition=edition).values_list("analyte_id", "food_id", "basis")
    )
    seen: set[tuple] = set()
    planned: list[MaxResidueLimit] = []
    for rownum, row in enumerate(rows, start=2):
        clause = row["clause"].strip()
        table_no = row["table_no"].strip()
        food_text = row["food"].strip()
        group_text = row["food_group"].strip()
        value_text = row["mrl_as_written"].strip()
        if table_no.split()[-1] != clause.split(".")[-1]:
            report.misfiled.setdefault(f"{clause} {table_no}", []).append(rownum)
            continue
        if not value_text:
            if food_text.lstrip().startswith("*"):
                report.footnotes += 1
            else:
                report.bad_values.append((rownum, f"{food_text}: (empty)"))
            continue
        if food_text in MERGED_CELLS or (clause, food_text) in DOUBTFUL:
            report.merged.append((rownum, clause, f"{food_text} = {value_text}"))
            continue
        placed, problem = place_row(foods, food_text, group_text, value_text)
        if problem == BAD_VALUE:
            report.bad_values.append((rownum, value_text))
            continue
        if problem == UNMAPPED:
            report.unmapped.setdefault(food_text, []).append(rownum)
            continue
        for ex in placed.unknown_excluded:
            report.unknown_exclusions.setdefault(f"{ex} ({food_text})", []).append(rownum)
        food, limit, temporary, basis = placed.food, placed.limit, placed.temporary, placed.basis
        excluded_names = placed.excluded

        analyte, new = _get_or_create_analyte(
            actor, analytes, row["analyte_cn"].strip(), row["analyte_en"].strip(), AnalyteKind.PESTICIDE
        )
        report.analytes_created += new
        key = (analyte.pk, food.pk, basis)
        if key in existing:
            report.skipped_existing += 1
            continue
        if key in seen:
            report.duplicates.append((rownum, clause, food_text))
            continue
        seen.add(key)
        planned.append(
            MaxResidueLimit(
                edition=edition,
                analyte=analyte,
                food=food,
                food_text=food_text[:128],
                excludes=";".join(excluded_names)[:255],
                limit_mg_kg=limit,
                temporary=temporary,
                limit_type=LimitType.EMRL if clause in EMRL_CLAUSES else LimitType.MRL,
                basis=basis,
                clause=clause,
                table_no=table_no,
                residue_definition=row["residue_definition"].strip(),
                source_file=source_file,
                source_row=rownum,
                source=(
                    "GB 2763-2026 excerpt transcribed from the OCR-derived JSON of Carol3306/Pesticidata "
                    "(commit b4d9dc4); not the official text"
                ),
            )
        )
    created = MaxResidueLimit.objects.bulk_create(planned, batch_size=500)
    if created:
        # One entry for the load (every row names its file and row): thousands of per-row entries would say no more.
        audit.record_change(
            actor,
            edition,
            {"limits_loaded": [None, len(created)], "source_file": [None, source_file]},
            reason="standards load: GB 2763-2026 excerpt",
        )
    report.created = len(created)
    if created or report.analytes_created:
        _touch()
    return report
