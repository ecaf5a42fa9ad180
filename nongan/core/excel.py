"""Spreadsheet import and export, shared by every app.

* ``Column`` / ``Sheet`` describe a sheet once; the same description makes the downloadable template,
  reads an upload (matching headers in Chinese, English or by key) and writes exports.
* ``check_upload`` checks an upload's size and type from its content (an .xlsx's unpacked parts too) before
  anything is stored; ``raw_rows`` streams its rows and ``sheet_rows`` maps them to a sheet's columns, with
  every cell's length bounded (the import pipeline, ``nongan.core.imports``, uses them).
* ``error_report`` turns [{row, column, message}] into an .xlsx the user can download.
* ``safe_cell`` / ``safe_row`` neutralise formulas: every .xlsx and CSV writer passes its cells through them.
Exports use openpyxl's write-only mode so 100,000 rows stream in constant memory.
"""

import csv
import datetime as dt
import decimal
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
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
MAX_ROWS = 200_000  # rows one import may hold (an importer may set fewer)
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
                    aliases[normalise_heading(str(c.label))] = c.key
        for c in self.columns:
            aliases[normalise_heading(c.key)] = c.key
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


def normalise_heading(text: str) -> str:
    """A column heading as matched against the known headings: no spaces, no trailing "*" (required), lower case."""
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


# ------------------------------------------------------------------------------------------ reading uploads
MAX_COLUMNS = 200  # cells after this many in a row are ignored
_BINARY = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",
    b"MZ",
    b"\x7fELF",
    b"Rar!",
    b"\x1f\x8b",
)
_MARKUP = (b"<html", b"<!doctype", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe")


def _mb(n: int) -> float:
    return round(n / 1048576, 1)


def check_upload(upload, formats: tuple[str, ...] = ("xlsx",)) -> str:
    """Size and type of an uploaded file, from its content, before anything is stored or parsed; returns its
    format ("xlsx" or "csv"). An .xlsx is a zip: every part's uncompressed size, and their sum, are bounded (a
    small zip that unpacks to gigabytes is refused). A CSV is text in UTF-8 or GBK without markup (an HTML or
    SVG page renamed .csv is refused)."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > settings.NONGAN_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": _mb(size), "limit": round(settings.NONGAN_MAX_UPLOAD_BYTES / 1048576)},
            code="size",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    name = (getattr(upload, "name", "") or "").lower()
    if "csv" in formats and head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        raise ValidationError(_("This CSV file is neither UTF-8 nor GBK text."), code="encoding")
    if head.startswith(b"PK\x03\x04") and "xlsx" in formats:
        _check_zip(upload)
        return "xlsx"
    if name.endswith(".xlsx"):  # named a workbook, but not one
        raise ValidationError(_("This file is not a readable .xlsx workbook."), code="unreadable")
    if "csv" in formats and _is_plain_text(head):
        return "csv"
    if "csv" in formats:
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="type")
    raise ValidationError(_("Upload an Excel .xlsx file (the template from this page)."), code="type")


def _is_plain_text(head: bytes) -> bool:
    if not head.strip() or b"\x00" in head or head.startswith(_BINARY):
        return False
    lowered = head.lstrip().lower()
    if lowered.startswith(b"<") or any(tag in lowered for tag in _MARKUP):
        return False
    sample = head[:-4] if len(head) == 8192 else head  # a multi-byte character may be cut at the end
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _check_zip(upload) -> None:
    try:
        with zipfile.ZipFile(upload) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(_("This file is not a readable .xlsx workbook."), code="unreadable") from None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names or len(infos) > 10_000:
        raise ValidationError(_("This file is not a readable .xlsx workbook."), code="unreadable")
    part_limit = settings.NONGAN_MAX_XLSX_PART_BYTES
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > part_limit or total > settings.NONGAN_MAX_XLSX_TOTAL_BYTES:
            raise ValidationError(
                _("This workbook unpacks to more than %(limit)s MB; split it into smaller files.")
                % {"limit": round(min(part_limit, settings.NONGAN_MAX_XLSX_TOTAL_BYTES) / 1048576)},
                code="unpacked_size",
            )


def raw_rows(fileobj, fmt: str) -> Iterator[tuple[int, list]]:
    """Stream the rows of an upload's first sheet: (row number, [cell values]) — cells as openpyxl gives them
    (.xlsx, read-only, the declared <dimension> ignored) or as text (CSV in UTF-8 or GBK). Never the whole
    sheet in memory; rows are counted as they come, whatever the file says about its size."""
    if fmt == "csv":
        content = fileobj.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("This CSV file is neither UTF-8 nor GBK text."), code="encoding")
        del content
        reader = csv.reader(io.StringIO(text))
        n = 0
        try:
            for n, values in enumerate(reader, start=1):  # noqa: B007 - n is read after an error
                yield n, values[:MAX_COLUMNS]
        except csv.Error:
            raise ValidationError(
                _(
                    "Row %(row)d of the CSV file cannot be read (a field is too long or a quote is not closed)."
                )
                % {"row": n + 1},
                code="csv",
            ) from None
        return
    try:
        wb = load_workbook(fileobj, read_only=True, data_only=True)
        ws = wb.worksheets[0]
    except Exception:  # openpyxl raises many types for a broken file
        raise ValidationError(_("This file is not a readable .xlsx workbook."), code="unreadable") from None
    try:
        ws.reset_dimensions()  # never trust <dimension>: a file may lack it or lie
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(values[:MAX_COLUMNS])
    except ValidationError:
        raise
    except Exception:
        raise ValidationError(_("This file is not a readable .xlsx workbook."), code="unreadable") from None
    finally:
        wb.close()


def is_blank(values) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def count_rows(fileobj, fmt: str, limit: int | None = None) -> int:
    """Data rows (non-blank rows after the header) counted by streaming; stops once ``limit`` is passed."""
    n = -1
    for _row, values in raw_rows(fileobj, fmt):
        if not is_blank(values):
            n += 1
            if limit is not None and n > limit:
                break
    return max(0, n)


def bounded_text(value) -> tuple[str, bool]:
    """A cell as text, cut at ``NONGAN_MAX_CELL_CHARS``; the flag says it was longer."""
    text = cell_text(value)
    limit = settings.NONGAN_MAX_CELL_CHARS
    return (text[:limit], True) if len(text) > limit else (text, False)


def too_long(row: int, column) -> dict:
    return {
        "row": row,
        "column": str(column),
        "message": _("The cell has more than %(n)d characters.") % {"n": settings.NONGAN_MAX_CELL_CHARS},
    }


def sheet_rows(raw: Iterator[tuple[int, list]], sheet: Sheet, errors: list[dict]):
    """Map the first row to the sheet's columns and yield (row number, {key: text}) for each non-blank row;
    an over-long cell adds an error to ``errors``. A missing required column raises ``ValidationError``."""
    try:
        _n, header = next(raw)
    except StopIteration:
        raise ValidationError(_("The workbook is empty."), code="empty") from None
    aliases = sheet.header_aliases()
    keys: list[str | None] = [aliases.get(normalise_heading(h)) if h is not None else None for h in header]
    missing = [str(c.label) for c in sheet.columns if c.required and c.key not in keys]
    if missing:
        raise ValidationError(
            _(
                "The header row lacks these required columns: %(cols)s. Download the template and use its header row."
            )
            % {"cols": "、".join(missing)},
            code="header",
        )
    labels = {c.key: c.label for c in sheet.columns}
    for n, values in raw:
        if is_blank(values):
            continue
        out = {}
        for k, v in zip(keys, values, strict=False):
            if k:
                out[k], cut = bounded_text(v)
                if cut:
                    errors.append(too_long(n, labels.get(k, k)))
        yield n, out


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
    w = csv.writer(out)
    w.writerow(safe_row(header))
    for row in rows:
        w.writerow(safe_row(row))
