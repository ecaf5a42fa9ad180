"""Plan shares: every figure is the viewer's jurisdiction's, against that jurisdiction's share of the plan; the
parts add up (townships to the district, a township's villages and its own producers to the township)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from nongan.core.audit import AuditLog
from nongan.core.services import townships
from nongan.monitoring import services
from nongan.monitoring.models import PlanQuota
from nongan.monitoring.selectors import progress_for


def item(station, **kw):
    return {
        "station": station,
        "product": "黄瓜",
        "method": "enzyme",
        "inhibition": "12.5",
        "tested_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        **kw,
    }


@pytest.fixture
def world(plan, users, ganyu, make_producer, make_sample):
    """青口镇 (share 54): its first village holds 30 of it, its second none; one sample in each, one from a
    producer registered at the township itself; one sample in 柘汪镇; two rapid tests at 青口镇's station."""
    qk = ganyu.town["青口镇"]
    v0, v1 = ganyu.village("青口镇", 0), ganyu.village("青口镇", 1)
    services.village_shares_save(actor=users.admin, plan=plan, township=qk, quantitative={v0: 30}, rapid={})
    make_sample(producer=users.own_producer)  # village 0
    make_sample(producer=make_producer(village_index=1))
    make_sample(producer=make_producer(name="青口镇镇级合作社", region=qk))
    make_sample(producer=make_producer(town="柘汪镇"))
    services.rapid_tests_record(actor=users.qk, items=[item(qk.code), item(qk.code, inhibition="80")])
    return plan, qk, v0, v1


def test_the_parts_add_up_and_each_jurisdiction_reads_its_own_share(world, users, ganyu):
    plan, qk, v0, v1 = world
    district = progress_for(users.admin, plan)
    assert (district.total.done, district.total.planned, district.title) == (4, 800, plan.title)
    assert sum(r.done for r in district.parts) == 4 and sum(r.planned for r in district.parts) == 800
    # each township read for itself adds up to the district, figure by figure
    towns = [progress_for(t, plan) for t in townships(ganyu.district)]
    assert sum(t.total.done for t in towns) == district.total.done
    assert sum(t.total.planned for t in towns) == district.total.planned
    assert [(t.total.done, t.total.planned) for t in towns] == [(r.done, r.planned) for r in district.parts]
    assert sum(t.rapid_total.done for t in towns) + district.rapid_district.done == district.rapid_total.done

    town = progress_for(users.qk, plan)
    assert town.region == qk and town.title == f"{plan.title} · 青口镇分配"
    assert (town.total.done, town.total.planned, town.total.expected) == (
        3,
        54,
        (54 * town.fraction).quantize(Decimal("0.1")),
    )
    assert [s.planned for s in town.sectors] == [
        None,
        None,
        None,
    ]  # the district's sector quotas are not its own
    assert (town.rapid_total.done, town.rapid_total.planned, town.rapid_total.positives) == (2, 480, 1)
    rows = {r.key: r for r in town.parts}
    assert (rows[v0.code].done, rows[v0.code].planned) == (1, 30)
    assert (rows[v1.code].done, rows[v1.code].planned, rows[v1.code].on_pace) == (1, None, None)
    assert (rows["own"].done, rows["own"].label) == (1, "青口镇本级")
    assert sum(r.done for r in town.parts) == town.total.done
    villages = [progress_for(v, plan) for v in qk.children.filter(level="village")]
    assert sum(v.total.done for v in villages) + rows["own"].done == town.total.done
    assert sum(r.done for r in town.rapid_parts) == town.rapid_total.done

    village = progress_for(users.village, plan)  # the coordinator of v0
    assert (village.region, village.total.done, village.total.planned) == (v0, 1, 30)
    assert (
        village.title == f"{plan.title} · {v0.name}分配" and village.parts == [] and village.townships == []
    )
    none = progress_for(v1, plan)
    assert (none.total.done, none.total.planned, none.total.expected, none.total.percent_done) == (
        1,
        None,
        None,
        None,
    )
    assert none.rapid_total.planned is None


def test_shares_above_the_parent_are_refused_and_nothing_changes(world, users, ganyu):
    plan, qk, v0, v1 = world
    before = list(PlanQuota.objects.order_by("pk").values_list("kind", "township", "village", "planned"))
    with pytest.raises(ValidationError) as e:
        services.village_shares_save(
            actor=users.qk, plan=plan, township=qk, quantitative={v0: 30, v1: 25}, rapid={v1: 481}
        )
    assert e.value.message_dict == {
        "quantitative": ["村级分配合计 55，超过乡镇分配的 54。"],
        "rapid": ["村级分配合计 481，超过乡镇分配的 480。"],
    }
    zw_village = ganyu.village("柘汪镇")
    with pytest.raises(ValidationError) as e:
        services.village_shares_save(
            actor=users.qk, plan=plan, township=qk, quantitative={zw_village: 1}, rapid={}
        )
    assert e.value.message_dict == {"quantitative": [f"{zw_village.name}不是青口镇的村。"]}
    with pytest.raises(ValidationError):  # another township's supervisor
        services.village_shares_save(actor=users.zw, plan=plan, township=qk, quantitative={v1: 1}, rapid={})
    # lowering the township's share below what its villages hold is refused, the whole plan save rolled back
    towns = list(townships(ganyu.district))
    split = services.split_evenly(800, towns)
    with pytest.raises(ValidationError) as e:
        services.plan_save(
            actor=users.admin,
            year=plan.year,
            region=ganyu.district,
            sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
            township_quantitative={**split, qk: 29},
            township_rapid=services.split_evenly(7200, towns),
        )
    assert e.value.message_dict == {
        "township_quantitative": ["青口镇的村共分配定量抽检样品 30，超过乡镇分配的 29。"]
    }
    # townships together above the district
    with pytest.raises(ValidationError) as e:
        services.plan_save(
            actor=users.admin,
            year=plan.year,
            region=ganyu.district,
            township_quantitative={**split, qk: 55},
            township_rapid=services.split_evenly(7200, towns),
        )
    assert e.value.message_dict["township_quantitative"] == ["各乡镇分配合计 801，超过全区的 800。"]
    assert (
        list(PlanQuota.objects.order_by("pk").values_list("kind", "township", "village", "planned")) == before
    )


def test_pages_name_the_jurisdiction_and_show_no_share(world, client, users, ganyu):
    plan, qk, v0, v1 = world
    client.force_login(users.qk)
    html = client.get("/monitoring/").content.decode()
    assert f"{plan.title} · 青口镇分配" in html and 'data-testid="total-done">3 / 54<' in html
    assert "/ 500<" not in html and "8000" not in html  # none of the district's numbers
    assert 'data-testid="samples-done">3 / 54<' in client.get("/").content.decode()
    api = client.get(f"/api/v1/monitoring/plans/{plan.pk}/progress/").json()
    assert (api["region"], api["title"], api["total"]["done"], api["total"]["planned"]) == (
        qk.code,
        f"{plan.title} · 青口镇分配",
        3,
        54,
    )
    assert [(r["key"], r["done"], r["planned"]) for r in api["parts"] if r["done"]] == [
        (v0.code, 1, 30),
        (v1.code, 1, None),
        ("own", 1, None),
    ]
    # the township divides its share: v0 keeps 30, v1 gets 20; audited
    url = f"/monitoring/plans/{plan.year}/shares/{qk.code}/"
    assert f'href="{url}"' in html
    r = client.post(url, {f"q_{v0.pk}": "30", f"q_{v1.pk}": "20"})
    assert r.status_code == 302
    row = PlanQuota.objects.get(village=v1)
    assert (row.kind, row.planned) == ("quantitative", 20)
    assert AuditLog.objects.filter(object_id=str(row.pk), action="create").count() == 1
    r = client.post(url, {f"q_{v0.pk}": "30", f"q_{v1.pk}": "25"})  # 55 > 54
    assert r.status_code == 200 and "村级分配合计 55，超过乡镇分配的 54。" in r.content.decode()
    assert PlanQuota.objects.get(village=v1).planned == 20
    client.force_login(users.zw)
    assert client.get(url).status_code == 403

    # a village without a share: 无分配, never the township's quota
    users.village.jurisdiction = v1
    users.village.save(update_fields=["jurisdiction"])
    PlanQuota.objects.filter(village=v1).delete()
    client.force_login(users.village)
    html = client.get("/monitoring/").content.decode()
    assert f"{plan.title} · {v1.name}分配" in html and 'data-testid="total-done">1 / 无分配<' in html
    home = client.get("/").content.decode()
    assert (
        'data-testid="samples-done">1 / 无分配<' in home
        and "54" not in home.split('data-testid="capabilities"')[1].split("</a>")[0]
    )
