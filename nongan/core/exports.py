"""List exports: the one way a list page offers its rows as an .xlsx.

A list view and its export share one function that returns the filtered, scoped queryset (the rows the user sees
on that page, every page of them); the export view hands that queryset and a column spec to ``xlsx_response``.
A column is (label, value): the label a lazy translation (the sheet's header is Chinese for a Chinese user), the
value a function of one row returning what the page shows in that cell — masked where the page masks it, dates
as ``cn_date`` (2026年11月28日). Every cell passes ``excel.safe_cell`` (no formula runs). The page links to the
export with ``{% export_button 'app:name' %}`` (nongan template tags), which carries the current filters.
"""

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from .excel import XLSX_CONTENT_TYPE, export, safe_row

MAX_EXPORT_ROWS = 100_000  # rows one export holds at most


@dataclass(frozen=True)
class Col:
    label: object  # a lazy translation
    value: Callable[[object], object]


def cn_date(value) -> str:
    """2026年11月28日 (a datetime in local time); "" for nothing."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value, seconds: bool = False) -> str:
    """2026年11月28日 14:05 (14:05:09 with ``seconds``) in local time; "" for nothing."""
    if not value:
        return ""
    value = timezone.localtime(value)
    return f"{cn_date(value)} {value:%H:%M:%S}" if seconds else f"{cn_date(value)} {value:%H:%M}"


def rows_of(items: Iterable, columns: list[Col]):
    if isinstance(items, QuerySet):  # streamed (prefetches too, per chunk)
        items = items[:MAX_EXPORT_ROWS].iterator(chunk_size=2000)
    for obj in items:
        yield [c.value(obj) for c in columns]


def xlsx_response(items: Iterable, columns: list[Col], *, title, filename: str) -> HttpResponse:
    """An .xlsx download of ``items`` (the page's own filtered queryset) with ``columns``."""
    data = export([(str(i), c.label) for i, c in enumerate(columns)], rows_of(items, columns), str(title))
    return _download(data, filename)


def xlsx_sheets_response(sheets: list[tuple[object, Iterable, list[Col]]], *, filename: str) -> HttpResponse:
    """An .xlsx of several tables of one page (a report such as plan progress): one sheet per
    (title, items, columns), in that order; every cell formula-safe."""
    wb = Workbook(write_only=True)
    for title, items, columns in sheets:
        ws = wb.create_sheet(str(title)[:31])
        ws.freeze_panes = "A2"
        ws.append(safe_row(str(c.label) for c in columns))
        for row in rows_of(items, columns):
            ws.append(safe_row(row))
    buf = io.BytesIO()
    wb.save(buf)
    return _download(buf.getvalue(), filename)


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response
