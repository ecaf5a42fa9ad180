"""The figures add up, on a small demo district: the townships' progress figures sum to the district's, and each
township's villages plus the producers registered at the township itself sum to the township's; a village the
plan gives no share reads "无分配", never a zero or a borrowed quota."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from nongan.core.apps import project_apps
from nongan.core.models import Region
from nongan.core.services import townships
from nongan.monitoring import services as mon
from nongan.monitoring.models import MonitoringPlan
from nongan.monitoring.selectors import progress_for

pytestmark = pytest.mark.django_db


def _figures(row) -> tuple:
    return (row.done, row.passed, row.failed, row.not_judgeable, row.positives)


def _sum(rows) -> tuple:
    return tuple(sum(values) for values in zip(*(_figures(r) for r in rows), strict=True))


@pytest.fixture
def district(users, ganyu, make_producer):
    """The apps' demo on a few dozen producers over the shared accounts, plus a producer registered at 青口镇
    itself with a judged sample (it counts as the township's own)."""
    for config in project_apps():
        config.demo(stdout=io.StringIO(), seed=320707, producers=30)
    qk = ganyu.town["青口镇"]
    own = make_producer(name="青口镇镇级合作社", region=qk)
    s = mon.sample_register(
        actor=users.sampler,
        producer=own,
        product=ganyu.category("黄瓜"),
        quantity="2",
        quantity_unit="kg",
        place="镇级基地",
        sampled_at=timezone.now() - dt.timedelta(hours=3),
    )
    mon.sample_transition(actor=users.analyst, sample=s, action="receive")
    mon.results_enter(
        actor=users.analyst,
        sample=s,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "lod": "0.005"}],
        submit=True,
    )
    mon.sample_transition(actor=users.analyst2, sample=s, action="verify")
    return MonitoringPlan.objects.get(region=ganyu.district)


def test_townships_add_up_to_the_district_and_villages_to_their_township(district, users, ganyu):
    plan = district
    whole = progress_for(ganyu.district, plan)
    assert whole.total.done > 0 and whole.total.judged > 0
    towns = [progress_for(t, plan) for t in townships(ganyu.district)]
    assert _sum(t.total for t in towns) == _figures(whole.total)
    assert sum(t.total.planned or 0 for t in towns) == whole.total.planned == 800
    assert [_figures(t.total) for t in towns] == [_figures(r) for r in whole.parts[: len(towns)]]
    assert _sum(t.rapid_total for t in towns) == _sum(whole.rapid_parts[: len(towns)])
    assert _sum(whole.rapid_parts) == _figures(whole.rapid_total)

    qk = ganyu.town["青口镇"]
    for town in towns:
        villages = list(Region.objects.filter(parent=town.region, level="village"))
        read = [progress_for(v, plan) for v in villages]
        own = {r.key: r for r in town.parts}["own"]
        assert own.label == f"{town.region.name}本级" and own.planned is None
        assert tuple(
            a + b for a, b in zip(_sum(v.total for v in read), _figures(own), strict=True)
        ) == _figures(town.total), town.region.name
        assert _sum(town.parts) == _figures(town.total)
        # a village the plan gives no share has none: no quota, no expected number, no pace
        for v in read:
            if v.total.planned is None:
                assert (v.total.expected, v.total.on_pace, v.total.percent_done) == (None, None, None)
        shared = sum(v.total.planned or 0 for v in read)
        assert shared <= (town.total.planned or 0)
        if town.region == qk:
            assert own.done == 1 and own.passed == 1  # the producer registered at the township itself

    # the township supervisor's pages: its villages without a share read 无分配, never "0 / …"
    client = Client()
    client.force_login(users.qk)
    html = client.get("/monitoring/").content.decode()
    town = progress_for(users.qk, plan)
    unshared = [r for r in town.parts if r.key != "own" and r.planned is None]
    assert unshared
    for r in unshared:
        row = html.split(f'data-part="{r.key}"')[1].split("</tr>")[0]
        assert 'data-share="none">无分配<' in row, r.label
    shared = [r for r in town.parts if r.planned]
    assert all(r.label in html for r in shared)
    # a village coordinator of a village without a share: 无分配 on the workbench
    unshared_village = Region.objects.get(code=unshared[0].key)
    users.village.jurisdiction = unshared_village
    users.village.save(update_fields=["jurisdiction"])
    client.force_login(users.village)
    home = client.get("/").content.decode()
    mine = progress_for(unshared_village, plan)
    assert f'data-testid="samples-done">{mine.total.done} / 无分配<' in home
