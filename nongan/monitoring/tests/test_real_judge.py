"""The chain against the standards app's real judgement engine (reference data shipped with it)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nongan.monitoring import services
from nongan.monitoring.models import LabResult

standards = pytest.importorskip("nongan.standards.services")


@pytest.fixture
def standards_data(db):
    standards.standards_load()


def test_results_judged_by_the_standards_engine(standards_data, received, users):
    rows = services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[
            {"analyte": "吡虫啉", "value": "0.5", "unit": "mg/kg", "lod": "0.01"},
            {"analyte": "噻虫嗪", "value": "0.8", "unit": "mg/kg", "lod": "0.01"},
        ],
    )
    by = {r.analyte: r for r in rows}
    assert by["吡虫啉"].verdict == "pass" and by["吡虫啉"].limit_mg_kg == Decimal("1")
    assert by["噻虫嗪"].verdict == "fail" and by["噻虫嗪"].limit_mg_kg == Decimal("0.5")
    assert "2763" in by["吡虫啉"].edition and by["吡虫啉"].rule


def test_unknown_analyte_refused_by_engine(standards_data, received, users):
    with pytest.raises(ValidationError) as e:
        services.results_enter(
            actor=users.analyst,
            sample=received,
            rows=[{"analyte": "不存在的农药甲", "value": "0.5", "unit": "mg/kg"}],
        )
    assert "不存在的农药甲" in e.value.message_dict["rows"][0]
    assert LabResult.objects.count() == 0


def test_banned_detection_within_its_limit_is_recorded_flagged_and_followed_up(
    standards_data, plan, make_sample, users
):
    """毒死蜱 on a vegetable (banned there by 公告第2032号): 0.01 mg/kg meets 瓜类蔬菜's 0.02, so the result passes,
    records the rule, policy, flags and source row, and verifying the sample opens a follow-up (违禁检出)."""
    from nongan.monitoring.models import UnqualifiedFollowUp

    sample = services.sample_transition(actor=users.analyst, sample=make_sample(), action="receive")
    assert sample.plan_id == plan.pk and plan.banned_policy == "mrl"
    (r,) = services.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[{"analyte": "chlorpyrifos", "value": "0.01", "unit": "mg/kg", "lod": "0.001"}],
        submit=True,
    )
    assert (r.verdict, r.rule, r.limit_mg_kg, r.policy, r.flags, r.source_row) == (
        "pass",
        "mrl_group",
        Decimal("0.02"),
        "mrl",
        "banned_detected;basis_unverified",
        "gb2763_2026_excerpt.csv:781, 4.125 表 125",
    )
    services.sample_transition(actor=users.analyst2, sample=sample, action="verify")
    fu = UnqualifiedFollowUp.objects.get(sample=sample)
    assert "违禁检出" in fu.notice

    # The plan's strict policy: any detection of a banned substance fails, and the result says which policy judged.
    plan.banned_policy = "strict"
    plan.save(update_fields=["banned_policy"])
    strict = services.sample_transition(
        actor=users.analyst, sample=make_sample(seal_number="F0002"), action="receive"
    )
    (r,) = services.results_enter(
        actor=users.analyst,
        sample=strict,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "lod": "0.001"}],
    )
    assert (r.verdict, r.rule, r.policy) == ("fail", "restricted_scope", "strict")


def test_a_sample_without_a_banned_detection_opens_no_follow_up(standards_data, plan, make_sample, users):
    from nongan.monitoring.models import UnqualifiedFollowUp

    sample = services.sample_transition(actor=users.analyst, sample=make_sample(), action="receive")
    (r,) = services.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[{"analyte": "毒死蜱", "value": "0.0005", "unit": "mg/kg", "lod": "0.001"}],
        submit=True,
    )
    assert (r.verdict, r.rule, r.flags) == ("pass", "not_detected", "")
    services.sample_transition(actor=users.analyst2, sample=sample, action="verify")
    assert not UnqualifiedFollowUp.objects.filter(sample=sample).exists()
