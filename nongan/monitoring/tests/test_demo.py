import io

from nongan.monitoring import demo
from nongan.monitoring.models import MonitoringPlan, PlanQuota, RapidTest, Sample, UnqualifiedFollowUp
from nongan.monitoring.selectors import integrity_signals


def test_demo_builds_once(ganyu):
    out = io.StringIO()
    demo.build(stdout=out)
    assert "no producers" in out.getvalue() and MonitoringPlan.objects.count() == 0
    from nongan.registry import demo as registry_demo
    from nongan.standards import demo as standards_demo

    registry_demo.build(stdout=out, count=400)
    registry_demo.accounts()
    standards_demo.build(stdout=out)
    demo.build(stdout=out)
    plan = MonitoringPlan.objects.get(year=2026)
    assert plan.state == "published" and plan.coverage_reason.startswith("省级例行监测任务要求")
    rapid = PlanQuota.objects.filter(plan=plan, kind="rapid")
    assert rapid.count() == 15 and sum(rapid.values_list("planned", flat=True)) == 7200
    towns = PlanQuota.objects.filter(plan=plan, kind="quantitative", township__isnull=False, village=None)
    assert sum(towns.values_list("planned", flat=True)) == 800
    # each township keeps a tenth for itself and divides the rest among its villages with producers
    for town in towns:
        villages = PlanQuota.objects.filter(plan=plan, kind="quantitative", township=town.township_id)
        held = sum(villages.exclude(village=None).values_list("planned", flat=True))
        assert held == town.planned - town.planned // 10
    assert PlanQuota.objects.filter(plan=plan, village__isnull=False).count() > 15
    n_samples, n_rapid = Sample.objects.count(), RapidTest.objects.count()
    assert n_samples >= 250 and n_rapid >= 2500
    states = set(Sample.objects.values_list("state", flat=True))
    assert {"registered", "received", "results_submitted", "verified", "published"} <= states
    assert UnqualifiedFollowUp.objects.exists()
    from nongan.core.models import User

    signals = integrity_signals(User.objects.get(username="admin"))
    assert {s.station.name for s in signals} == {"班庄镇"}
    assert {s.kind for s in signals} == {"perfect", "burst", "repeat"}
    demo.build(stdout=out)
    assert (Sample.objects.count(), RapidTest.objects.count()) == (n_samples, n_rapid)
    # before sampling: the demo plan's focus pairs against the shipped standards — its gaps show
    from nongan.monitoring.selectors import plan_coverage

    rows = {(r.food, r.analyte): r for r in plan_coverage(plan).rows}
    assert len(rows) == 120
    # 孔雀石绿 is known since the 公告第250号 list (prohibited in food animals): on the 5 products of animal origin any
    # detection fails (banned, so covered); on a crop no limit of it is loaded
    malachite = sorted((f, str(r.status)) for (f, a), r in rows.items() if a == "孔雀石绿")
    assert [s for _f, s in malachite].count("banned") == 5, malachite
    assert {s for _f, s in malachite} == {"banned", "not_loaded"}, malachite
    assert [p["status"] for p in rows[("黄瓜", "吡虫啉")].period_rows] == ["not_loaded", "limit"]
    # until 2026-02-28 GB 2763-2021 is in force, loaded from two sample rows (partial): every pesticide pair is
    # "limit not loaded" on its worst day (a ban does not judge a detection under the mrl policy without the limit)
    assert sum(not r.covered for r in rows.values()) == 115
    assert {r.status for (_f, a), r in rows.items() if a == "吡虫啉"} == {"not_loaded"}
