"""Nothing buried: a sample with an entered result is never cancelled, only voided by a district
administrator with a reason (shown on the sample, in the follow-up list and in the ledger)."""

import json

import pytest
from django.core.exceptions import ValidationError

from nongan.core.models import LedgerEntry
from nongan.monitoring import services
from nongan.monitoring.models import MonitoringEvent, Sample, UnqualifiedFollowUp

FAILING = {"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}
NO_CANCEL = "该样品已录入检测结果，不能取消；只能由区级监管人员填写理由后作废。"


@pytest.fixture
def with_failing_result(received, users, judge):
    services.results_enter(actor=users.analyst, sample=received, rows=[FAILING], submit=True)
    received.refresh_from_db()
    return received


@pytest.mark.parametrize("who", ["sampler", "analyst", "enforcement", "admin"])
def test_a_sample_with_results_cannot_be_cancelled(users, with_failing_result, who):
    s = with_failing_result
    with pytest.raises(ValidationError) as exc:
        services.sample_transition(
            actor=getattr(users, who), sample=s, action="cancel", reason="样品包装破损"
        )
    assert exc.value.messages == [NO_CANCEL]
    s.refresh_from_db()
    assert s.state == "results_submitted"
    assert not any(t.name == "cancel" for t in services.available_transitions(getattr(users, who), s))


def test_results_entered_but_not_submitted_also_block_cancel(users, received, judge):
    services.results_enter(actor=users.analyst, sample=received, rows=[FAILING])
    with pytest.raises(ValidationError) as exc:
        services.sample_transition(actor=users.analyst, sample=received, action="cancel", reason="x")
    assert exc.value.messages == [NO_CANCEL]
    assert Sample.objects.get(pk=received.pk).state == "received"


def test_void_needs_a_district_administrator_and_a_reason(users, with_failing_result):
    s = with_failing_result
    for who in ("sampler", "analyst", "enforcement", "qk"):
        with pytest.raises(ValidationError) as exc:
            services.sample_transition(actor=getattr(users, who), sample=s, action="void", reason="样品混淆")
        assert exc.value.messages == ["您的角色无权进行此操作。"]
    with pytest.raises(ValidationError) as exc:
        services.sample_transition(actor=users.admin, sample=s, action="void", reason="  ")
    assert exc.value.message_dict == {"reason": ["请填写原因。"]}
    s.refresh_from_db()
    assert s.state == "results_submitted"
    assert not LedgerEntry.objects.filter(kind="monitoring.void").exists()


def test_voided_failing_sample_is_on_the_page_the_follow_up_list_and_the_ledger(
    client, users, with_failing_result
):
    s = with_failing_result
    services.sample_transition(actor=users.admin, sample=s, action="void", reason="样品标签与抽样单不符")
    s.refresh_from_db()
    assert (s.state, s.get_state_display()) == ("voided", "已作废")
    event = MonitoringEvent.objects.filter(action="void").get()
    assert (event.from_state, event.to_state, event.reason) == (
        "results_submitted",
        "voided",
        "样品标签与抽样单不符",
    )
    entry = LedgerEntry.objects.get(kind="monitoring.void")
    assert entry.ref == s.code
    payload = json.loads(entry.payload)
    assert payload["reason"] == "样品标签与抽样单不符"
    assert payload["from_state"] == "results_submitted"
    assert [r["verdict"] for r in payload["results"]] == ["fail"]
    fu = UnqualifiedFollowUp.objects.get(sample=s)
    assert fu.status == "open"
    client.force_login(users.admin)
    page = client.get(f"/monitoring/samples/{s.code}/").content.decode()
    assert "已作废" in page and "样品标签与抽样单不符" in page
    listing = client.get("/monitoring/follow-ups/").content.decode()
    assert s.code in listing and "已作废" in listing
