"""Spreadsheet import and export, shared by every app.

* ``Column`` / ``Sheet`` describe a sheet once; the same description makes the downloadable template,
  reads an upload (matching headers in Chinese, English or by key) and writes exports.
* ``read_upload`` checks the file (type, size, header row) before any row is looked at.
* ``error_report`` turns [{row, column, message}] into an .xlsx the user can download.
* ``safe_cell`` / ``safe_row`` neutralise formulas: every .xlsx and CSV writer passes its cells through them.
Exports use openpyxl's write-only mode so 100,000 rows stream in constant memory.
"""

import datetime as dt
import decimal
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 200_000
HEADER_FILL = PatternFill("solid", fgColor="D9EAD3")
REQUIRED_FONT = Font(bold=True, color="9C0006")


# A text cell starting with one of these is read as a formula (or a DDE call) by Excel, LibreOffice and
# Google Sheets, in an .xlsx as in a CSV: "=HYPERLINK(…)", "+cmd|…", "-2+3", "@SUM(…)", a tab or a CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """A cell value that no spreadsheet program will run as a formula.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe (OWASP's advice for
    CSV injection; shown as text everywhere). Numbers, dates, booleans and None are returned unchanged, and so
    is text that is a plain number ("-12.5"), so numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    """``safe_cell`` over a row; Decimals become floats (numbers in the sheet, not text)."""
    return [safe_cell(float(v) if isinstance(v, decimal.Decimal) else v) for v in values]


def unneutralise(text: str) -> str:
    """The inverse of ``safe_cell`` for a cell read back from an import (an exported sheet re-imported)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translation
    required: bool = False
    help: object = ""
    example: str = ""
    width: int = 16


@dataclass
class Sheet:
    title: object
    columns: list[Column]
    instructions: list = field(default_factory=list)

    def header_aliases(self) -> dict[str, str]:
        """Every accepted spelling of each header → column key."""
        aliases: dict[str, str] = {}
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                for c in self.columns:
                    aliases[_norm(str(c.label))] = c.key
        for c in self.columns:
            aliases[_norm(c.key)] = c.key
        return aliases

    def template(self) -> bytes:
        """An empty workbook with the header row, an example row and the instructions sheet."""
        wb = Workbook()
        ws = wb.active
        ws.title = str(self.title)[:31]
        for i, c in enumerate(self.columns, start=1):
            cell = ws.cell(row=1, column=i, value=str(c.label) + ("*" if c.required else ""))
            cell.fill = HEADER_FILL
            cell.font = REQUIRED_FONT if c.required else Font(bold=True)
            if c.help:
                cell.comment = Comment(str(c.help), "Nongan")
            ws.column_dimensions[get_column_letter(i)].width = c.width
            ws.cell(row=2, column=i, value=safe_cell(c.example) or None)
        ws.freeze_panes = "A2"
        info = wb.create_sheet(_("Instructions"))
        info.column_dimensions["A"].width = 24
        info.column_dimensions["B"].width = 90
        info.append([_("Column"), _("How to fill it")])
        for c in self.columns:
            info.append(safe_row([str(c.label) + ("*" if c.required else ""), str(c.help)]))
        for line in self.instructions:
            info.append(safe_row(["", str(line)]))
        info.append(["", _("Columns marked * are required. Delete the example row before importing.")])
        for row in info.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        return _save(wb)


def _norm(text: str) -> str:
    return "".join(str(text).split()).rstrip("*").lower()


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def check_upload(upload) -> None:
    """Type and size of an uploaded file, before it is opened."""
    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(".xlsx"):
        raise ValidationError(_("Upload an Excel .xlsx file (the template from this page)."), code="type")
    if upload.size > settings.NONGAN_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": round(upload.size / 1048576, 1),
                "limit": round(settings.NONGAN_MAX_UPLOAD_BYTES / 1048576),
            },
            code="size",
        )


def open_rows(fileobj, sheet: Sheet):
    """Open an .xlsx and map its header row; returns (row count estimate, iterator of (excel_row, {key: text}))."""
    try:
        wb = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a non-xlsx file
        raise ValidationError(_("This file is not a readable .xlsx workbook."), code="unreadable") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        raise ValidationError(_("The workbook is empty."), code="empty") from None
    aliases = sheet.header_aliases()
    keys: list[str | None] = [aliases.get(_norm(h)) if h is not None else None for h in header]
    missing = [str(c.label) for c in sheet.columns if c.required and c.key not in keys]
    if missing:
        raise ValidationError(
            _(
                "The header row lacks these required columns: %(cols)s. Download the template and use its header row."
            )
            % {"cols": "、".join(missing)},
            code="header",
        )
    estimate = max(0, (ws.max_row or 1) - 1)
    if estimate > MAX_ROWS:
        raise ValidationError(_("At most %(n)d rows can be imported at once.") % {"n": MAX_ROWS}, code="rows")

    def iterate():
        for excel_row, values in enumerate(rows, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            yield excel_row, {k: cell_text(v) for k, v in zip(keys, values, strict=False) if k}

    return estimate, iterate()


def error_report(errors: list[dict], sheet: Sheet | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Errors")[:31]
    ws.append([_("Row"), _("Column"), _("Problem")])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
    for e in errors:
        ws.append(safe_row([e.get("row"), e.get("column", ""), e.get("message", "")]))
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 80
    return _save(wb)


def export(columns: list[tuple[str, object]], rows: Iterable[Iterable], title: str) -> bytes:
    """Stream rows into a write-only workbook: columns = [(key, label)], rows = iterables of cell values."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(title)[:31])
    ws.freeze_panes = "A2"
    ws.append(safe_row(str(label) for _key, label in columns))
    for row in rows:
        ws.append(safe_row(row))
    return _save(wb)


def write_csv(out, header: Iterable, rows: Iterable[Iterable]) -> None:
    """CSV with every cell neutralised (``safe_cell``): the one way the platform writes CSV."""
    import csv

    w = csv.writer(out)
    w.writerow(safe_row(header))
    for row in rows:
        w.writerow(safe_row(row))
