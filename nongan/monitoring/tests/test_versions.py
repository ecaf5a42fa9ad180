"""Versions of monitoring plans and follow-ups: a stale edit is refused and shows what changed."""

import pytest

from nongan.core.models import AuditLog
from nongan.core.versions import StaleVersion
from nongan.monitoring import services
from nongan.monitoring.models import MonitoringPlan

from .test_workflows import follow_up  # noqa: F401 - the fixture


def _posted(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "focus_products":
            data[name] = [c.pk for c in value or []]
        elif value is not None:
            data[name] = value
    return data


def test_a_stale_plan_form_is_refused_and_shows_what_changed(client, users, plan):
    client.force_login(users.admin)
    url = f"/monitoring/plans/{plan.year}/edit/"
    page = client.get(url)
    data = _posted(page.context["form"])
    assert data["version"] == plan.version == 1
    services.plan_save(
        actor=users.admin,
        year=plan.year,
        region=plan.region,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        expected_version=1,
        pass_rate_target=98,
    )
    logs = AuditLog.objects.count()
    r = client.post(url, dict(data, title="我的标题"))
    assert r.status_code == 200
    plan.refresh_from_db()
    assert (plan.version, plan.pass_rate_target, AuditLog.objects.count()) == (2, 98, logs)
    assert plan.title != "我的标题"
    rows = {str(x["field"]): (x["was"], x["yours"], x["now"], x["changed"]) for x in r.context["form"].stale}
    assert rows["合格率目标（%）"] == ("97.00", "97.00", 98, True)
    assert rows["标题"][1:] == ("我的标题", plan.title, False)
    assert 'name="version" value="2"' in r.content.decode()


def test_plan_save_from_an_older_version_is_refused(users, plan):
    services.plan_save(actor=users.admin, year=plan.year, region=plan.region, expected_version=1, title="甲")
    with pytest.raises(StaleVersion):
        services.plan_save(
            actor=users.admin, year=plan.year, region=plan.region, expected_version=1, title="乙"
        )
    assert MonitoringPlan.objects.get(pk=plan.pk).title == "甲"


def test_a_stale_follow_up_save_is_refused_and_closes_nothing(client, users, follow_up):  # noqa: F811
    fu = follow_up
    opened = fu.version
    services.follow_up_update(
        actor=users.admin, follow_up=fu, case_number="赣农执〔2026〕1号", expected_version=opened
    )
    client.force_login(users.admin)
    r = client.post(
        f"/monitoring/follow-ups/{fu.pk}/",
        {"trace_note": "追溯到批次", "measures": "", "case_number": "", "close": "on", "version": opened},
    )
    assert r.status_code == 200
    fu.refresh_from_db()
    assert (fu.case_number, fu.trace_note, fu.status, fu.version) == (
        "赣农执〔2026〕1号",
        "",
        "open",
        opened + 1,
    )
    rows = [(str(x["field"]), x["was"], x["yours"], x["now"]) for x in r.context["form"].stale]
    assert rows == [
        ("溯源核查生产记录情况", "", "追溯到批次", ""),
        ("执法立案编号", "", "", "赣农执〔2026〕1号"),
    ]
