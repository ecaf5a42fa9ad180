"""An official limit table (GB 2763 / GB 31650 as the bureau obtains it) imported in the standard's own shape.

The sheet looks like the printed standard, so a clerk can paste it from the PDF (docs/standards.md, "Official
tables"): a header row 食品类别/名称 | 最大残留限量(mg/kg) (an optional 农药 column), then for each compound a heading
row ``4.125 毒死蜱(chlorpyrifos)`` (or the compound in the 农药 column), optional lines ``4.125.3 残留物：毒死蜱。`` /
``表125`` / ``*该限量为临时限量。`` / the repeated header, group heading rows without a value (``蔬菜``,
``哺乳动物肉类(海洋哺乳动物除外),以脂肪中的残留量计``) and limit rows (``瓜类蔬菜(节瓜、苦瓜除外)`` | ``0.5*``). Each
limit row is placed by the same row parser as the shipped excerpt (``excerpt.place_row``).

The file gives each compound's whole table for one edition: for the compounds it holds, limits are created,
changed (old → new) or left unchanged, and the loaded limits of those compounds the file does not hold are removed.
With ``complete`` the file is the whole edition: every loaded limit absent from it is removed and the edition is no
longer partial; otherwise the edition is (or stays) partial. ``official_table_check`` writes nothing and returns the
plan with every row error (the preview); ``official_table_apply`` writes it (inside the import pipeline's
transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from nongan.core import audit

from ..choices import LimitType
from ..models import Analyte, Edition, MaxResidueLimit
from ..tables import COLUMNS, _norm_header
from .common import OFFICIAL_SOURCE, _analyte_index, _find_analyte, _food_index, _touch
from .editions import ledger_partial
from .excerpt import (
    BAD_VALUE,
    EDITION_CODE,
    EMRL_CLAUSES,
    FAT_SUFFIX,
    UNMAPPED,
    PlacedRow,
    _lookup,
    parse_food,
    place_row,
)

OFFICIAL_MAX = Decimal("1000")  # mg/kg: a larger value is a typing error, not a residue limit
CLAUSE_RE = re.compile(r"^(\d+(?:\.\d+)+)\s*(.*)$")
HEADING_RE = re.compile(r"^(.*?)\s*(?:[(（]\s*([A-Za-z][^()（）]*?)\s*[)）])?$")
TABLE_RE = re.compile(r"^表\s*([A-Za-z]?\.?\d+(?:\.\d+)*)$")
# Group headings of the printed tables that are not nodes of the product tree.
PRINTED_HEADINGS = {
    "油料和油脂",
    "动物源性食品",
    "哺乳动物肉类及其制品",
    "饮料类",
    "调味料",
    "药用植物",
    "糖料",
}
MAX_NOTES = 20


@dataclass
class OfficialRow:
    row: int
    analyte: Analyte
    placed: PlacedRow
    food_text: str
    limit_type: str
    clause: str
    table_no: str
    residue_definition: str

    @property
    def key(self) -> tuple:
        return (self.analyte.pk, self.placed.food.pk, self.placed.basis)

    @property
    def excludes(self) -> str:
        return ";".join(self.placed.excluded)[:255]


@dataclass
class OfficialPlan:
    """What the file would do to the edition: the rows to create, the limits to change (with the new row), those
    unchanged, those to remove; the preview's diffs and notes; every row error."""

    edition: Edition | None
    complete: bool
    create: list[OfficialRow] = field(default_factory=list)
    update: list[tuple[int, OfficialRow]] = field(default_factory=list)
    unchanged: list[tuple[int, OfficialRow]] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)
    kept: int = 0
    compounds: int = 0
    errors: list[dict] = field(default_factory=list)
    diffs: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def _limit_text(limit: Decimal, temporary: bool) -> str:
    return _number(limit) + ("*" if temporary else "")


class _State:
    """Where the reader stands in the file: the compound, its clause, table, residue definition, limit type and the
    group heading above the current row."""

    def __init__(self):
        self.analyte: Analyte | None = None
        self.unknown = False  # the current compound's heading was an error: its rows are not checked again
        self.clause = self.table_no = self.residue = self.group = ""
        self.limit_type = LimitType.MRL
        self.column_text = ""  # the compound as the 农药 column last named it


def official_table_check(*, rows: list[tuple[int, dict]], edition_code: str, complete: bool) -> OfficialPlan:
    """Check a whole official table against the edition it is for; write nothing. Every problem is an error of
    its row (``plan.errors``: [{row, column, message}]); the counts and diffs are the preview."""
    edition = Edition.objects.filter(code=edition_code).first() if edition_code else None
    plan = OfficialPlan(edition=edition, complete=complete)
    err = plan.errors
    if edition is None:
        err.append({"row": 0, "column": "", "message": _("Choose the edition the table belongs to.")})
        return plan
    if edition.family.startswith(
        "GB 31650"
    ):  # by species and tissue: the veterinary drug table (services/vet.py)
        err.append(
            {
                "row": 0,
                "column": "",
                "message": _(
                    "%(code)s is a veterinary drug standard: import it as a veterinary drug limit table (GB 31650)."
                )
                % {"code": edition.code},
            }
        )
        return plan
    foods = _food_index()
    analytes = _analyte_index()
    food_col, limit_col, analyte_col = (
        _("Food category/name"),
        _("Maximum residue limit (mg/kg)"),
        _("Pesticide"),
    )
    header_names = {_norm_header(h) for key in ("food", "limit") for h in COLUMNS["official"][key]}
    state = _State()
    seen: dict[tuple, int] = {}
    placed_rows: list[OfficialRow] = []
    strays: dict[tuple[str, str], list[int]] = {}  # (excluded name, group) → rows: no member of the group

    def set_compound(rownum: int, column: str, text: str, clause: str) -> None:
        m = HEADING_RE.match(text.strip())
        name, english = (m.group(1).strip(), (m.group(2) or "").strip()) if m else (text.strip(), "")
        found = _find_analyte(analytes, name) or (_find_analyte(analytes, english) if english else None)
        state.analyte, state.unknown = found, found is None
        state.clause, state.table_no, state.residue, state.group = clause, "", "", ""
        state.column_text = ""
        state.limit_type = (
            LimitType.EMRL if edition.code == EDITION_CODE and clause in EMRL_CLAUSES else LimitType.MRL
        )
        if found is None:
            err.append(
                {
                    "row": rownum,
                    "column": column,
                    "message": _(
                        "“%(name)s” is not a registered pesticide or drug: import it in the analytes table first "
                        "(Chinese name, English name, CAS number), or add this spelling to its other names."
                    )
                    % {"name": name or text},
                }
            )

    for rownum, row in rows:
        food = (row.get("food") or "").strip()
        value = (row.get("limit") or "").strip()
        compound = (row.get("analyte") or "").strip()
        if compound and compound != state.column_text:  # the 农药 column names a (new) compound
            set_compound(rownum, analyte_col, compound, "")
            state.column_text = compound
        if food and _norm_header(food) in header_names:
            continue  # the header repeated above each compound's table
        if not value:
            if not food:
                continue
            clause = CLAUSE_RE.match(food)
            if clause and clause.group(1).count(".") == 1 and clause.group(2):
                set_compound(rownum, food_col, clause.group(2), clause.group(1))
                continue
            if clause:  # 4.125.3 残留物：毒死蜱。 / 4.560.4 再残留限量：… / other lines of the clause
                text = clause.group(2)
                if text.startswith("残留物"):
                    state.residue = re.sub(r"^残留物\s*[:：]\s*", "", text).strip()
                if "再残留限量" in text:
                    state.limit_type = LimitType.EMRL
                continue
            table = TABLE_RE.match(food)
            if table:
                state.table_no = f"表 {table.group(1)}"
                continue
            if food.startswith(("*", "＊")):
                continue  # the footnote: "*该限量为临时限量。"
            heading = parse_food(food)[0]
            if (
                food.endswith(FAT_SUFFIX)
                or heading in PRINTED_HEADINGS
                or _lookup(foods, heading) is not None
            ):
                state.group = food
                continue
            err.append(
                {
                    "row": rownum,
                    "column": limit_col,
                    "message": _(
                        "“%(name)s” has no limit and is not a compound or food group heading: enter its limit or "
                        "delete the row."
                    )
                    % {"name": food},
                }
            )
            continue
        if state.analyte is None:
            if not state.unknown:
                err.append(
                    {
                        "row": rownum,
                        "column": food_col,
                        "message": _(
                            "No compound heading (such as “4.125 毒死蜱(chlorpyrifos)”) and no pesticide column "
                            "above this row."
                        ),
                    }
                )
            continue
        if not food:
            err.append({"row": rownum, "column": food_col, "message": _("Enter the food or food group.")})
            continue
        placed, problem = place_row(foods, food, state.group, value)
        if problem == BAD_VALUE:
            err.append(
                {
                    "row": rownum,
                    "column": limit_col,
                    "message": _(
                        "“%(value)s” is not a limit: write it as in the standard, e.g. 0.5, 0.5* (temporary) or "
                        "2(以脂肪计)."
                    )
                    % {"value": value},
                }
            )
            continue
        if problem == UNMAPPED:
            name = parse_food(food)[0]
            err.append(
                {
                    "row": rownum,
                    "column": food_col,
                    "message": _("“%(name)s” is not a food or food group of the product classification.")
                    % {"name": name},
                }
            )
            continue
        bad = False
        for (
            name
        ) in placed.unknown_excluded:  # as printed (海洋哺乳动物): kept as written, shown in the preview
            strays.setdefault((name, placed.food.name), []).append(rownum)
        if placed.limit <= 0:
            err.append({"row": rownum, "column": limit_col, "message": _("A limit is greater than 0 mg/kg.")})
            bad = True
        elif placed.limit > OFFICIAL_MAX:
            err.append(
                {
                    "row": rownum,
                    "column": limit_col,
                    "message": _(
                        "%(value)s mg/kg is above %(max)s mg/kg, which no residue limit is: check it."
                    )
                    % {"value": _number(placed.limit), "max": _number(OFFICIAL_MAX)},
                }
            )
            bad = True
        elif placed.limit.as_tuple().exponent < -6:
            err.append(
                {"row": rownum, "column": limit_col, "message": _("A limit has at most 6 decimal places.")}
            )
            bad = True
        key = (state.analyte.pk, placed.food.pk, placed.basis)
        if key in seen:
            err.append(
                {
                    "row": rownum,
                    "column": food_col,
                    "message": _("The same limit is already on row %(row)d.") % {"row": seen[key]},
                }
            )
            bad = True
        seen.setdefault(key, rownum)
        if not bad:
            placed_rows.append(
                OfficialRow(
                    rownum,
                    state.analyte,
                    placed,
                    food[:128],
                    state.limit_type,
                    state.clause,
                    state.table_no,
                    state.residue,
                )
            )
    if not placed_rows and not err:
        err.append({"row": 0, "column": "", "message": _("The file holds no limit rows.")})
    if err:
        return plan
    _diff(plan, placed_rows)
    for (name, group), rownums in strays.items():
        plan.notes.append(
            _(
                "“%(name)s” (excluded from %(group)s, rows %(rows)s) is no member of %(group)s in the product tree: "
                "kept as written."
            )
            % {"name": name, "group": group, "rows": "、".join(str(r) for r in rownums[:5])}
        )
    plan.notes = plan.notes[:MAX_NOTES]
    return plan


def _diff(plan: OfficialPlan, rows: list[OfficialRow]) -> None:
    edition = plan.edition
    loaded = {
        (m.analyte_id, m.food_id, m.basis): m
        for m in MaxResidueLimit.objects.filter(edition=edition).select_related("analyte", "food")
    }
    in_file = {r.key for r in rows}
    compounds = {r.analyte.pk for r in rows}
    plan.compounds = len(compounds)
    label_limit, label_excl, label_type = _("Limit (mg/kg)"), _("Excluded foods"), _("Type of limit")
    changed_diffs, removed_diffs, new_diffs = [], [], []
    for r in rows:
        record = f"{r.analyte.name_zh} · {r.food_text}"
        old = loaded.get(r.key)
        if old is None:
            plan.create.append(r)
            new_diffs.append(
                {
                    "row": r.row,
                    "record": record,
                    "fields": [[label_limit, "", _limit_text(r.placed.limit, r.placed.temporary)]],
                }
            )
            continue
        fields = []
        if old.limit_mg_kg != r.placed.limit or old.temporary != r.placed.temporary:
            fields.append(
                [
                    label_limit,
                    _limit_text(old.limit_mg_kg, old.temporary),
                    _limit_text(r.placed.limit, r.placed.temporary),
                ]
            )
        if old.excludes != r.excludes:
            fields.append([label_excl, old.excludes, r.excludes])
        if old.limit_type != r.limit_type:
            fields.append([label_type, old.get_limit_type_display(), str(LimitType(r.limit_type).label)])
        if fields:
            plan.update.append((old.pk, r))
            changed_diffs.append({"row": r.row, "record": record, "fields": fields})
        else:
            plan.unchanged.append((old.pk, r))
    removed_label = _("removed (not in the file)")
    for key, m in loaded.items():
        if key in in_file:
            continue
        if plan.complete or m.analyte_id in compounds:
            plan.remove.append(m.pk)
            removed_diffs.append(
                {
                    "row": "",
                    "record": f"{m.analyte.name_zh} · {m.food_text or m.food.name}",
                    "fields": [[label_limit, _limit_text(m.limit_mg_kg, m.temporary), removed_label]],
                }
            )
        else:
            plan.kept += 1
    plan.diffs = changed_diffs + removed_diffs + new_diffs
    code = edition.code
    notes = [
        _("%(code)s: %(compounds)d compounds, %(rows)d limit rows in the file.")
        % {"code": code, "compounds": plan.compounds, "rows": len(rows)},
        _("New pairs: %(new)d; changed values: %(changed)d; unchanged: %(unchanged)d.")
        % {"new": len(plan.create), "changed": len(plan.update), "unchanged": len(plan.unchanged)},
    ]
    if plan.remove:
        notes.append(
            _("%(n)d limits of %(code)s already loaded are not in the file and will be removed.")
            % {"n": len(plan.remove), "code": code}
        )
    if plan.kept:
        notes.append(
            _("%(n)d limits of %(code)s for compounds not in this file are kept as they are.")
            % {"n": plan.kept, "code": code}
        )
    if plan.complete:
        if edition.partial:
            notes.append(
                _(
                    "The file is the complete table: %(code)s will no longer be marked as loaded in part, so a pair "
                    "it does not hold will be judged “no limit”."
                )
                % {"code": code}
            )
        else:
            notes.append(_("The file is the complete table of %(code)s.") % {"code": code})
    elif edition.partial:
        notes.append(
            _("%(code)s stays marked as loaded in part: a pair it does not hold is “limit not loaded”.")
            % {"code": code}
        )
    else:
        notes.append(
            _(
                "The file is not the complete table: %(code)s will be marked as loaded in part, so a pair it does "
                "not hold is “limit not loaded”."
            )
            % {"code": code}
        )
    plan.notes = notes


def official_table_apply(*, actor, plan: OfficialPlan, source_file: str, job_id: int | None = None) -> dict:
    """Write a checked plan (the caller holds the transaction): create, change, remove, provenance of the unchanged
    rows still citing another source, the edition's partial mark; audit entries; the standards revision bumped."""
    edition = plan.edition
    source = f"{OFFICIAL_SOURCE}: {source_file}" + (f" (import job {job_id})" if job_id else "")
    source = source[:500]
    reason = f"official table import: {source_file}"[:255]

    def provenance(r: OfficialRow) -> dict:
        return {
            "source": source,
            "source_file": source_file[:128],
            "source_row": r.row,
            "clause": r.clause,
            "table_no": r.table_no,
            "residue_definition": r.residue_definition,
            "food_text": r.food_text,
        }

    created = MaxResidueLimit.objects.bulk_create(
        [
            MaxResidueLimit(
                edition=edition,
                analyte=r.analyte,
                food=r.placed.food,
                excludes=r.excludes,
                limit_mg_kg=r.placed.limit,
                temporary=r.placed.temporary,
                limit_type=r.limit_type,
                basis=r.placed.basis,
                **provenance(r),
            )
            for r in plan.create
        ],
        batch_size=500,
    )
    audit.record_create_many(actor, created, reason=reason)
    by_pk = MaxResidueLimit.objects.in_bulk([pk for pk, _r in plan.update + plan.unchanged] + plan.remove)
    for pk, r in plan.update:
        m = by_pk[pk]
        before = audit.snapshot(m)
        m.limit_mg_kg, m.temporary, m.excludes, m.limit_type = (
            r.placed.limit,
            r.placed.temporary,
            r.excludes,
            r.limit_type,
        )
        for name, value in provenance(r).items():
            setattr(m, name, value)
        m.save()
        audit.record_update(actor, m, before, reason=reason)
    refreshed = []
    for pk, r in plan.unchanged:
        m = by_pk[pk]
        if not m.source.startswith(
            OFFICIAL_SOURCE
        ):  # the excerpt's or the sample's row, now cited officially
            for name, value in provenance(r).items():
                setattr(m, name, value)
            refreshed.append(m)
    if refreshed:
        MaxResidueLimit.objects.bulk_update(refreshed, list(provenance(plan.unchanged[0][1])), batch_size=500)
    for pk in plan.remove:
        m = by_pk[pk]
        audit.record_delete(actor, m, reason=reason)
        m.delete()
    partial = not plan.complete
    changes = {
        "official_import": [
            None,
            {
                "file": source_file,
                "created": len(created),
                "updated": len(plan.update),
                "unchanged": len(plan.unchanged),
                "provenance_updated": len(refreshed),
                "removed": len(plan.remove),
                "complete": plan.complete,
            },
        ]
    }
    if edition.partial != partial:
        changes["partial"] = [edition.partial, partial]
        edition.partial = partial
        edition.save(update_fields=["partial"])
        ledger_partial(edition, actor=actor, reason=reason)
    audit.record_change(actor, edition, changes, reason=reason)
    if created or plan.update or plan.remove or refreshed or "partial" in changes:
        _touch()
    return {
        "created": len(created),
        "updated": len(plan.update),
        "removed": len(plan.remove),
        "unchanged": len(plan.unchanged),
        "provenance_updated": len(refreshed),
        "partial": edition.partial,
    }
