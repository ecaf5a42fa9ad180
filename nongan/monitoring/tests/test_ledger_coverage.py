"""Every evidentiary change in monitoring is ledgered with the digest of the records it changed: results entered,
corrected and verified; samples cancelled and voided; follow-ups opened, edited and closed; rapid tests, their
confirmation and the hold of the lot, and its release. After each step through the application the covered records
match their entries; a direct edit of any of them in the database is reported by `nongan verify-ledger`."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from nongan.core import ledger
from nongan.core.models import LedgerEntry
from nongan.core.states import unguarded_state_writes
from nongan.monitoring import services
from nongan.monitoring.models import LabResult, RapidTest, SaleHold, Sample, UnqualifiedFollowUp

FAILING = {"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}
TRACE = "已核查生产记录：采收前 3 天施用毒死蜱。"
MEASURES = "责令召回不合格批次并监督销毁，约谈负责人。"


def _covers(entry: LedgerEntry) -> list[tuple[str, int]]:
    return [(label, pk) for label, pk, _digest in json.loads(entry.payload).get("records", [])]


def _last(kind: str) -> LedgerEntry:
    return LedgerEntry.objects.filter(kind=kind).order_by("-seq").first()


def _consistent() -> int:
    count, problems = ledger.verify_records()
    assert problems == []
    return count


def test_entry_correction_and_verification_are_ledgered(received, users, judge):
    [r1] = services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}]
    )
    entry = _last("monitoring.results_entered")
    assert entry.ref == received.code
    assert _covers(entry) == [("monitoring.sample", received.pk), ("monitoring.labresult", r1.pk)]
    _consistent()

    r2 = services.result_correct(actor=users.analyst, result=r1, reason="复检", value="0.02")
    entry = _last("monitoring.result_corrected")
    assert _covers(entry) == [
        ("monitoring.sample", received.pk),
        ("monitoring.labresult", r1.pk),
        ("monitoring.labresult", r2.pk),
    ]
    assert json.loads(entry.payload)["results"] == [
        {
            "analyte": "毒死蜱",
            "value": "0.02",
            "unit": "mg/kg",
            "verdict": "pass",
            "supersedes": r1.pk,
            "reason": "复检",
        }
    ]
    _consistent()

    services.sample_transition(actor=users.analyst, sample=received, action="submit")
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    entry = _last("monitoring.verified")
    assert ("monitoring.labresult", r2.pk) in _covers(entry)
    _consistent()

    # the verifier's name changed in the database: reported
    LabResult.objects.filter(pk=r2.pk).update(verified_by=users.analyst)
    [problem] = ledger.verify_records()[1]
    assert problem.seq == entry.seq and f"monitoring.labresult {r2.pk}" in problem.message
    # the superseded row's value changed in the database: reported too
    LabResult.objects.filter(pk=r2.pk).update(verified_by=users.analyst2)
    LabResult.objects.filter(pk=r1.pk).update(value="0.001")
    with pytest.raises(CommandError, match="3 条业务记录中有 1 条在账本之外被改动"):
        call_command("verify_ledger")


def test_a_cancelled_sample_is_ledgered(make_sample, users):
    s = make_sample()
    services.sample_transition(actor=users.sampler, sample=s, action="cancel", reason="样品破损，重新抽样")
    entry = _last("monitoring.cancelled")
    assert entry.ref == s.code and _covers(entry) == [("monitoring.sample", s.pk)]
    assert json.loads(entry.payload)["reason"] == "样品破损，重新抽样"
    _consistent()
    with unguarded_state_writes():  # "un-cancelled" in the database, behind the application
        Sample.objects.filter(pk=s.pk).update(state="received")
    assert len(ledger.verify_records()[1]) == 1


def test_follow_up_opening_edits_and_four_eyes_closing_are_ledgered(received, users, judge):
    services.results_enter(actor=users.analyst, sample=received, rows=[FAILING], submit=True)
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    fu = UnqualifiedFollowUp.objects.get(sample=received)
    assert _covers(_last("monitoring.follow_up_opened")) == [("monitoring.unqualifiedfollowup", fu.pk)]
    # the producer flagged as key target on the way: ledgered by the registry
    assert _covers(_last("producer.key_target")) == [("registry.producer", users.own_producer.pk)]
    services.follow_up_update(actor=users.qk, follow_up=fu, trace_note=TRACE, measures=MEASURES)
    assert json.loads(_last("monitoring.follow_up_updated").payload)["measures"] == MEASURES
    fu.refresh_from_db()
    services.follow_up_propose_close(actor=users.qk, follow_up=fu)
    services.follow_up_close(actor=users.admin, follow_up=fu)
    entry = _last("monitoring.follow_up_closed")
    assert json.loads(entry.payload)["to_state"] == "handled"
    _consistent()
    # the measures rewritten in the database after the closing: reported
    UnqualifiedFollowUp.objects.filter(pk=fu.pk).update(measures="已处理")
    [problem] = ledger.verify_records()[1]
    assert problem.seq == entry.seq


def test_rapid_tests_confirmation_hold_and_release_are_ledgered(users):
    def item(**kw):
        return {
            "station": "320707100000",
            "product": "黄瓜",
            "method": "enzyme",
            "tested_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            **kw,
        }

    [pos] = services.rapid_tests_record(
        actor=users.qk, items=[item(inhibition="72", producer=users.own_producer.code, lot="B-7")]
    )
    assert _covers(_last("monitoring.rapid_test")) == [("monitoring.rapidtest", pos.pk)]
    [re] = services.rapid_tests_record(actor=users.qk, items=[item(inhibition="68", retest_of=pos.pk)])
    hold = SaleHold.objects.get(rapid_test=pos)
    assert _covers(_last("monitoring.sale_hold")) == [
        ("monitoring.rapidtest", pos.pk),
        ("monitoring.rapidtest", re.pk),
        ("monitoring.salehold", hold.pk),
    ]
    _consistent()
    services.sale_hold_release(actor=users.qk, hold=hold, reason="定量检测合格")
    assert json.loads(_last("monitoring.hold_released").payload)["reason"] == "定量检测合格"
    _consistent()
    RapidTest.objects.filter(pk=pos.pk).update(
        outcome="negative"
    )  # a positive turned negative in the database
    [problem] = ledger.verify_records()[1]
    assert f"monitoring.rapidtest {pos.pk}" in problem.message


def test_the_ledger_page_names_the_kinds_in_chinese(received, users, judge, client):
    services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}]
    )
    client.force_login(users.admin)
    page = client.get("/ledger/").content.decode()
    kind = '<td class="cell-first" data-label="类别">{}</td>'
    assert kind.format("录入检测结果") in page and kind.format("样品接收") in page
    assert "monitoring.results_entered" not in page and "monitoring.received" not in page
