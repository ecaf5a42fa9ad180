"""Coverage before sampling: a plan's focus pairs classified against the shipped standards, the publishing
gate (a reason required while pairs are uncovered), the page, its export and the API, scoped like the plan."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from nongan.core import ledger
from nongan.core.models import AuditLog, LedgerEntry
from nongan.core.workflow import events_for
from nongan.monitoring import selectors, services
from nongan.monitoring.models import MonitoringPlan


def _plan(users, ganyu, year, products, analytes):
    return services.plan_save(
        actor=users.admin,
        year=year,
        region=ganyu.district,
        focus_products=[ganyu.category(p) for p in products],
        focus_analytes=analytes,
    )


def test_pairs_classified_on_shipped_data(shipped_standards, users, ganyu, client):
    # 2027: only GB 2763-2026 (an excerpt, loaded in part) is in force all year.
    plan = _plan(users, ganyu, 2027, ["黄瓜", "鸡蛋", "南美白对虾"], "吡虫啉；毒死蜱；苏丹红")
    rows = {(r.food, r.analyte): r for r in selectors.plan_coverage(plan).rows}
    got = {k: (r.status, r.limit, r.edition) for k, r in rows.items()}
    assert got[("黄瓜", "吡虫啉")] == ("limit", Decimal("1"), "GB 2763-2026")
    assert got[("鸡蛋", "吡虫啉")] == ("temporary", Decimal("0.02"), "GB 2763-2026")  # 蛋类 0.02*
    assert got[("南美白对虾", "毒死蜱")] == ("not_loaded", None, "GB 2763-2026")
    assert got[("黄瓜", "苏丹红")][0] == "unknown"  # not an analyte the standards know
    assert not rows[("南美白对虾", "毒死蜱")].covered and rows[("鸡蛋", "吡虫啉")].covered
    assert len(rows) == 9 and not any(r.changes for r in rows.values())

    # a plan naming no analytes: its products × the analytes the standards hold limits for on them
    bare = selectors.plan_coverage(_plan(users, ganyu, 2028, ["鸡蛋"], ""))
    assert bare.from_standards and len(bare.rows) == 33 and not bare.gaps
    assert (bare.counts["limit"], bare.counts["temporary"]) == (20, 13)
    assert {r.analyte: r.status for r in bare.rows}["吡虫啉"] == "temporary"

    # 2026: GB 2763-2021 (loaded from sample rows only: partial) until 2026-02-28, GB 2763-2026 from 2026-03-01:
    # the pair shows its worst stretch and what holds from when; the gap is "limit not loaded", never "no limit".
    plan26 = _plan(users, ganyu, 2026, ["黄瓜"], "吡虫啉")
    (row,) = selectors.plan_coverage(plan26).rows
    assert (row.status, row.on_date, row.changes) == ("not_loaded", dt.date(2026, 1, 1), True)
    assert [(p["start"], p["status"], p["limit"]) for p in row.period_rows] == [
        (dt.date(2026, 1, 1), "not_loaded", None),
        (dt.date(2026, 3, 1), "limit", Decimal("1")),
    ]

    # the page (linked from the plan's progress page), its export and the API say the same
    client.force_login(users.admin)
    assert "/monitoring/plans/2027/coverage/" in client.get("/monitoring/plans/2027/").content.decode()
    page = client.get("/monitoring/plans/2027/coverage/").content.decode()
    assert 'data-food="鸡蛋" data-analyte="吡虫啉" data-status="temporary"' in page
    assert 'data-food="南美白对虾" data-analyte="毒死蜱" data-status="not_loaded"' in page
    assert '<td class="text-end" data-label="限量（mg/kg）">0.02*</td>' in page
    xlsx = client.get("/monitoring/plans/2027/coverage/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert len(cells) == 10 and cells[0][:3] == ["产品", "检测项目", "覆盖情况"]
    assert ["鸡蛋", "吡虫啉", "仅有临时限量（*）", "0.02*"] in [c[:4] for c in cells]
    api = client.get(f"/api/v1/monitoring/plans/{plan.pk}/coverage/").json()
    pairs = {(p["food"], p["analyte"]): p for p in api["pairs"]}
    assert (pairs[("鸡蛋", "吡虫啉")]["status"], pairs[("鸡蛋", "吡虫啉")]["limit_mg_kg"]) == (
        "temporary",
        "0.020000",
    )
    assert api["gaps"] == 5 and api["counts"] == {
        "limit": 3,
        "temporary": 1,
        "banned": 0,
        "not_loaded": 2,
        "none": 0,
        "unknown": 3,
    }


@pytest.fixture
def uncovered(users, ganyu):
    """A plan whose focus pair no loaded limit covers (no standards loaded at all)."""
    return _plan(users, ganyu, 2027, ["黄瓜"], "吡虫啉")


def test_publishing_refused_without_reason_allowed_with(uncovered, users, client):
    with pytest.raises(ValidationError) as e:
        services.plan_publish(actor=users.admin, plan=uncovered, reason="  ")
    assert list(e.value.message_dict) == ["reason"]
    with pytest.raises(ValidationError):  # a township supervisor does not publish the district's plan
        services.plan_publish(actor=users.qk, plan=uncovered, reason="省级任务要求")
    uncovered.refresh_from_db()
    assert uncovered.published is None and uncovered.coverage_reason == ""

    # the form: refused with a field error and nothing saved, then published with the reason
    client.force_login(users.admin)
    assert 'data-published="0">未发布' in client.get("/monitoring/plans/").content.decode()
    r = client.post("/monitoring/plans/2027/coverage/", {"reason": "", "version": uncovered.version})
    assert r.status_code == 400 and "请填写检测它们的理由后再发布计划" in r.content.decode()
    assert MonitoringPlan.objects.get(pk=uncovered.pk).published is None
    posted = {"reason": "省级例行监测任务要求，判定待限量发布", "version": uncovered.version}
    r = client.post("/monitoring/plans/2027/coverage/", posted)  # asked first: publishing cannot be undone
    assert r.status_code == 200 and "发布后计划写入存证账本，不能撤回" in r.content.decode()
    assert MonitoringPlan.objects.get(pk=uncovered.pk).state == "draft"
    r = client.post("/monitoring/plans/2027/coverage/", {**posted, "confirmed": "1"})
    assert r.status_code == 302
    plan = MonitoringPlan.objects.get(pk=uncovered.pk)
    assert plan.state == "published" and plan.get_state_display() == "已发布"
    assert plan.published is not None and plan.published_by == users.admin
    assert plan.coverage_reason == "省级例行监测任务要求，判定待限量发布"
    log = AuditLog.objects.filter(object_id=str(plan.pk), action="update").latest("seq")
    assert log.changes["coverage_reason"] == ["", "省级例行监测任务要求，判定待限量发布"]
    assert log.changes["state"] == ["draft", "published"]
    # ledgered through the workflow runner: the plan's hashed fields and what it asks for
    entry = LedgerEntry.objects.filter(kind="monitoring.plan_published").get()
    payload = json.loads(entry.payload)
    assert entry.ref == f"JH2027-{plan.region.code}" and entry.actor_repr == str(users.admin)
    assert payload["focus_products"] == ["黄瓜"] and payload["focus_analytes"] == ["吡虫啉"]
    assert (payload["focus_pairs"], payload["uncovered"]) == (1, 1)
    assert payload["coverage_reason"] == "省级例行监测任务要求，判定待限量发布"
    assert [e.action for e in events_for(plan)] == ["publish"]
    assert ledger.verify_records()[1] == []
    assert "省级例行监测任务要求" in client.get("/monitoring/plans/2027/coverage/").content.decode()
    assert 'data-published="1">已发布' in client.get("/monitoring/plans/").content.decode()
    with pytest.raises(ValidationError):  # once only
        services.plan_publish(actor=users.admin, plan=plan, reason="again")


def test_covered_plan_publishes_without_reason(users, ganyu):
    plan = _plan(users, ganyu, 2027, [], "吡虫啉")  # no focus products: no pair, nothing uncovered
    plan = services.plan_publish(actor=users.admin, plan=plan)
    assert plan.published is not None and plan.coverage_reason == ""


def test_publish_api(uncovered, users, client):
    url = f"/api/v1/monitoring/plans/{uncovered.pk}/publish/"
    client.force_login(users.qk)  # township staff read the plan but do not publish it
    r = client.post(url, {"reason": "x"}, content_type="application/json")
    assert r.status_code == 400 and "只有区级" in r.json()["non_field_errors"][0]
    client.force_login(users.admin)
    r = client.post(url, {}, content_type="application/json")
    assert r.status_code == 400 and list(r.json()) == ["reason"]
    r = client.post(
        url, {"reason": "省级任务"}, content_type="application/json", headers={"If-Match": '"99"'}
    )
    assert r.status_code == 412
    assert MonitoringPlan.objects.get(pk=uncovered.pk).state == "draft"
    assert not LedgerEntry.objects.filter(kind="monitoring.plan_published").exists()
    r = client.post(
        url,
        {"reason": "省级任务"},
        content_type="application/json",
        headers={"If-Match": f'"{uncovered.version}"'},
    )
    body = r.json()
    assert r.status_code == 200 and (body["state"], body["coverage_reason"]) == ("published", "省级任务")
    assert body["published_by"] == str(users.admin) and r.headers["ETag"] == f'"{body["version"]}"'
    r = client.post(url, {"reason": "again"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["non_field_errors"] == ["该计划已发布。"]


def test_published_plan_change_rechecked_and_ledgered(users, ganyu, client):
    plan = services.plan_publish(actor=users.admin, plan=_plan(users, ganyu, 2027, [], "吡虫啉"))
    version = MonitoringPlan.objects.get(pk=plan.pk).version
    # a change that leaves a focus pair uncovered (黄瓜 × 吡虫啉: no standards loaded) needs a reason
    with pytest.raises(ValidationError) as e:
        services.plan_save(
            actor=users.admin, year=2027, region=ganyu.district, focus_products=[ganyu.category("黄瓜")]
        )
    assert list(e.value.message_dict) == ["coverage_reason"]
    plan.refresh_from_db()
    assert list(plan.focus_products.all()) == [] and plan.version == version
    assert not LedgerEntry.objects.filter(kind="monitoring.plan_changed").exists()
    # the page says so on the field, and saves nothing
    client.force_login(users.admin)
    form = client.get("/monitoring/plans/2027/edit/")
    assert "计划已发布：修改后若有重点品种×项目组合缺少现行限量" in form.content.decode()
    services.plan_save(
        actor=users.admin,
        year=2027,
        region=ganyu.district,
        focus_products=[ganyu.category("黄瓜")],
        coverage_reason="黄瓜为本区主栽品种，限量发布前按风险监测",
    )
    plan.refresh_from_db()
    assert plan.coverage_reason == "黄瓜为本区主栽品种，限量发布前按风险监测"
    entry = LedgerEntry.objects.filter(kind="monitoring.plan_changed").get()
    payload = json.loads(entry.payload)
    assert payload["changes"] == {"focus_products": [[], ["黄瓜"]]} and payload["focus_products"] == ["黄瓜"]
    assert payload["coverage_reason"] == "黄瓜为本区主栽品种，限量发布前按风险监测"
    # a change that uncovers nothing new needs no reason, and is ledgered too
    services.plan_save(
        actor=users.admin, year=2027, region=ganyu.district, title="2027年赣榆区监测计划（修订）"
    )
    last = LedgerEntry.objects.filter(kind="monitoring.plan_changed").latest("seq")
    assert json.loads(last.payload)["changes"]["title"][1] == "2027年赣榆区监测计划（修订）"
    assert ledger.verify_records()[1] == []
    # an edit behind the application's back is found
    MonitoringPlan.objects.filter(pk=plan.pk).update(quantitative_target=1)
    (problem,) = ledger.verify_records()[1]
    assert problem.msgid.endswith("changed in the database without a ledger entry")
    assert problem.params["record"].startswith(f"monitoring.monitoringplan {plan.pk} ")


def test_coverage_scoped_like_the_plan(uncovered, users, client):
    url = f"/api/v1/monitoring/plans/{uncovered.pk}/coverage/"
    assert client.get(url).status_code in (401, 403)
    client.force_login(users.qk)  # township staff read the district's plan
    assert client.get(url).json()["pairs"][0]["status"] == "unknown"
    assert client.get("/monitoring/plans/2027/coverage/").status_code == 200
    assert client.post("/monitoring/plans/2027/coverage/", {"reason": "x"}).status_code == 403
    client.force_login(users.producer)  # producers see no plan
    assert client.get(url).status_code == 404
    assert client.get("/monitoring/plans/2027/coverage/").status_code == 403


def test_progress_counts_not_judgeable(plan, users, make_sample, judge, client):
    """A verified result no limit judges is its own count on the progress page and in the API, outside the
    pass rate, never silently dropped."""
    for analyte, value in (("毒死蜱", "0.01"), ("新农药X", "0.3")):  # pass; no limit → not judgeable
        s = make_sample()
        services.sample_transition(actor=users.analyst, sample=s, action="receive")
        services.results_enter(
            actor=users.analyst,
            sample=s,
            rows=[{"analyte": analyte, "value": value, "unit": "mg/kg"}],
            submit=True,
        )
        services.sample_transition(actor=users.analyst2, sample=s, action="verify")
    p = selectors.progress_for(users.admin, plan)
    assert (p.total.done, p.total.passed, p.total.failed, p.total.not_judgeable) == (2, 1, 0, 1)
    assert p.total.pass_rate == Decimal("100.00") and p.sectors[0].not_judgeable == 1
    client.force_login(users.admin)
    page = client.get(f"/monitoring/plans/{plan.year}/").content.decode()
    assert "已判定 1 个；无法判定 1 个" in page
    api = client.get(f"/api/v1/monitoring/plans/{plan.pk}/progress/").json()
    assert api["total"]["not_judgeable"] == 1 and api["sectors"][0]["not_judgeable"] == 1
