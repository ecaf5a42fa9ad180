"""Fixtures of the monitoring tests: a stand-in judgement engine with the standards app's interface, a plan,
samples in each state."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from nongan.core.services import townships
from nongan.monitoring import services

LIMITS = {
    ("黄瓜", "毒死蜱"): Decimal("0.02"),
    ("黄瓜", "腐霉利"): Decimal("5"),
    ("猪肉", "恩诺沙星"): Decimal("0.1"),
}
BANNED = {"克百威", "甲拌磷"}
NO_LIMIT = {"新农药X"}


@dataclass
class FakeJudgement:
    verdict: str
    reason: str
    limit_mg_kg: Decimal | None
    value_mg_kg: Decimal | None
    edition: str
    rule: str
    rule_detail: str


def fake_judge(*, food, analyte, value, unit, lod=None, loq=None, on_date=None, **_rules):
    """Same contract as nongan.standards.services.judge, over a handful of limits."""
    factors = {"mg/kg": Decimal(1), "μg/kg": Decimal("0.001"), "ug/kg": Decimal("0.001")}
    if unit not in factors:
        raise ValidationError({"unit": "未知单位"})
    if food not in {"黄瓜", "猪肉", "番茄", "大葱"}:
        raise ValidationError({"food": f"未知食品“{food}”"})
    if analyte not in BANNED | NO_LIMIT and not any(a == analyte for (_f, a) in LIMITS):
        raise ValidationError({"analyte": f"未知检测项目“{analyte}”"})
    v = Decimal(value) * factors[unit]
    if analyte in BANNED:
        bad = lod is None or v >= lod
        return FakeJudgement("fail" if bad else "pass", "禁用", None, v, "GB 2763-2021", "banned", "")
    limit = LIMITS.get((food, analyte))
    if limit is None:
        return FakeJudgement("not_judgeable", "无限量", None, v, "GB 2763-2021", "no_limit", "")
    return FakeJudgement("pass" if v <= limit else "fail", "", limit, v, "GB 2763-2021", "mrl", f"{food}")


@pytest.fixture
def judge(monkeypatch):
    monkeypatch.setattr(services.common, "get_judge", lambda: fake_judge)
    return fake_judge


@pytest.fixture
def plan(users, ganyu):
    towns = list(townships(ganyu.district))
    return services.plan_save(
        actor=users.admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=services.split_evenly(800, towns),
        township_rapid=services.split_evenly(7200, towns),
    )


@pytest.fixture
def make_sample(users, ganyu):
    def make(producer=None, product="黄瓜", actor=None, **kw):
        data = {
            "quantity": "2.5",
            "quantity_unit": "kg",
            "place": "大棚3号",
            "lot": "L1",
            "sampled_at": timezone.now() - dt.timedelta(hours=2),
            "seal_number": "F0001",
        }
        data.update(kw)
        return services.sample_register(
            actor=actor or users.sampler,
            producer=producer or users.own_producer,
            product=ganyu.category(product),
            **data,
        )

    return make


@pytest.fixture
def received(make_sample, users):
    s = make_sample()
    return services.sample_transition(actor=users.analyst, sample=s, action="receive")
