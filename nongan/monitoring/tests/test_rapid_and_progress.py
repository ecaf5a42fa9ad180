import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nongan.core.services import townships
from nongan.monitoring import services
from nongan.monitoring.models import MonitoringPlan, PlanQuota, RapidTest, SaleHold, SamplingTask
from nongan.monitoring.selectors import elapsed_fraction, integrity_signals, plan_progress, rapid_tests_for
from nongan.monitoring.stats import wilson_interval


@pytest.mark.parametrize(
    "x,n,low,high",
    [
        (97, 100, 0.9154806357094724, 0.9897454759759611),
        (0, 10, 0.0, 0.2775327998628892),
        (10, 10, 0.7224672001371107, 1.0),
        (5, 10, 0.236593090512564, 0.7634069094874361),
        (780, 800, 0.9617010785457061, 0.9837589890589018),
    ],
)
def test_wilson_exact(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert lo == pytest.approx(low, abs=1e-12) and hi == pytest.approx(high, abs=1e-12)


def test_wilson_edges():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_elapsed_fraction():
    assert elapsed_fraction(2026, dt.date(2025, 12, 31)) == 0
    assert elapsed_fraction(2026, dt.date(2026, 12, 31)) == 1
    assert elapsed_fraction(2026, dt.date(2026, 7, 2)) == Decimal(183) / Decimal(365)


def item(**kw):
    base = {
        "station": "320707100000",
        "product": "黄瓜",
        "method": "enzyme",
        "inhibition": "12.5",
        "tested_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
    }
    base.update(kw)
    return base


def test_enzyme_and_gold_outcomes(users):
    rows = services.rapid_tests_record(
        actor=users.qk,
        items=[
            item(inhibition="49.99"),
            item(inhibition="50"),
            item(inhibition="45", threshold="40"),
            item(method="gold", inhibition=None, c_line="false", product="猪肉", analyte="瘦肉精"),
            item(method="胶体金", inhibition=None, c_line="是", t_line="absent", product="猪肉"),
            item(method="gold", inhibition=None, c_line=True, t_line="lighter", product="猪肉"),
            item(method="gold", inhibition=None, c_line=True, t_line="same_or_darker", product="猪肉"),
            item(product="大葱", inhibition="10"),
            item(product="西红柿", inhibition="10"),
        ],
    )
    assert [r.outcome for r in rows] == [
        "negative",
        "positive",
        "positive",
        "invalid",
        "positive",
        "positive",
        "negative",
        "negative",
        "negative",
    ]
    assert [r.threshold for r in rows[:3]] == [Decimal("50"), Decimal("50"), Decimal("40")]
    assert [r.false_positive_risk for r in rows] == [False] * 7 + [True, True]
    assert rows[0].township.name == "青口镇" and rows[0].sector == "crop" and rows[3].sector == "livestock"


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"product": "不存在的菜"}, "product"),
        ({"product": "叶菜类蔬菜"}, "product"),
        ({"inhibition": "-3"}, "inhibition"),
        ({"inhibition": "120"}, "inhibition"),
        ({"inhibition": "abc"}, "inhibition"),
        ({"method": "pcr"}, "method"),
        ({"tested_at": ""}, "tested_at"),
        ({"station": "320707101000"}, "station"),
        ({"method": "gold", "c_line": "maybe"}, "c_line"),
    ],
)
def test_bad_rapid_batch_saves_nothing(users, bad, field):
    with pytest.raises(ValidationError) as e:
        services.rapid_tests_record(actor=users.qk, items=[item(), item(**bad)])
    assert e.value.item_errors[0] == {}
    assert field in e.value.item_errors[1]
    assert RapidTest.objects.count() == 0


def test_retest_confirms_positive_and_holds_lot(users):
    [pos] = services.rapid_tests_record(
        actor=users.qk, items=[item(inhibition="72", producer=users.own_producer.code, lot="B-7")]
    )
    with pytest.raises(ValidationError):
        services.rapid_tests_record(actor=users.qk, items=[item(retest_of=pos.pk, product="番茄")])
    [neg] = services.rapid_tests_record(actor=users.qk, items=[item(inhibition="10")])
    with pytest.raises(ValidationError):
        services.rapid_tests_record(actor=users.qk, items=[item(retest_of=neg.pk)])
    [re] = services.rapid_tests_record(actor=users.qk, items=[item(inhibition="68", retest_of=pos.pk)])
    pos.refresh_from_db()
    assert re.retest_of == pos and pos.confirmed_positive
    hold = SaleHold.objects.get(rapid_test=pos)
    assert hold.lot == "B-7" and hold.status == "held"
    assert hold.task.source == "rapid_positive" and hold.task.producer == users.own_producer
    assert SamplingTask.objects.count() == 1
    services.sale_hold_release(actor=users.qk, hold=hold, reason="定量检测合格")
    hold.refresh_from_db()
    assert hold.status == "released"


def test_rapid_scoping(users):
    services.rapid_tests_record(actor=users.qk, items=[item()])
    services.rapid_tests_record(actor=users.zw, items=[item(station="320707101000")])
    services.rapid_tests_record(actor=users.admin, items=[item(station="320707000000")])
    assert rapid_tests_for(users.qk).count() == 1
    assert rapid_tests_for(users.zw).get().township.name == "柘汪镇"
    assert rapid_tests_for(users.admin).count() == 3
    assert rapid_tests_for(users.village).count() == 0


def test_plan_validation(users, ganyu):
    towns = list(townships(ganyu.district))
    with pytest.raises(ValidationError) as e:
        services.plan_save(
            actor=users.admin,
            year=2026,
            region=ganyu.district,
            township_rapid=services.split_evenly(7000, towns),
        )
    assert "township_rapid" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.plan_save(actor=users.qk, year=2026, region=ganyu.district)
    assert MonitoringPlan.objects.count() == 0 and PlanQuota.objects.count() == 0


def test_progress_counts_pace_and_constant_queries(plan, users, make_sample, judge, ganyu):
    assert plan.quotas.filter(kind="rapid").count() == 15
    assert sum(plan.quotas.filter(kind="rapid").values_list("planned", flat=True)) == 7200

    def run():
        with CaptureQueriesContext(connection) as ctx:
            p = plan_progress(users.admin, plan, on_date=dt.date(plan.year, 7, 2))
        return p, len(ctx.captured_queries)

    _, q0 = run()
    s = make_sample()
    services.sample_transition(actor=users.analyst, sample=s, action="receive")
    services.results_enter(
        actor=users.analyst,
        sample=s,
        rows=[{"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}],
        submit=True,
    )
    services.sample_transition(actor=users.analyst2, sample=s, action="verify")
    s2 = make_sample(product="猪肉")
    services.sample_transition(actor=users.analyst, sample=s2, action="receive")
    services.results_enter(
        actor=users.analyst,
        sample=s2,
        rows=[{"analyte": "恩诺沙星", "value": "0.01", "unit": "mg/kg"}],
        submit=True,
    )
    services.sample_transition(actor=users.analyst2, sample=s2, action="verify")
    services.rapid_tests_record(actor=users.qk, items=[item(), item(inhibition="80")])
    services.rapid_tests_record(actor=users.admin, items=[item(station="320707000000")])
    p, q1 = run()
    assert q0 == q1 <= 8
    assert (
        p.total.done == 2
        and p.total.passed == 1
        and p.total.failed == 1
        and p.total.pass_rate == Decimal("50.00")
    )
    crop = p.sectors[0]
    assert (crop.key, crop.planned, crop.done, crop.expected, crop.on_pace) == (
        "crop",
        500,
        1,
        Decimal("250.7"),
        False,
    )
    qk_row = next(r for r in p.townships if r.label == "青口镇")
    assert (qk_row.planned, qk_row.done) == (54, 2)
    rq = next(r for r in p.rapid_townships if r.label == "青口镇")
    assert (rq.planned, rq.done, rq.positives) == (480, 2, 1)
    assert p.rapid_district.done == 1 and p.rapid_township_total.done == 2
    assert (p.unqualified, p.handled, p.handling_rate) == (1, 0, Decimal("0.00"))
    lo, hi = wilson_interval(1, 2)
    assert p.total.wilson_low == Decimal("9.45") and p.total.wilson_high == Decimal("90.55")
    # a township supervisor sees their own township's figures only
    pz = plan_progress(users.zw, plan, on_date=dt.date(plan.year, 7, 2))
    assert pz.total.done == 0 and pz.rapid_township_total.done == 0
    assert [r.label for r in pz.townships] == ["柘汪镇"] and pz.rapid_township_total.planned == 480
    assert pz.total.planned == 54 and pz.rapid_district.planned == 0
    pv = plan_progress(users.village, plan, on_date=dt.date(plan.year, 7, 2))
    # a village coordinator: their village's counts, and no share where the plan gives the village none
    assert pv.townships == [] and pv.total.done == 2 and pv.total.planned is None


def test_integrity_signals(users, monkeypatch):
    from nongan.monitoring import selectors

    monkeypatch.setattr(selectors, "PERFECT_MIN_TESTS", 5)
    monkeypatch.setattr(selectors, "BURST_MIN", 3)
    monkeypatch.setattr(selectors, "REPEAT_MIN", 4)
    old = (timezone.now() - dt.timedelta(days=10)).isoformat()
    services.rapid_tests_record(
        actor=users.qk, items=[item(tested_at=old, inhibition="11.1") for _ in range(5)]
    )
    services.rapid_tests_record(actor=users.zw, items=[item(station="320707101000", inhibition="60")] * 2)
    kinds = sorted((s.kind, s.station.name) for s in integrity_signals(users.admin))
    assert kinds == [("burst", "青口镇"), ("perfect", "青口镇"), ("repeat", "青口镇")]
    assert integrity_signals(users.zw) == []
