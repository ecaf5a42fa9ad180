"""The veterinary drug limits page (GB 31650, read by every signed-in account) with its filters and export, and
an edition's partial mark turned off or on by a district administrator with a reason."""

import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from nongan.core.models import AuditLog, LedgerEntry
from nongan.standards import engine
from nongan.standards.engine import judge
from nongan.standards.models import Edition, StandardsRevision
from nongan.standards.services import vet_limits_import
from nongan.standards.tables import read_table

TABLE = """药物名称,残留标志物,动物种类,靶组织,残留限量(μg/kg),标准
恩诺沙星,恩诺沙星与环丙沙星之和,猪,肌肉,100,GB 31650-2019
恩诺沙星,恩诺沙星与环丙沙星之和,猪,肝,200,GB 31650-2019
土霉素,土霉素,所有食品动物,奶,100,GB 31650-2019
伊维菌素,22，23-二氢阿维菌素B1a,牛,奶（以脂肪计）,40,GB 31650-2019
多西环素,多西环素,猪,肌肉,200,GB 31650.1-2022
"""
HEADER = ["药物", "残留标志物", "动物种类", "靶组织", "限量", "标准", "来源"]
ALL_ROWS = [
    ["多西环素", "多西环素", "猪", "肌肉", "200 μg/kg", "GB 31650.1-2022", "vet.csv:6"],
    ["恩诺沙星", "恩诺沙星与环丙沙星之和", "猪", "肌肉", "100 μg/kg", "GB 31650-2019", "vet.csv:2"],
    ["恩诺沙星", "恩诺沙星与环丙沙星之和", "猪", "肝", "200 μg/kg", "GB 31650-2019", "vet.csv:3"],
    ["土霉素", "土霉素", "所有食品动物", "奶", "100 μg/kg", "GB 31650-2019", "vet.csv:4"],
    ["伊维菌素", "22，23-二氢阿维菌素B1a", "牛", "奶", "40 μg/kg（以脂肪计）", "GB 31650-2019", "vet.csv:5"],
]


@pytest.fixture
def vet_table(standards):
    vet_limits_import(actor=None, table=read_table("vet", TABLE.encode(), "vet.csv"), source_file="vet.csv")


def export_rows(client, params):
    response = client.get(reverse("standards:vet_limits_export"), params)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_vet_limits_page_lists_filters_and_exports_for_a_township_user(client, vet_table, users):
    client.force_login(users.qk)
    page = client.get(reverse("standards:vet_limits"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "5 条兽药残留限量" in html and "table-cards" in html
    for row in ALL_ROWS:
        assert f'data-label="药物">{row[0]}</td>' in html
    assert "40 μg/kg（以脂肪计）" in html
    assert (
        reverse("standards:vet_limits") in client.get(reverse("standards:limits")).content.decode()
    )  # the nav

    header, rows = export_rows(client, {})
    assert header == HEADER
    assert sorted(rows) == sorted(ALL_ROWS)

    filtered = {"q": "恩诺", "species": "pig", "tissue": "liver", "edition": "GB 31650-2019"}
    html = client.get(reverse("standards:vet_limits"), filtered).content.decode()
    assert "1 条兽药残留限量" in html
    assert "200 μg/kg" in html and "多西环素" not in html.split("<tbody>")[1]
    assert export_rows(client, filtered)[1] == [ALL_ROWS[2]]
    # the export link carries the filters
    assert 'href="/standards/vet-limits/export/?q=' in html

    _, rows = export_rows(client, {"edition": "GB 31650.1-2022"})
    assert rows == [ALL_ROWS[0]]
    _, rows = export_rows(client, {"q": "enrofloxacin-none"})
    assert rows == []
    _, rows = export_rows(client, {"tissue": "milk"})
    assert sorted(rows) == sorted([ALL_ROWS[3], ALL_ROWS[4]])


def test_vet_limits_page_needs_a_sign_in(client, vet_table):
    for name in ("standards:vet_limits", "standards:vet_limits_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login" in response["Location"].lower()


PAIR = dict(food="黄瓜", analyte="吡虫啉", value="0.1", unit="mg/kg", on_date=dt.date(2025, 6, 1))
EDITIONS = ["GB 2763-2021", "GB 2763.1-2022"]


def test_administrator_marks_editions_complete_with_a_reason(
    client, standards, users, django_capture_on_commit_callbacks
):
    assert judge(**PAIR).rule == "limit_not_loaded"
    client.force_login(users.admin)
    token = StandardsRevision.objects.get(pk=1).token
    for code in EDITIONS:
        edition = Edition.objects.get(code=code)
        assert edition.partial
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("standards:edition_partial"),
                {"edition": edition.pk, "partial": "0", "reason": "正式文本已全部导入"},
            )
        assert response.status_code == 302
        edition.refresh_from_db()
        assert edition.partial is False
        log = AuditLog.objects.filter(object_id=str(edition.pk), reason="正式文本已全部导入").get()
        assert log.changes == {"partial": [True, False]}
        assert log.actor_id == users.admin.pk
    assert StandardsRevision.objects.get(pk=1).token != token
    j = judge(**PAIR)
    assert (j.verdict, j.rule) == ("not_judgeable", "no_limit")
    page = client.get(reverse("standards:index")).content.decode()
    assert "GB 2763-2021 已标记为完整加载。" in page
    assert 'data-testid="partial-GB 2763-2021"' not in page

    # and back on
    edition = Edition.objects.get(code="GB 2763-2021")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("standards:edition_partial"),
            {"edition": edition.pk, "partial": "1", "reason": "发现缺行"},
        )
    edition.refresh_from_db()
    assert edition.partial is True
    assert judge(**PAIR).rule == "limit_not_loaded"
    # each change is on the ledger, with the edition as it then stood; an edit behind the application is found
    from nongan.core import ledger

    entries = LedgerEntry.objects.filter(kind="standards.edition_partial").order_by("seq")
    assert [(e.ref, json.loads(e.payload)["partial"], json.loads(e.payload)["reason"]) for e in entries] == [
        *[(code, False, "正式文本已全部导入") for code in EDITIONS],
        ("GB 2763-2021", True, "发现缺行"),
    ]
    assert entries.last().actor_repr == str(users.admin)
    assert ledger.verify_records()[1] == []
    Edition.objects.filter(code="GB 2763-2021").update(partial=False)
    [problem] = ledger.verify_records()[1]
    assert problem.message.startswith(f"standards.edition {edition.pk} ")


def test_partial_mark_refused_to_others_and_without_a_reason(client, standards, users):
    from django.core.exceptions import ValidationError

    from nongan.standards.services import edition_mark_partial

    edition = Edition.objects.get(code="GB 2763-2021")
    logs = AuditLog.objects.count()
    url = reverse("standards:edition_partial")
    for user in (users.qk, users.analyst, users.producer):
        client.force_login(user)
        assert client.post(url, {"edition": edition.pk, "partial": "0", "reason": "试试"}).status_code == 403
        with pytest.raises(ValidationError) as exc:
            edition_mark_partial(actor=user, edition=edition, partial=False, reason="试试")
        assert exc.value.messages == ["只有区级管理员可以更改标准版本是否部分加载。"]
    client.force_login(users.admin)
    response = client.post(url, {"edition": edition.pk, "partial": "0", "reason": "  "})
    assert response.status_code == 400
    assert response.context["partial_form"].errors == {"reason": ["该字段是必填项。"]}
    assert 'data-testid="partial-error">该字段是必填项。' in response.content.decode()
    with pytest.raises(ValidationError) as exc:
        edition_mark_partial(actor=users.admin, edition=edition, partial=False, reason=" ")
    assert exc.value.message_dict == {"reason": ["请填写原因。"]}
    edition.refresh_from_db()
    assert edition.partial is True
    assert AuditLog.objects.count() == logs
    assert not LedgerEntry.objects.filter(kind="standards.edition_partial").exists()
    engine.invalidate()
    assert judge(**PAIR).rule == "limit_not_loaded"


def test_an_administrators_mark_survives_the_shipped_load_and_the_ledger_stays_whole(standards, users):
    """Marked complete by an administrator, an edition loaded from the excerpt (GB 2763-2026), from sample rows
    (GB 2763-2021) or with no table at all (GB 31650-2019) stays complete when `nongan load-standards` runs again:
    the loaders do not undo a decision on the ledger (nor change the edition behind it)."""
    from nongan.core import ledger
    from nongan.standards.services import edition_mark_partial, standards_load

    codes = ["GB 2763-2026", "GB 2763-2021", "GB 31650-2019"]
    for code in codes:
        edition = Edition.objects.get(code=code)
        assert edition.partial is True
        edition_mark_partial(
            actor=users.admin, edition=edition, partial=False, reason="经核对，按完整标准使用"
        )
    standards_load()
    assert [Edition.objects.get(code=code).partial for code in codes] == [False, False, False]
    assert ledger.verify_records()[1] == []
    assert LedgerEntry.objects.filter(kind="standards.edition_partial").count() == 3


def test_editions_and_analytes_count_veterinary_limits_too(client, vet_table, users):
    """The editions page and API and the analyte list count GB 31650 rows with the GB 2763 ones."""
    client.force_login(users.qk)
    editions = {
        e["code"]: e["limit_count"] for e in client.get("/api/v1/standards/editions/").json()["results"]
    }
    assert (editions["GB 31650-2019"], editions["GB 31650.1-2022"], editions["GB 2763-2026"]) == (4, 1, 3310)
    page = client.get(reverse("standards:index"))
    rows = {e.code: e.limit_count for e in page.context["editions"]}
    assert rows["GB 31650-2019"] == 4
    analytes = client.get(reverse("standards:analytes"), {"q": "恩诺沙星"}).context["page_obj"]
    assert [(a.name_zh, a.limit_count) for a in analytes if a.name_zh == "恩诺沙星"] == [("恩诺沙星", 2)]
