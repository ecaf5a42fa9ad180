"""Exports by role: which roles may download each export, and which columns they get (the registry's contact and
identity columns only to those who keep or enforce the registry)."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from nongan.registry.views import EXPORT_BASIC, EXPORT_COLUMNS

FULL = [str(label) for _k, label in EXPORT_COLUMNS]
BASIC = [str(label) for k, label in EXPORT_COLUMNS if k in EXPORT_BASIC]
ROLES = [
    "admin",
    "qk",
    "zw",
    "village",
    "producer",
    "sampler",
    "analyst",
    "analyst2",
    "enforcement",
    "market",
]

# role → (status, header, producers) of /registry/producers/export.xlsx
PRODUCER_EXPORT = {
    "admin": (200, FULL, {"qk", "qk_hh", "zw"}),
    "qk": (200, FULL, {"qk", "qk_hh"}),
    "zw": (200, FULL, {"zw"}),
    "village": (200, FULL, {"qk", "qk_hh"}),
    "producer": (200, FULL, {"qk"}),
    "enforcement": (200, FULL, {"qk", "qk_hh", "zw"}),
    "sampler": (200, BASIC, {"qk", "qk_hh", "zw"}),
    "market": (200, BASIC, {"qk", "qk_hh", "zw"}),
    "analyst": (403, None, None),
    "analyst2": (403, None, None),
}
# role → status of the certificate trace (.csv and .xlsx) of a 青口镇 certificate
TRACE_EXPORT = {r: 200 for r in ROLES} | {"zw": 404}
# role → status of a district draw round's JSON (the bureau's, unmasked; the public one is
# /draws/public/<code>.json): staff of the district; township and village staff do not see district rounds
DRAW_EXPORT = {r: 200 for r in ROLES} | {"producer": 403, "qk": 404, "zw": 404, "village": 404}


@pytest.fixture
def world(users, make_producer, ganyu, shipped_standards):
    from nongan.certificates import services as certs

    hh = make_producer(
        name="王小二", type="household", is_scale=False, legal_rep="王小二", phone="13912340000", id_number=""
    )
    zw = make_producer(name="柘汪镇海产合作社", town="柘汪镇", phone="13800000003")
    batch = certs.batch_create(
        actor=None,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=30),
        unit="kg",
    )
    [cert] = certs.certificate_issue(actor=None, batch=batch, quantity="10", unit="kg", count=1)
    return {"qk": users.own_producer, "qk_hh": hh, "zw": zw, "cert": cert}


@pytest.mark.parametrize("role", ROLES)
def test_producer_export_by_role(client, users, world, role):
    client.force_login(getattr(users, role))
    status, header, visible = PRODUCER_EXPORT[role]
    r = client.get("/registry/producers/export.xlsx")
    assert r.status_code == status
    page = client.get("/registry/").content.decode()
    assert ('data-testid="export"' in page) == (status == 200)
    if status != 200:
        return
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == header
    assert {row[1] for row in rows[1:]} == {world[k].name for k in visible}
    text = repr(rows)
    phones = {world[k].phone for k in visible}
    assert all((p in text) == (header == FULL) for p in phones)


@pytest.mark.parametrize("role", ROLES)
def test_trace_export_by_role(client, users, world, role):
    client.force_login(getattr(users, role))
    number = world["cert"].number
    for fmt in ("csv", "xlsx"):
        r = client.get(f"/certificates/trace.{fmt}", {"number": number})
        assert r.status_code == TRACE_EXPORT[role], fmt
    if TRACE_EXPORT[role] == 200:
        text = client.get("/certificates/trace.csv", {"number": number}).content.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        assert "联系电话" not in header and not any(p in text for p in ("13800000003", "13912340000"))


@pytest.mark.parametrize("role", ROLES)
def test_draw_export_by_role(client, users, world, role, ganyu):
    from nongan.draws import services as draws

    rnd = draws.round_create(
        actor=users.admin,
        title="抽查",
        year=timezone.localdate().year,
        region=ganyu.district,
        inspectors=[users.sampler, users.enforcement],
        count=1,
    )
    client.force_login(getattr(users, role))
    assert client.get(f"/draws/{rnd.pk}/export.json").status_code == DRAW_EXPORT[role]
