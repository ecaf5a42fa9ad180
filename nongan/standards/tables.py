"""The standards' tables: the accepted headers of each kind, rows keyed by canonical column names (streamed
from ``nongan.core.excel.raw_rows``: CSV in UTF-8 or GBK, or .xlsx), the per-row errors, and the cell parsers."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nongan.core import excel


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class TableRejected(ValidationError):
    """The whole table was checked and has errors; nothing was saved. ``row_errors`` lists them."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__(
            [
                _("row %(row)d, column %(column)s: %(message)s") % e.as_dict() if e.row else e.message
                for e in row_errors
            ]
        )


@dataclass
class Table:
    """Rows of a table: ``rows`` are (file row number, {canonical column: text}); ``headers`` maps each canonical
    column to the header written in the file (for error messages)."""

    rows: list[tuple[int, dict[str, str]]]
    headers: dict[str, str]

    def column(self, key: str) -> str:
        return self.headers.get(key, key)


# Canonical column → headers accepted (compared without case, spaces, brackets and units).
COLUMNS: dict[str, dict[str, list[str]]] = {
    "mrl": {
        "analyte": [
            "pesticide_zh",
            "pesticide",
            "analyte",
            "analyte_zh",
            "name_zh",
            "农药",
            "农药名称",
            "兽药",
            "药物",
            "药物名称",
            "检测项目",
            "物质",
        ],
        "analyte_en": ["pesticide_en", "analyte_en", "name_en", "英文名", "英文名称"],
        "food": [
            "food_zh",
            "food",
            "food or food group",
            "foodorfoodgroup",
            "食品",
            "食品名称",
            "食品类别",
            "食品类别名称",
            "食品类别/名称",
        ],
        "limit": ["mrl_mg_per_kg", "mrl", "limit", "limit_mg_kg", "限量", "最大残留限量", "残留限量"],
        "temporary": ["temporary", "临时", "临时限量"],
        "standard": ["standard", "edition", "标准", "标准版本", "版本"],
        "source": ["source", "来源"],
        "note": ["note", "备注"],
    },
    "official": {
        "food": [
            "食品类别/名称",
            "食品类别",
            "食品名称",
            "食品",
            "food category/name",
            "food",
        ],
        "limit": ["最大残留限量", "残留限量", "限量", "maximum residue limit", "mrl", "limit"],
        "analyte": ["农药", "农药名称", "兽药", "药物", "pesticide", "analyte"],
    },
    "editions": {
        "standard": ["standard", "edition", "code", "标准", "标准编号"],
        "kind": ["kind", "类型"],
        "issued": ["issued", "发布日期"],
        "in_force": ["in_force", "实施日期"],
        "supersedes": ["supersedes", "代替", "代替标准"],
        "amends": ["amends", "修改"],
        "family": ["family", "标准族"],
        "scope": ["scope", "范围"],
        "source": ["source", "来源"],
    },
    "banned": {
        "analyte": ["name_zh", "analyte", "pesticide", "名称", "农药", "农药名称", "物质", "中文名"],
        "analyte_en": ["name_en", "analyte_en", "英文名", "英文名称"],
        "kind": ["kind", "类别"],
        "ban_scope": ["ban_scope", "scope", "禁用范围"],
        "announcement": ["announcement", "公告", "依据"],
        "effective_from": ["effective_from", "生效日期", "禁用日期"],
        "source": ["source", "来源"],
    },
    "restricted": {
        "analyte": ["name_zh", "analyte", "pesticide", "名称", "农药", "农药名称", "中文名"],
        "analyte_en": ["name_en", "analyte_en", "英文名", "英文名称"],
        "banned_on": ["banned_on", "scope", "禁用范围", "禁止使用范围", "禁用作物"],
        "announcement": ["announcement", "公告", "依据"],
        "effective_from": ["effective_from", "生效日期", "禁用日期"],
        "source": ["source", "来源"],
    },
    "analytes": {
        "analyte": ["name_zh", "analyte", "名称", "中文名", "中文名称"],
        "analyte_en": ["name_en", "analyte_en", "英文名", "英文名称"],
        "cas": ["cas", "cas号", "casno", "cas_no"],
        "kind": ["kind", "类别"],
        "aliases": ["aliases", "别名", "其他名称"],
    },
    "vet": {
        "analyte": ["drug_zh", "drug", "analyte", "药物名称", "药物", "兽药", "兽药名称", "name_zh"],
        "analyte_en": ["drug_en", "analyte_en", "name_en", "英文名", "英文名称"],
        "marker": ["marker", "marker_residue", "残留标志物", "标志残留物"],
        "species": ["species", "animal", "动物种类", "动物", "靶动物"],
        "tissue": ["tissue", "target_tissue", "靶组织", "组织"],
        "limit": [
            "limit_ug_kg",
            "mrl_ug_per_kg",
            "limit",
            "mrl",
            "残留限量",
            "残留限量μg/kg",
            "残留限量ug/kg",
            "最大残留限量",
            "最大残留限量μg/kg",
            "限量",
        ],
        "unit": ["unit", "单位"],
        "standard": ["standard", "edition", "标准", "标准版本", "版本"],
        "source": ["source", "来源"],
        "note": ["note", "备注"],
    },
}
REQUIRED = {
    "mrl": ["analyte", "food", "limit"],
    "official": ["food", "limit"],
    "editions": ["standard", "kind", "in_force"],
    "banned": ["analyte"],
    "restricted": ["analyte", "banned_on"],
    "analytes": ["analyte"],
    "vet": ["analyte", "species", "tissue", "limit"],
}


def _norm_header(text: str) -> str:
    text = (text or "").strip().rstrip("*").lower()
    for unit in ("(mg/kg)", "（mg/kg）", "mg/kg"):
        text = text.replace(unit, "")
    return text.replace(" ", "").replace("（", "").replace("）", "").replace("(", "").replace(")", "")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else ""
    return str(value).strip()


def _format_of(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith((".csv", ".txt")):
        return "csv"
    raise ValidationError({"file": _("Upload a .csv or .xlsx file.")})


def _positions(kind: str, header: list) -> tuple[dict[str, int], dict[str, str]]:
    accepted = {_norm_header(h): key for key, names in COLUMNS[kind].items() for h in names}
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    for pos, value in enumerate(header):
        text = _cell(value)
        key = accepted.get(_norm_header(text))
        if key and key not in positions:
            positions[key] = pos
            headers[key] = text
    missing = [k for k in REQUIRED[kind] if k not in positions]
    if missing:
        names = "、".join(COLUMNS[kind][k][0] for k in missing)
        raise ValidationError({"file": _("Required columns are missing: %(columns)s.") % {"columns": names}})
    return positions, headers


def table_rows(kind: str, raw, errors: list[dict]):
    """Stream a table of ``kind`` from ``excel.raw_rows``: the first non-empty row is the header (unknown
    columns ignored, a missing required one raises ``ValidationError``); yields (row number, {column: text})
    for every non-empty row after it, each cell bounded (``excel.bounded_text``; an over-long one is an error)."""
    positions = headers = None
    yielded = False
    for n, values in raw:
        if excel.is_blank(values):
            continue
        if positions is None:
            positions, headers = _positions(kind, values)
            continue
        row = {}
        for key, pos in positions.items():
            text = _cell(values[pos]) if pos < len(values) else ""
            if len(text) > settings.NONGAN_MAX_CELL_CHARS:
                errors.append(excel.too_long(n, headers[key]))
                text = text[: settings.NONGAN_MAX_CELL_CHARS]
            row[key] = text
        yielded = True
        yield n, row
    if positions is None:
        raise ValidationError({"file": _("The file is empty.")})
    if not yielded:
        raise ValidationError({"file": _("The file has a header but no rows.")})


def table_headers(kind: str, raw) -> dict[str, str]:
    """The header texts of a table (canonical column → header as written), for error messages."""
    for _n, values in raw:
        if not excel.is_blank(values):
            return _positions(kind, values)[1]
    return {}


def read_table(kind: str, content: bytes, name: str) -> Table:
    """Read a whole table from bytes (the shipped data, commands, tests); uploads stream through the import
    pipeline (``nongan.standards.imports``). A missing required column raises ValidationError."""
    fmt = _format_of(name)
    errors: list[dict] = []
    rows = list(table_rows(kind, excel.raw_rows(io.BytesIO(content), fmt), errors))
    if errors:
        raise TableRejected([RowError(e["row"], e["column"], e["message"]) for e in errors])
    if not rows:
        raise ValidationError({"file": _("The file has a header but no rows.")})
    return Table(rows=rows, headers=table_headers(kind, excel.raw_rows(io.BytesIO(content), fmt)))


def read_path(kind: str, path: Path) -> Table:
    return read_table(kind, Path(path).read_bytes(), Path(path).name)


def parse_decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_bool(text: str) -> bool | None:
    value = (text or "").strip().lower()
    if value in ("", "no", "n", "false", "0", "否"):
        return False
    if value in ("yes", "y", "true", "1", "是", "*", "临时"):
        return True
    return None


def parse_date_text(text: str) -> dt.date | None:
    value = (text or "").strip().replace("/", "-").replace(".", "-")
    try:
        y, m, d = (int(p) for p in value.split("-"))
        return dt.date(y, m, d)
    except (ValueError, TypeError):
        return None
