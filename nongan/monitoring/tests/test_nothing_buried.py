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


# ---------------------------------------------------------------- follow-ups close by a second person
@pytest.fixture
def follow_up(received, users, judge):
    services.results_enter(actor=users.analyst, sample=received, rows=[FAILING], submit=True)
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    return UnqualifiedFollowUp.objects.get(sample=received)


TRACE = "已核查生产记录：采收前 3 天施用毒死蜱。"
MEASURES = "责令召回不合格批次并监督销毁，约谈负责人。"


@pytest.mark.parametrize(
    "measures, expected",
    [
        ("", "请填写采取的处置措施（至少 10 个字，写明做了什么）。"),
        (".", "请填写采取的处置措施（至少 10 个字，写明做了什么）。"),
        ("。。。。。。。。。。。。", "请填写采取的处置措施（至少 10 个字，写明做了什么）。"),
        ("已处理", "请填写采取的处置措施（至少 10 个字，写明做了什么）。"),
    ],
)
def test_proposing_to_close_needs_real_measures(users, follow_up, measures, expected):
    services.follow_up_update(actor=users.qk, follow_up=follow_up, trace_note=TRACE, measures=measures)
    with pytest.raises(ValidationError) as exc:
        services.follow_up_propose_close(actor=users.qk, follow_up=follow_up)
    assert exc.value.message_dict == {"measures": [expected]}
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.proposed_by) == ("open", None)


def test_the_proposer_cannot_approve_a_second_person_does(users, follow_up):
    with pytest.raises(ValidationError) as exc:  # closing straight away is no longer possible
        services.follow_up_close(actor=users.qk, follow_up=follow_up)
    assert exc.value.messages == ["须先由一人提出结案，再由另一人复核同意。"]
    services.follow_up_update(actor=users.qk, follow_up=follow_up, trace_note=TRACE, measures=MEASURES)
    services.follow_up_propose_close(actor=users.qk, follow_up=follow_up)
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.proposed_by, follow_up.handled_by) == ("proposed", users.qk, None)
    with pytest.raises(ValidationError) as exc:
        services.follow_up_close(actor=users.qk, follow_up=follow_up)
    assert exc.value.messages == ["结案须由提出人以外的另一人复核同意。"]
    with pytest.raises(ValidationError) as exc:  # the record is frozen while the closing is proposed
        services.follow_up_update(
            actor=users.qk, follow_up=follow_up, measures="改写后的措施内容，共十多个字"
        )
    assert exc.value.messages == ["已提出结案，复核期间不能修改；如需修改，请由复核人退回。"]
    with pytest.raises(ValidationError) as exc:  # another township's supervisor
        services.follow_up_close(actor=users.zw, follow_up=follow_up)
    assert exc.value.messages == ["该主体不在您的辖区内。"]
    follow_up.refresh_from_db()
    assert follow_up.status == "proposed" and follow_up.measures == MEASURES
    # the township has one supervisor: the district approves
    services.follow_up_close(actor=users.admin, follow_up=follow_up)
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.proposed_by, follow_up.handled_by) == (
        "handled",
        users.qk,
        users.admin,
    )
    actions = list(
        follow_up.sample.events.filter(subject="follow_up").values_list("action", "actor__username")
    )
    assert actions[-2:] == [("follow_up_propose_close", "qk"), ("follow_up_close", "admin")]


def test_a_rejected_proposal_goes_back_open_with_its_reason(users, follow_up):
    services.follow_up_update(actor=users.qk, follow_up=follow_up, trace_note=TRACE, measures=MEASURES)
    services.follow_up_propose_close(actor=users.qk, follow_up=follow_up)
    with pytest.raises(ValidationError) as exc:
        services.follow_up_reject_close(actor=users.admin, follow_up=follow_up, reason="")
    assert exc.value.message_dict == {"reason": ["请填写原因。"]}
    services.follow_up_reject_close(actor=users.admin, follow_up=follow_up, reason="未写明销毁数量")
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.proposed_by) == ("open", None)
    ev = follow_up.sample.events.filter(subject="follow_up").order_by("id").last()
    assert (ev.action, ev.from_state, ev.to_state, ev.reason) == (
        "follow_up_reject_close",
        "proposed",
        "open",
        "未写明销毁数量",
    )


def test_follow_up_page_proposes_and_a_second_person_approves(client, users, follow_up):
    url = f"/monitoring/follow-ups/{follow_up.pk}/"
    client.force_login(users.qk)
    r = client.post(url, {"trace_note": TRACE, "measures": ".", "close": "on"})
    assert (
        r.status_code == 200 and "请填写采取的处置措施（至少 10 个字，写明做了什么）。" in r.content.decode()
    )
    assert UnqualifiedFollowUp.objects.get(pk=follow_up.pk).status == "open"
    r = client.post(url, {"trace_note": TRACE, "measures": MEASURES, "close": "on"})
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert "已提出结案，待复核" in page and 'value="close"' not in page  # the proposer sees no approve button
    r = client.post(url, {"action": "close"})
    assert "结案须由提出人以外的另一人复核同意。" in r.content.decode()
    assert UnqualifiedFollowUp.objects.get(pk=follow_up.pk).status == "proposed"
    client.force_login(users.admin)
    assert 'value="close"' in client.get(url).content.decode()
    assert client.post(url, {"action": "close"}).status_code == 302
    fu = UnqualifiedFollowUp.objects.get(pk=follow_up.pk)
    assert (fu.status, fu.proposed_by, fu.handled_by) == ("handled", users.qk, users.admin)


# ---------------------------------------------------------------- producers see results once published
def test_producer_sees_its_results_only_once_verified_and_published(client, users, follow_up):
    s = follow_up.sample
    assert s.state == "verified"
    client.force_login(users.producer)
    for url in (
        f"/api/v1/monitoring/samples/{s.code}/",
        "/api/v1/monitoring/samples/",
        "/api/v1/monitoring/results/",
    ):
        assert s.code not in client.get(url).content.decode(), url
    r = client.get(f"/monitoring/samples/{s.code}/")
    assert r.status_code == 404 and "毒死蜱" not in r.content.decode()
    assert s.code not in client.get("/monitoring/samples/").content.decode()
    assert client.get("/api/v1/monitoring/samples/").json()["count"] == 0
    assert client.get("/api/v1/monitoring/results/").json()["count"] == 0
    assert client.get(f"/api/v1/monitoring/samples/{s.code}/").status_code == 404
    services.sample_transition(actor=users.admin, sample=s, action="publish")
    data = client.get("/api/v1/monitoring/samples/").json()
    assert [(x["code"], x["verdict"]) for x in data["results"]] == [(s.code, "fail")]
    results = client.get("/api/v1/monitoring/results/").json()["results"]
    assert [(r["sample"], r["analyte"], r["verdict"]) for r in results] == [(s.code, "毒死蜱", "fail")]
