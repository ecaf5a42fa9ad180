"""Monitoring's four workflows on the core runner: tasks, samples, follow-ups and sale holds — their refusals
(exact messages, nothing changed), their event rows, and the buttons the pages take from them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from nongan.core.models import AuditLog, WorkflowEvent
from nongan.core.workflow import StateWriteError, events_for
from nongan.monitoring import services
from nongan.monitoring.models import MonitoringEvent, SaleHold, Sample, SamplingTask, UnqualifiedFollowUp

from .test_rapid_and_progress import item


def _state(obj):
    obj = type(obj).objects.get(pk=obj.pk)
    return (
        obj.status if hasattr(obj, "status") else obj.state,
        MonitoringEvent.objects.count(),
        WorkflowEvent.objects.count(),
        AuditLog.objects.count(),
    )


@pytest.fixture
def task(users):
    return services.task_create(actor=users.sampler, producer=users.own_producer, samplers=[users.sampler])


@pytest.fixture
def hold(users):
    [pos] = services.rapid_tests_record(
        actor=users.qk, items=[item(inhibition="72", producer=users.own_producer.code, lot="B-7")]
    )
    services.rapid_tests_record(actor=users.qk, items=[item(inhibition="68", retest_of=pos.pk)])
    return SaleHold.objects.get(rapid_test=pos)


# ------------------------------------------------------------------------------------------ tasks
@pytest.mark.parametrize(
    ("who", "reason", "expected"),
    [
        ("analyst", "x", ["您无权取消抽样任务。"]),
        ("qk", "x", ["您无权取消抽样任务。"]),
        ("sampler", " ", {"reason": ["请填写原因。"]}),
    ],
)
def test_task_cancel_refusals_change_nothing(users, task, who, reason, expected):
    before = _state(task)
    with pytest.raises(ValidationError) as e:
        services.task_cancel(actor=getattr(users, who), task=task, reason=reason)
    assert (e.value.message_dict if isinstance(expected, dict) else e.value.messages) == expected
    assert _state(task) == before


def test_task_cancel_writes_the_event_and_refuses_twice(users, task):
    services.task_cancel(actor=users.sampler, task=task, reason="农户外出")
    assert task.status == "cancelled"
    assert list(task.events.order_by("id").values_list("action", "from_state", "to_state", "reason")) == [
        ("create", "", "open", ""),
        ("cancel", "open", "cancelled", "农户外出"),
    ]
    ev = task.events.order_by("id").last()
    assert (ev.subject, ev.action, ev.from_state, ev.to_state, ev.reason, ev.actor) == (
        "task",
        "cancel",
        "open",
        "cancelled",
        "农户外出",
        users.sampler,
    )
    log = AuditLog.objects.filter(content_type__model="samplingtask", object_id=str(task.pk)).latest("id")
    assert (log.changes, log.reason) == ({"status": ["open", "cancelled"]}, "农户外出")
    before = _state(task)
    with pytest.raises(ValidationError) as e:
        services.task_cancel(actor=users.sampler, task=task, reason="again")
    assert e.value.messages == ["只能取消待执行的任务。"]
    assert _state(task) == before


def test_a_cancelled_sample_cancels_its_task_with_an_event(users, task, make_sample):
    s = make_sample(task=task)
    task.refresh_from_db()
    assert task.status == "sampled"
    # The lab cancels: the task ends with the sample although analysts may not cancel tasks themselves.
    services.sample_transition(actor=users.analyst, sample=s, action="cancel", reason="样品包装破损")
    task.refresh_from_db()
    assert task.status == "cancelled"
    assert list(task.events.order_by("id").values_list("action", "from_state", "to_state", "reason")) == [
        ("create", "", "open", ""),
        ("sample", "open", "sampled", ""),
        ("sample_cancelled", "sampled", "cancelled", "样品包装破损"),
    ]
    assert services.ACTION_LABELS["sample_cancelled"] == "随样品取消"


def test_registering_on_a_task_that_is_no_longer_open_is_refused(users, task, make_sample):
    services.task_cancel(actor=users.sampler, task=task, reason="农户外出")
    before = (Sample.objects.count(), _state(task))
    with pytest.raises(ValidationError) as e:
        make_sample(task=task)
    assert e.value.message_dict == {"task": ["该任务已不是待执行状态。"]}
    assert (Sample.objects.count(), _state(task)) == before


# ------------------------------------------------------------------------------------------ samples
def test_sample_refusals_are_exact(users, make_sample):
    s = make_sample()
    before = _state(s)
    cases = [
        (users.analyst, "publish", "", ["处于“已登记”状态的样品不能执行此操作。"]),
        (users.qk, "receive", "", ["您的角色无权进行此操作。"]),
        (users.analyst, "reject", "", {"reason": ["请填写原因。"]}),
        (users.analyst, "fly", "", ["未知操作“fly”。"]),
    ]
    for actor, action, reason, expected in cases:
        with pytest.raises(ValidationError) as e:
            services.sample_transition(actor=actor, sample=s, action=action, reason=reason)
        assert (e.value.message_dict if isinstance(expected, dict) else e.value.messages) == expected
    services.sample_transition(actor=users.analyst, sample=s, action="receive")
    with pytest.raises(ValidationError) as e:
        services.sample_transition(actor=users.analyst, sample=s, action="submit")
    assert e.value.messages == ["提交前请至少录入一条检测结果。"]
    assert _state(s)[0] == "received" and _state(s)[1] == before[1] + 1


def test_the_sample_state_cannot_be_written_directly(make_sample):
    s = make_sample()
    s.state = "published"
    with pytest.raises(StateWriteError):
        s.save()
    with pytest.raises(StateWriteError):
        Sample.objects.filter(pk=s.pk).update(state="published")
    with pytest.raises(StateWriteError):
        SamplingTask.objects.update(status="cancelled")
    assert Sample.objects.get(pk=s.pk).state == "registered"


def test_available_transitions_follow_role_and_state(users, make_sample):
    s = make_sample()
    names = lambda u: [t.name for t in services.available_transitions(u, s)]  # noqa: E731
    assert names(users.analyst) == ["receive", "reject", "cancel"]
    assert names(users.sampler) == ["cancel"]
    assert names(users.qk) == []
    assert [t.name for t in services.SAMPLE_WORKFLOW.available(users.analyst, s) if t.destructive] == [
        "reject",
        "cancel",
    ]


# ------------------------------------------------------------------------------------------ holds
def test_hold_release_refusals_change_nothing(users, hold):
    before = _state(hold)
    for actor, reason, expected in [
        (users.sampler, "x", ["您的角色无权解除暂停销售。"]),
        (users.qk, "", {"reason": ["请填写原因。"]}),
    ]:
        with pytest.raises(ValidationError) as e:
            services.sale_hold_release(actor=actor, hold=hold, reason=reason)
        assert (e.value.message_dict if isinstance(expected, dict) else e.value.messages) == expected
    assert _state(hold) == before


def test_hold_release_writes_a_state_change_and_refuses_twice(users, hold):
    services.sale_hold_release(actor=users.qk, hold=hold, reason=" 定量检测合格 ")
    hold.refresh_from_db()
    assert (hold.status, hold.release_reason) == ("released", "定量检测合格") and hold.released_at
    ev = events_for(hold).get()
    assert (ev.action, ev.from_state, ev.to_state, ev.reason, ev.actor) == (
        "release",
        "held",
        "released",
        " 定量检测合格 ",
        users.qk,
    )
    before = _state(hold)
    with pytest.raises(ValidationError) as e:
        services.sale_hold_release(actor=users.qk, hold=hold, reason="again")
    assert e.value.messages == ["该批次未被暂停销售。"]
    assert _state(hold) == before


# ------------------------------------------------------------------------------------------ follow-ups
@pytest.fixture
def follow_up(received, users, judge):
    services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}]
    )
    services.sample_transition(actor=users.analyst, sample=received, action="submit")
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    return UnqualifiedFollowUp.objects.get(sample=received)


def test_follow_up_close_refusals_and_event(users, follow_up):
    before = _state(follow_up)
    for actor, expected in [
        (users.sampler, ["您的角色无权处置不合格结果。"]),
        (users.zw, ["该主体不在您的辖区内。"]),
    ]:
        with pytest.raises(ValidationError) as e:
            services.follow_up_propose_close(actor=actor, follow_up=follow_up)
        assert e.value.messages == expected
    with pytest.raises(ValidationError) as e:
        services.follow_up_propose_close(actor=users.qk, follow_up=follow_up)
    assert set(e.value.message_dict) == {"trace_note", "measures"}
    assert _state(follow_up) == before
    services.follow_up_update(
        actor=users.qk, follow_up=follow_up, trace_note="查生产记录", measures="召回不合格批次并监督销毁"
    )
    services.follow_up_propose_close(actor=users.qk, follow_up=follow_up)
    services.follow_up_close(actor=users.admin, follow_up=follow_up)
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.handled_by) == ("handled", users.admin) and follow_up.handled_at
    ev = follow_up.sample.events.order_by("id").last()
    assert (ev.subject, ev.action, ev.from_state, ev.to_state) == (
        "follow_up",
        "follow_up_close",
        "proposed",
        "handled",
    )
    with pytest.raises(ValidationError) as e:
        services.follow_up_close(actor=users.qk, follow_up=follow_up)
    assert e.value.messages == ["该不合格结果已处置完毕。"]


# ------------------------------------------------------------------------------------------ pages
def test_pages_offer_only_the_workflow_buttons(client, users, task, hold, follow_up):
    cancel_url = reverse("monitoring:task_cancel", args=[task.pk])
    release_url = reverse("monitoring:hold_release", args=[hold.pk])
    client.force_login(users.sampler)
    assert cancel_url in client.get(reverse("monitoring:task_list")).content.decode()
    assert release_url not in client.get(reverse("monitoring:rapid_list")).content.decode()
    client.force_login(users.analyst)
    assert cancel_url not in client.get(reverse("monitoring:task_list")).content.decode()
    client.force_login(users.qk)
    assert release_url in client.get(reverse("monitoring:rapid_list")).content.decode()
    page = client.get(reverse("monitoring:follow_up_detail", args=[follow_up.pk])).content.decode()
    assert 'name="close"' in page
    client.force_login(users.sampler)
    page = client.get(reverse("monitoring:follow_up_detail", args=[follow_up.pk])).content.decode()
    assert 'name="close"' not in page
