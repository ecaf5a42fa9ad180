import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import commit_and_draw
from nongan.core.models import AuditLog, LedgerEntry
from nongan.monitoring import services
from nongan.monitoring.events import certified_sample_failed
from nongan.monitoring.models import LabResult, MonitoringEvent, Sample, SamplingTask, UnqualifiedFollowUp
from nongan.monitoring.services import roll_up


def counts():
    return (
        Sample.objects.count(),
        LabResult.objects.count(),
        MonitoringEvent.objects.count(),
        UnqualifiedFollowUp.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_register_sample_sets_code_sector_township_and_event(make_sample, users, ganyu, plan):
    s = make_sample(party_name="王建国", party_confirmed=True, certificate_number="HG-001")
    assert s.code == f"CY{timezone.localdate().year}00001"
    assert s.sector == "crop"
    assert s.township == ganyu.town["青口镇"]
    assert s.plan == plan
    assert s.state == "registered"
    assert s.quantity == Decimal("2.5") and s.quantity_unit == "kg"
    assert s.party_confirmed and s.party_confirmed_at == s.sampled_at
    ev = list(s.events.values_list("action", "from_state", "to_state"))
    assert ev == [("register", "", "registered")]
    assert AuditLog.objects.filter(object_id=str(s.pk), action="create", object_repr=s.code).count() == 1
    assert make_sample(product="猪肉").code.endswith("00002")


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity_unit": ""}, "quantity_unit"),
        ({"place": " "}, "place"),
        ({"latitude": "95"}, "latitude"),
        ({"sampled_at": None}, "sampled_at"),
    ],
)
def test_register_bad_input_saves_nothing(make_sample, users, kw, field):
    before = counts()
    with pytest.raises(ValidationError) as e:
        make_sample(**kw)
    assert field in e.value.message_dict
    assert counts() == before


def test_register_group_product_refused(make_sample):
    with pytest.raises(ValidationError) as e:
        make_sample(product="瓜类蔬菜")
    assert e.value.message_dict["product"] == ["请选择具体产品，而不是产品类别“瓜类蔬菜”。"]
    assert Sample.objects.count() == 0


def test_register_future_time_and_outside_jurisdiction_refused(make_sample, make_producer, users):
    with pytest.raises(ValidationError) as e:
        make_sample(sampled_at=timezone.now() + dt.timedelta(days=1))
    assert "未来" in e.value.message_dict["sampled_at"][0]
    other = make_producer(name="柘汪镇某合作社", town="柘汪镇")
    with pytest.raises(ValidationError) as e:
        make_sample(producer=other, actor=users.qk)
    assert "抽样人员" in e.value.messages[0]
    assert Sample.objects.count() == 0


def test_full_chain_pass_and_publish_to_ledger(received, users, judge):
    services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[
            {"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "method": "GB 23200.113", "lod": "0.005"},
            {"analyte": "腐霉利", "value": "0.3", "unit": "mg/kg"},
        ],
        submit=True,
    )
    s = Sample.objects.get(pk=received.pk)
    assert s.state == "results_submitted"
    r = s.results.get(analyte="毒死蜱")
    assert (r.verdict, r.limit_mg_kg, r.edition, r.rule) == ("pass", Decimal("0.02"), "GB 2763-2021", "mrl")
    services.sample_transition(actor=users.analyst2, sample=s, action="verify")
    s.refresh_from_db()
    assert s.state == "verified" and s.verdict == "pass"
    assert set(s.results.values_list("verified_by__username", flat=True)) == {"analyst2"}
    assert not UnqualifiedFollowUp.objects.exists()
    services.sample_transition(actor=users.admin, sample=s, action="publish")
    s.refresh_from_db()
    assert s.state == "published" and s.published_at is not None
    entry = LedgerEntry.objects.get(kind="monitoring.result", ref=s.code)
    assert '"verdict":"pass"' in entry.payload
    actions = list(s.events.values_list("action", flat=True))
    assert actions == ["register", "receive", "submit", "verify", "publish"]


def test_verification_by_the_analyst_is_refused(received, users, judge):
    services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}],
        submit=True,
    )
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.sample_transition(actor=users.analyst, sample=received, action="verify")
    assert "检测员以外" in e.value.messages[0]
    assert counts() == before
    received.refresh_from_db()
    assert received.state == "results_submitted" and received.verdict == ""
    assert not LabResult.objects.filter(verified_by__isnull=False).exists()


@pytest.mark.parametrize(
    "row,field",
    [
        ({"analyte": "不存在的农药", "value": "0.1", "unit": "mg/kg"}, "analyte"),
        ({"analyte": "毒死蜱", "value": "-0.1", "unit": "mg/kg"}, "value"),
        ({"analyte": "毒死蜱", "value": "abc", "unit": "mg/kg"}, "value"),
        ({"analyte": "毒死蜱", "value": "0.1", "unit": ""}, "unit"),
        ({"analyte": "毒死蜱", "value": "0.1", "unit": "斤"}, "unit"),
        ({"analyte": "", "value": "0.1", "unit": "mg/kg"}, "analyte"),
    ],
)
def test_bad_results_save_nothing(received, users, judge, row, field):
    before = counts()
    good = {"analyte": "腐霉利", "value": "0.1", "unit": "mg/kg"}
    with pytest.raises(ValidationError) as e:
        services.results_enter(actor=users.analyst, sample=received, rows=[good, row])
    assert "第 2 行" in e.value.message_dict["rows"][0] or "row 2" in e.value.message_dict["rows"][0]
    assert counts() == before


def test_unknown_food_refused(make_sample, users, judge):
    s = make_sample(product="苹果")
    services.sample_transition(actor=users.analyst, sample=s, action="receive")
    with pytest.raises(ValidationError):
        services.results_enter(
            actor=users.analyst, sample=s, rows=[{"analyte": "毒死蜱", "value": "1", "unit": "mg/kg"}]
        )
    assert LabResult.objects.count() == 0


def test_results_for_cancelled_sample_refused(make_sample, users, judge):
    s = make_sample()
    with pytest.raises(ValidationError) as e:
        services.sample_transition(actor=users.sampler, sample=s, action="cancel")
    assert "reason" in e.value.message_dict
    services.sample_transition(actor=users.sampler, sample=s, action="cancel", reason="样品包装破损")
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.results_enter(
            actor=users.analyst, sample=s, rows=[{"analyte": "毒死蜱", "value": "1", "unit": "mg/kg"}]
        )
    assert "已取消" in e.value.messages[0]
    assert counts() == before


def test_wrong_state_and_role_refused(make_sample, users):
    s = make_sample()
    with pytest.raises(ValidationError):
        services.sample_transition(actor=users.analyst, sample=s, action="publish")
    with pytest.raises(ValidationError):
        services.sample_transition(actor=users.qk, sample=s, action="receive")
    with pytest.raises(ValidationError):
        services.sample_transition(actor=users.analyst, sample=s, action="submit")
    s.refresh_from_db()
    assert s.state == "registered"
    assert s.events.count() == 1


@pytest.fixture
def certificate_receiver():
    """A receiver of ``certified_sample_failed`` that answers what it marked (as the certificates app does)."""
    calls = []

    def mark(**kw):
        calls.append(kw)
        return "certificate"

    certified_sample_failed.connect(mark)
    yield calls
    certified_sample_failed.disconnect(mark)


def test_correction_is_new_row_and_failure_opens_follow_up(received, users, judge, certificate_receiver):
    calls = certificate_receiver
    Sample.objects.filter(pk=received.pk).update(certificate_number="3207070001")
    received.refresh_from_db()
    [r1] = services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}]
    )
    with pytest.raises(ValidationError):
        services.result_correct(actor=users.analyst, result=r1, reason="", value="0.05")
    r2 = services.result_correct(actor=users.analyst, result=r1, reason="复检", value="0.05")
    r1.refresh_from_db()
    assert r2.supersedes == r1 and not r1.is_current and r2.is_current
    assert r1.value == Decimal("0.01") and r2.value == Decimal("0.05") and r2.verdict == "fail"
    services.sample_transition(actor=users.analyst, sample=received, action="submit")
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    received.refresh_from_db()
    assert received.verdict == "fail"
    fu = UnqualifiedFollowUp.objects.get(sample=received)
    assert fu.township.name == "青口镇" and fu.key_target_flagged and fu.certificate_flagged
    assert "毒死蜱" in fu.notice
    assert calls == [{"actor": users.analyst2, "number": "3207070001", "sample_code": received.code}]
    users.own_producer.refresh_from_db()
    assert users.own_producer.key_target and users.own_producer.tier == "C"
    # handling needs the trace and measures
    with pytest.raises(ValidationError) as e:
        services.follow_up_propose_close(actor=users.qk, follow_up=fu)
    assert set(e.value.message_dict) == {"trace_note", "measures"}
    with pytest.raises(ValidationError):
        services.follow_up_update(actor=users.zw, follow_up=fu, trace_note="x")
    services.follow_up_update(
        actor=users.qk,
        follow_up=fu,
        trace_note="查生产记录",
        measures="召回不合格批次并监督销毁",
        case_number="赣农罚〔2026〕1号",
    )
    services.follow_up_propose_close(actor=users.qk, follow_up=fu)
    services.follow_up_close(actor=users.admin, follow_up=fu)
    fu.refresh_from_db()
    assert fu.status == "handled" and fu.handled_by == users.admin and fu.proposed_by == users.qk


def test_send_back_and_reject(make_sample, received, users, judge):
    services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}],
        submit=True,
    )
    services.sample_transition(actor=users.analyst2, sample=received, action="send_back", reason="复核谱图")
    received.refresh_from_db()
    assert received.state == "received"
    ev = received.events.last()
    assert (ev.action, ev.from_state, ev.to_state, ev.reason, ev.actor) == (
        "send_back",
        "results_submitted",
        "received",
        "复核谱图",
        users.analyst2,
    )
    s2 = make_sample()
    services.sample_transition(actor=users.analyst, sample=s2, action="reject", reason="封条破损")
    s2.refresh_from_db()
    assert s2.state == "rejected"


@pytest.mark.parametrize(
    "verdicts,expected",
    [
        ([], ""),
        (["pass", "pass"], "pass"),
        (["pass", "not_judgeable"], "not_judgeable"),
        (["not_judgeable", "fail", "pass"], "fail"),
    ],
)
def test_roll_up(verdicts, expected):
    assert roll_up(verdicts) == expected


def test_not_judgeable_roll_up(received, users, judge):
    services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[
            {"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"},
            {"analyte": "新农药X", "value": "0.3", "unit": "mg/kg"},
        ],
        submit=True,
    )
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    received.refresh_from_db()
    assert received.verdict == "not_judgeable"
    assert not UnqualifiedFollowUp.objects.exists()


def test_tasks_and_scoping(make_sample, make_producer, users, ganyu):
    zw_prod = make_producer(name="柘汪渔业公司", town="柘汪镇", products=("南美白对虾",))
    task = services.task_create(actor=users.sampler, producer=zw_prod, samplers=[users.sampler])
    assert task.status == "open" and task.events.get().to_state == "open"
    s = make_sample(producer=zw_prod, product="南美白对虾", task=task)
    task.refresh_from_db()
    assert task.status == "sampled" and s.sector == "aquatic"
    make_sample()
    from nongan.monitoring.selectors import samples_for, tasks_for

    assert list(samples_for(users.qk).values_list("producer__name", flat=True)) == [
        "青口镇绿源蔬菜专业合作社"
    ]
    assert list(samples_for(users.zw).values_list("pk", flat=True)) == [s.pk]
    assert samples_for(users.producer).count() == 0  # its own sample is not shown to it before publication
    assert samples_for(users.admin).count() == 2
    assert tasks_for(users.qk).count() == 0
    with pytest.raises(ValidationError):
        make_sample(producer=zw_prod, product="南美白对虾", task=task)


def test_tasks_from_draw(users, make_producer, monkeypatch):
    p1 = make_producer(name="甲")
    p2 = make_producer(name="乙", town="柘汪镇")
    sel = [
        {"producer_id": p1.pk, "stratum": "A", "inspector_ids": [users.sampler.pk], "rank": 1},
        {"producer_id": p2.pk, "stratum": "B", "inspector_ids": [], "rank": 2},
    ]
    monkeypatch.setattr(services.common, "_selections_for_round", lambda rid: sel)
    made = services.tasks_from_draw(actor=users.sampler, round_id=7)
    assert [(t.producer.name, t.stratum, t.rank, t.source) for t in made] == [
        ("甲", "A", 1, "draw"),
        ("乙", "B", 2, "draw"),
    ]
    assert list(made[0].samplers.all()) == [users.sampler]
    assert services.tasks_from_draw(actor=users.sampler, round_id=7) == []
    assert SamplingTask.objects.count() == 2


def test_tasks_from_a_real_draw(users, make_producer):
    draws = pytest.importorskip("nongan.draws.services")
    for town, n in (("青口镇", 3), ("柘汪镇", 2)):
        for i in range(n):
            make_producer(name=f"{town}合作社{i}", town=town, village_index=i)
    rnd = draws.round_create(
        actor=users.admin,
        title="2026年例行监测抽样",
        purpose="sampling",
        region=users.admin.jurisdiction,
        year=2026,
        inspectors=[users.sampler, users.enforcement],
        filter_spec={"is_scale": True},
        ratio="0.5",
        strata="township",
        inspectors_per_object=2,
    )
    rnd = draws.round_freeze(actor=users.admin, rnd=rnd)
    rnd = commit_and_draw(users.admin, rnd)
    from nongan.draws.selectors import selections_for_round

    sel = selections_for_round(rnd.pk)
    made = services.tasks_from_draw(actor=users.sampler, round_id=rnd.pk)
    assert len(made) == len(sel) > 0
    assert [t.producer_id for t in made] == [s["producer_id"] for s in sel]
    assert all(t.samplers.count() == 2 for t in made)
    assert services.tasks_from_draw(actor=users.sampler, round_id=rnd.pk) == []
