"""Exports by role: which roles may download each export, and which columns they get (the registry's contact and
identity columns only to those who keep or enforce the registry)."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from conftest import module_world
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


# One world for the module (conftest's ``module_db``), present for every test (autouse, so no test's rows depend
# on which tests ran before it); each test's own rows are rolled back after it.
pytestmark = pytest.mark.django_db


ganyu, make_producer, users = module_world()


@pytest.fixture(scope="module", autouse=True)
def world(users, make_producer, ganyu):
    from nongan.certificates import services as certs
    from nongan.standards.services import standards_load

    standards_load()

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


# ---------------------------------------------------------------- list exports (nongan.core.exports)
EVIL = '=HYPERLINK("http://evil.example/","点击")'


@pytest.fixture
def monitored(users, world, ganyu, make_producer):
    """A failing published sample in 青口镇 and in 柘汪镇 (each with its follow-up), a registered sample of a
    青口镇 producer whose name looks like a formula, a rapid test and a market check in each township."""
    from nongan.certificates import services as certs
    from nongan.monitoring import services as mon

    evil = make_producer(name=EVIL)
    cucumber = ganyu.category("黄瓜")

    def sample(p, seal):
        return mon.sample_register(
            actor=users.sampler,
            producer=p,
            product=cucumber,
            quantity="2.5",
            quantity_unit="kg",
            place="大棚",
            lot="L1",
            sampled_at=timezone.now() - dt.timedelta(hours=2),
            seal_number=seal,
        )

    failed = {}
    for key in ("qk", "zw"):
        s = sample(world[key], f"F-{key}")
        mon.sample_transition(actor=users.analyst, sample=s, action="receive")
        mon.results_enter(
            actor=users.analyst,
            sample=s,
            rows=[{"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}],
            submit=True,
        )
        mon.sample_transition(actor=users.analyst2, sample=s, action="verify")
        mon.sample_transition(actor=users.admin, sample=s, action="publish")
        s.refresh_from_db()
        failed[key] = s
    rapid = {}
    for key, town in (("qk", "青口镇"), ("zw", "柘汪镇")):
        [rapid[key]] = mon.rapid_tests_record(
            actor=users.admin,
            items=[
                {
                    "station": ganyu.town[town].code,
                    "producer": world[key].code,
                    "product": "黄瓜",
                    "method": "enzyme",
                    "inhibition": "80" if key == "qk" else "10",
                    "tested_at": timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                    "lot": f"RL-{key}",
                }
            ],
        )
    checks = {
        key: certs.market_check_record(
            actor=None, region=ganyu.town[town], market=market, product_name="黄瓜", seller_name="张三"
        )
        for key, town, market in (("qk", "青口镇", EVIL), ("zw", "柘汪镇", "柘汪农贸市场"))
    }
    return {"failed": failed, "registered": sample(evil, "R-evil"), "rapid": rapid, "checks": checks}


def _sheet(client, url, params=None):
    r = client.get(url, params or {})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    cells = [c for row in load_workbook(io.BytesIO(r.content)).active.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]  # no live formula anywhere
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    return list(rows[0]), sorted(tuple("" if v is None else v for v in row) for row in rows[1:])


def _date(value):
    value = timezone.localtime(value) if hasattr(value, "hour") else value
    return f"{value.year}年{value.month}月{value.day}日"


def _shown(text):
    """A cell as the sheet holds it: the formula-looking name behind an apostrophe (text, never run)."""
    return "'" + text if text == EVIL else text


def _sample_row(s):
    verdict = {"fail": "不合格", "": ""}[s.verdict]
    return (
        s.code,
        _shown(s.producer.name),
        "黄瓜",
        s.township.name,
        _date(s.sampled_at),
        s.get_state_display(),
        verdict,
    )


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_sample_export_rows_and_filter(client, users, monitored, role):
    client.force_login(getattr(users, role))
    page = client.get("/monitoring/samples/", {"verdict": "fail"}).content.decode()
    assert 'href="/monitoring/samples/export.xlsx?verdict=fail"' in page
    header, rows = _sheet(client, "/monitoring/samples/export.xlsx")
    assert header == ["抽样单编号", "生产主体", "产品", "乡镇", "抽样时间", "状态", "判定结论"]
    mine = [monitored["failed"][role]] + ([monitored["registered"]] if role == "qk" else [])
    assert rows == sorted(_sample_row(s) for s in mine)
    assert ("'" + EVIL in repr(rows)) == (role == "qk")  # shown as text, never run
    _h, rows = _sheet(client, "/monitoring/samples/export.xlsx", {"verdict": "fail"})
    assert rows == [_sample_row(monitored["failed"][role])]


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_follow_up_export_rows_and_filter(client, users, monitored, role):
    from nongan.monitoring import todo
    from nongan.monitoring.models import UnqualifiedFollowUp

    client.force_login(getattr(users, role))
    header, rows = _sheet(client, "/monitoring/follow-ups/export.xlsx")
    assert header == ["样品", "生产主体", "产品", "通报乡镇", "处置期限", "执法立案编号", "状态"]
    f = UnqualifiedFollowUp.objects.get(sample=monitored["failed"][role])
    s = f.sample
    expected = (
        s.code,
        s.producer.name,
        "黄瓜",
        f.township.name,
        _date(todo.follow_up_deadline(f)),
        "",
        f.get_status_display(),
    )
    assert rows == [expected]
    assert _sheet(client, "/monitoring/follow-ups/export.xlsx", {"status": "handled"})[1] == []
    assert _sheet(client, "/monitoring/follow-ups/export.xlsx", {"status": f.status})[1] == [expected]


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_rapid_export_rows_and_filter(client, users, monitored, role):
    client.force_login(getattr(users, role))
    header, rows = _sheet(client, "/monitoring/rapid/export.xlsx")
    assert header == ["#", "检测时间", "检测站点", "产品", "检测方法", "读数", "结果"]
    t = monitored["rapid"][role]
    local = timezone.localtime(t.tested_at)
    outcome = {"qk": "阳性", "zw": "阴性"}[role]
    expected = (
        t.pk,
        f"{_date(local)} {local:%H:%M}",
        t.region.name,
        "黄瓜",
        t.get_method_display(),
        {"qk": "80.00% (≥50%)", "zw": "10.00% (≥50%)"}[role],
        outcome,
    )
    assert rows == [expected]
    filtered = _sheet(client, "/monitoring/rapid/export.xlsx", {"outcome": "positive"})[1]
    assert filtered == ([expected] if role == "qk" else [])


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_market_check_export_rows(client, users, monitored, role):
    client.force_login(getattr(users, role))
    assert (
        'href="/certificates/market-checks/export.xlsx"'
        in client.get("/certificates/market-checks/").content.decode()
    )
    header, rows = _sheet(client, "/certificates/market-checks/export.xlsx")
    assert header == ["查验时间", "市场", "产品", "合格证", "销售者", "结果"]
    m = monitored["checks"][role]
    local = timezone.localtime(m.checked_at)
    market = "'" + EVIL if role == "qk" else "柘汪农贸市场"
    assert rows == [(f"{_date(local)} {local:%H:%M}", market, "黄瓜", "", "张三", m.get_result_display())]


def test_list_exports_refused_to_producers(client, users, monitored):
    client.force_login(users.producer)
    for url in ("/monitoring/rapid/export.xlsx", "/monitoring/follow-ups/export.xlsx"):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_draw_rounds_export_rows_and_filter(client, users, ganyu, role):
    from nongan.draws import services as draws

    year = timezone.localdate().year
    rounds = {
        key: draws.round_create(
            actor=users.admin,
            title=title,
            year=year,
            region=ganyu.town[town],
            inspectors=[users.sampler, users.enforcement],
            count=1,
        )
        for key, town, title in (("qk", "青口镇", EVIL), ("zw", "柘汪镇", "柘汪镇抽查"))
    }
    client.force_login(getattr(users, role))
    page = client.get("/draws/", {"status": "draft", "page": "1"}).content.decode()
    assert 'href="/draws/export.xlsx?status=draft"' in page
    header, rows = _sheet(client, "/draws/export.xlsx")
    assert header == ["轮次编号", "标题", "用途", "辖区", "候选对象", "状态", "创建日期"]
    r = rounds[role]
    expected = (
        r.code,
        _shown(r.title),
        r.get_purpose_display(),
        r.region.name,
        r.candidate_count,
        "草稿",
        _date(r.created),
    )
    assert rows == [expected]
    assert _sheet(client, "/draws/export.xlsx", {"status": "draft"})[1] == [expected]
    assert _sheet(client, "/draws/export.xlsx", {"status": "published"})[1] == []


def test_ledger_export_is_the_administrators(client, users, monitored):
    from nongan.core import ledger
    from nongan.core.models import LedgerEntry
    from nongan.core.scoping import scoped

    client.force_login(users.qk)
    assert client.get("/ledger/export.xlsx").status_code == 403
    client.force_login(users.admin)
    header, rows = _sheet(client, "/ledger/export.xlsx")
    assert header == ["#", "时间", "类别", "关联编号", "操作人", "哈希"]
    entries = scoped(users.admin, LedgerEntry.objects.all())  # what /ledger/ lists to the administrator
    assert len(rows) == len(entries) > 0
    assert rows == sorted(
        (
            e.seq,
            f"{_date(e.time)} {timezone.localtime(e.time):%H:%M:%S}",
            str(ledger.kind_label(e.kind)),
            e.ref,
            str(ledger.actor_label(e.actor_repr)),
            e.hash,
        )
        for e in entries
    )
    assert {s.code for s in monitored["failed"].values()} <= {row[3] for row in rows}


def _sheets(content):
    wb = load_workbook(io.BytesIO(content))
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_progress_export_is_the_jurisdictions_share(client, users, ganyu, monitored, role):
    from nongan.core.services import townships
    from nongan.monitoring import selectors
    from nongan.monitoring import services as mon

    year = timezone.localdate().year
    towns = list(townships(ganyu.district))
    plan = mon.plan_save(
        actor=users.admin,
        year=year,
        region=ganyu.district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=mon.split_evenly(800, towns),
        township_rapid=mon.split_evenly(7200, towns),
    )
    client.force_login(getattr(users, role))
    assert (
        f'href="/monitoring/plans/{year}/export.xlsx"'
        in client.get(f"/monitoring/plans/{year}/").content.decode()
    )
    r = client.get(f"/monitoring/plans/{year}/export.xlsx")
    assert r.status_code == 200
    sheets = _sheets(r.content)
    assert list(sheets) == ["分类别定量抽检", "各村定量抽检", "速测"]
    head = ["已完成", "计划数", "完成进度", "应完成数", "进度"]
    assert sheets["分类别定量抽检"][0] == ["类别", *head, "合格率", "不合格"]
    assert sheets["各村定量抽检"][0] == ["村（社区）", *head, "合格率", "不合格"]
    assert sheets["速测"][0] == ["检测站点", *head, "阳性数"]
    # the township's own figures against its share (54 of 800, 480 of 7200), never the district's
    p = selectors.progress_for(getattr(users, role), plan)
    done = {"qk": 2, "zw": 1}[
        role
    ]  # 青口镇: its failed sample and the registered one; 柘汪镇: its failed one
    rate = "0.00% (0.00–79.35%)"  # one judged sample, failed
    expected = int(round(p.total.expected))
    pace = {True: "进度正常", False: "进度滞后"}  # the pace depends on the day of the year
    assert sheets["分类别定量抽检"][1] == ["种植业产品", done, "无分配", None, "—", "—", rate, 1]
    assert sheets["分类别定量抽检"][-1] == [
        "合计",
        done,
        54,
        f"{p.total.percent_done}%",
        expected,
        pace[p.total.on_pace],
        rate,
        1,
    ]
    town = {"qk": "青口镇", "zw": "柘汪镇"}[role]
    villages = sheets["各村定量抽检"][1:]
    assert [v[0] for v in villages] == [row.label for row in p.parts] and villages[-1][0] == f"{town}本级"
    assert [v[1] for v in villages if v[1]] == [done]
    assert "青口镇" not in repr(sheets) if role == "zw" else "柘汪镇" not in repr(sheets)
    positives = {"qk": 1, "zw": 0}[role]
    rapid_expected = int(round(p.rapid_total.expected))
    assert sheets["速测"][1:] == [
        [f"{town}本级", 1, "无分配", None, "—", "—", positives],
        [
            "合计",
            1,
            480,
            f"{p.rapid_total.percent_done}%",
            rapid_expected,
            pace[p.rapid_total.on_pace],
            positives,
        ],
    ]
    assert client.get(f"/monitoring/plans/{year - 1}/export.xlsx").status_code == 404


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_results_export_rows_and_filter(client, users, monitored, role):
    client.force_login(getattr(users, role))
    page = client.get("/monitoring/samples/", {"verdict": "fail", "page": "1"}).content.decode()
    assert 'href="/monitoring/results/export.xlsx?verdict=fail"' in page
    header, rows = _sheet(client, "/monitoring/results/export.xlsx")
    assert header == [
        *("抽样单编号", "生产主体", "产品", "乡镇", "抽样时间"),
        *("检测项目", "检测值", "单位", "限量（mg/kg）", "判定结论", "标准版本", "检测方法"),
    ]
    s = monitored["failed"][role]
    [r] = s.results.all()
    expected = (s.code, s.producer.name, "黄瓜", s.township.name, _date(s.sampled_at))
    expected += ("毒死蜱", 0.5, "mg/kg", float(r.limit_mg_kg), "不合格", r.edition, r.method)
    assert r.limit_mg_kg < r.value and r.edition  # judged against the shipped standard
    assert rows == [expected]  # the registered 青口镇 sample has no result yet
    assert _sheet(client, "/monitoring/results/export.xlsx", {"verdict": "fail"})[1] == [expected]
    assert _sheet(client, "/monitoring/results/export.xlsx", {"state": "registered"})[1] == []


def test_results_export_neutralises_lab_text(client, users, monitored):
    from nongan.monitoring import services as mon

    s = mon.sample_transition(actor=users.analyst, sample=monitored["registered"], action="receive")
    mon.results_enter(
        actor=users.analyst,
        sample=s,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "method": EVIL}],
    )
    client.force_login(users.qk)
    _h, rows = _sheet(client, "/monitoring/results/export.xlsx", {"state": "received"})
    assert [(row[0], row[1], row[-1]) for row in rows] == [(s.code, "'" + EVIL, "'" + EVIL)]


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_task_export_rows_and_filter(client, users, ganyu, world, monitored, role):
    from nongan.monitoring import services as mon

    due = timezone.localdate() + dt.timedelta(days=3)
    evil = monitored["registered"].producer
    tasks = {
        key: mon.task_create(
            actor=users.sampler, producer=p, product=ganyu.category("黄瓜"), samplers=[users.sampler], due=due
        )
        for key, p in (("qk", evil), ("zw", world["zw"]))
    }
    client.force_login(getattr(users, role))
    page = client.get("/monitoring/tasks/", {"status": "open"}).content.decode()
    assert 'href="/monitoring/tasks/export.xlsx?status=open"' in page
    header, rows = _sheet(client, "/monitoring/tasks/export.xlsx")
    assert header == ["生产主体", "产品", "来源", "层", "抽样人员", "截止日期", "状态"]
    t = tasks[role]
    expected = (_shown(t.producer.name), "黄瓜", t.get_source_display(), "", "sampler", _date(due), "待执行")
    assert rows == [expected]
    assert _sheet(client, "/monitoring/tasks/export.xlsx", {"due": "later"})[1] == [expected]
    assert _sheet(client, "/monitoring/tasks/export.xlsx", {"due": "overdue"})[1] == []


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_batch_export_rows(client, users, world, ganyu, role):
    from nongan.certificates import services as certs

    zw_batch = certs.batch_create(
        actor=None,
        producer=world["zw"],
        product=ganyu.category("黄瓜"),
        started=timezone.localdate(),
        unit="kg",
    )
    qk_batch = world["cert"].batch
    client.force_login(getattr(users, role))
    assert 'href="/certificates/batches/export.xlsx"' in client.get("/certificates/batches/").content.decode()
    header, rows = _sheet(client, "/certificates/batches/export.xlsx")
    assert header == ["批次编号", "生产主体", "产品", "地块 / 大棚 / 圈舍", "种植 / 投苗日期", "状态"]
    b = {"qk": qk_batch, "zw": zw_batch}[role]
    assert rows == [(b.code, str(b.producer), "黄瓜", b.plot, _date(b.started), b.get_status_display())]


@pytest.mark.parametrize("role", ["qk", "zw"])
def test_key_target_proposal_export_rows(client, users, world, ganyu, role):
    from nongan.certificates import services as certs
    from nongan.certificates.models import KeyTargetProposal

    for key, town in (("qk", "青口镇"), ("zw", "柘汪镇")):
        certs.market_check_record(
            actor=None, region=ganyu.town[town], market="农贸市场", product_name="黄瓜", seller=world[key]
        )
    client.force_login(getattr(users, role))
    page = client.get("/certificates/key-target-proposals/").content.decode()
    assert 'href="/certificates/key-target-proposals/export.xlsx"' in page
    header, rows = _sheet(client, "/certificates/key-target-proposals/export.xlsx")
    assert header == ["提出时间", "生产主体", "原因", "状态", "决定人", "不予接受的原因"]
    p = KeyTargetProposal.objects.get(producer=world[role])
    expected = f"{_date(p.created)} {timezone.localtime(p.created):%H:%M}"
    assert rows == [(expected, world[role].name, p.reason, p.get_status_display(), "", "")]


def test_import_export_is_each_users_own_and_the_administrators(client, users):
    from nongan.core.models import ImportJob

    for user, name in ((users.qk, "青口.xlsx"), (users.zw, "柘汪.xlsx")):
        ImportJob.objects.create(
            kind="registry.producers", created_by=user, original_name=name, status="failed"
        )
    url = "/imports/export.xlsx"
    for role, names in (("qk", ["青口.xlsx"]), ("zw", ["柘汪.xlsx"]), ("admin", ["柘汪.xlsx", "青口.xlsx"])):
        client.force_login(getattr(users, role))
        assert (
            'href="/imports/export.xlsx?status=failed"'
            in client.get("/imports/?status=failed").content.decode()
        )
        header, rows = _sheet(client, url)
        assert header == ["状态", "文件名", "上传人", "上传时间"]
        assert [r[1] for r in rows] == names, role
        assert {r[0] for r in rows} == {"失败"}
        assert _sheet(client, url, {"status": "checked"})[1] == []
