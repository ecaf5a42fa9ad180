"""Monitoring's to-do on the workbench (nongan.core.todo): each role's items with exact counts and deadlines,
scoped to the jurisdiction, overdue first; the work lists behind them in the same order."""

import datetime as dt

import pytest
from django.utils import timezone

from nongan.core import todo
from nongan.monitoring import services
from nongan.monitoring.models import SamplingTask, UnqualifiedFollowUp

from .test_rapid_and_progress import item


def summary(user) -> list[tuple]:
    return [(i.key, i.count, i.due, i.overdue) for i in todo.items_for(user)]


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def tasks(users, make_producer):
    """The sampler's open tasks: two overdue, one due today, one later; another sampler's; one without a
    sampler (overdue) and a confirmation of a rapid-test positive without a sampler (due in 3 days)."""
    other = make_producer(name="柘汪镇合作社", town="柘汪镇")
    mine = [
        services.task_create(actor=users.admin, producer=users.own_producer, samplers=[users.sampler], due=d)
        for d in (days(-2), days(-5), days(0), days(3))
    ]
    services.task_create(actor=users.admin, producer=other, samplers=[users.enforcement], due=days(-9))
    services.task_create(actor=users.admin, producer=other, due=days(-1))
    [pos] = services.rapid_tests_record(
        actor=users.qk, items=[item(inhibition="72", producer=users.own_producer.code, lot="B-7")]
    )
    services.rapid_tests_record(actor=users.qk, items=[item(inhibition="68", retest_of=pos.pk)])
    return mine


def test_sampler_admin_and_townships_see_their_tasks_and_holds(client, users, tasks):
    assert summary(users.sampler) == [
        ("monitoring.my_tasks_overdue", 2, days(-5), 2),
        ("monitoring.my_tasks_today", 1, days(0), 0),
        ("monitoring.my_tasks_later", 1, days(3), 0),
    ]
    # the confirmation task from the positive has no sampler: it is on the administrator's to-do
    assert summary(users.admin) == [
        ("monitoring.tasks_without_sampler", 2, days(-1), 1),
        ("monitoring.holds", 1, days(3), 0),
    ]
    assert summary(users.qk) == [("monitoring.holds", 1, days(3), 0)]
    assert summary(users.zw) == []  # the hold is 青口镇's
    # the list behind the sampler's first item: the overdue tasks, the earliest deadline first
    client.force_login(users.sampler)
    page = client.get("/monitoring/tasks/?mine=1&status=open&due=overdue").context["page_obj"]
    assert [t.due for t in page] == [days(-5), days(-2)]
    html = client.get("/monitoring/tasks/?mine=1&status=open").content.decode()
    assert html.count("data-overdue") == 2
    order = [t.due for t in client.get("/monitoring/tasks/?mine=1&status=open").context["page_obj"]]
    assert order == [days(-5), days(-2), days(0), days(3)]
    client.force_login(users.admin)
    page = client.get("/monitoring/tasks/?status=open&unassigned=1").context["page_obj"]
    assert [(t.source, t.due) for t in page] == [("manual", days(-1)), ("rapid_positive", days(3))]
    # a sampled or cancelled task leaves the to-do
    services.task_cancel(actor=users.sampler, task=tasks[1], reason="主体停产")
    assert summary(users.sampler)[0] == ("monitoring.my_tasks_overdue", 1, days(-2), 1)


def test_the_lab_sees_its_queues_and_never_its_own_results_to_verify(users, make_sample, received, judge):
    make_sample(), make_sample()  # two to receive
    services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "腐霉利", "value": "0.5", "unit": "mg/kg"}]
    )
    services.sample_transition(actor=users.analyst, sample=received, action="submit")
    keys = ["monitoring.samples_to_receive", "monitoring.samples_to_test", "monitoring.results_to_verify"]
    counts = {i.key: i.count for i in todo.items_for(users.analyst)}
    assert counts == {keys[0]: 2}  # four eyes: the analyst who entered the results does not verify them
    counts = {i.key: i.count for i in todo.items_for(users.analyst2)}
    assert counts == {keys[0]: 2, keys[2]: 1}
    assert summary(users.sampler) == []  # not the lab's queues


def test_follow_ups_show_their_deadline_overdue_first_and_the_closing_goes_to_another(
    client, users, received, judge
):
    services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}]
    )
    services.sample_transition(actor=users.analyst, sample=received, action="submit")
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    fu = UnqualifiedFollowUp.objects.get(sample=received)
    UnqualifiedFollowUp.objects.filter(pk=fu.pk).update(noticed_at=timezone.now() - dt.timedelta(days=40))
    fu.refresh_from_db()
    deadline = days(-10)
    assert summary(users.qk) == [("monitoring.follow_ups", 1, deadline, 1)]
    assert summary(users.zw) == []
    assert ("monitoring.follow_ups", 1, deadline, 1) in summary(users.admin)
    client.force_login(users.qk)
    html = client.get("/monitoring/follow-ups/").content.decode()
    assert "data-overdue" in html and f"{deadline.year}年{deadline.month}月{deadline.day}日" in html
    # proposing to close moves it to someone else's approval (four eyes)
    services.follow_up_update(
        actor=users.qk, follow_up=fu, trace_note="查生产记录", measures="召回不合格批次并监督销毁"
    )
    services.follow_up_propose_close(actor=users.qk, follow_up=fu)
    assert summary(users.qk) == []
    admin = {i.key: i for i in todo.items_for(users.admin)}
    assert admin["monitoring.closings_to_approve"].count == 1
    assert admin["monitoring.closings_to_approve"].kind == todo.Kind.APPROVAL
    assert "monitoring.follow_ups" not in admin
    # the producer learns of it once the result is published
    assert summary(users.producer) == []
    services.sample_transition(actor=users.admin, sample=received, action="publish")
    assert summary(users.producer) == [
        ("monitoring.follow_ups_on_me", 1, deadline, 1),
        ("monitoring.results_published", 1, None, 0),
    ]


def test_task_list_keeps_closed_tasks_after_open_ones(client, users):
    open_task = services.task_create(actor=users.admin, producer=users.own_producer, due=days(5))
    done = services.task_create(actor=users.admin, producer=users.own_producer, due=days(-3))
    services.task_cancel(actor=users.admin, task=done, reason="重复任务")
    client.force_login(users.admin)
    assert [t.pk for t in client.get("/monitoring/tasks/").context["page_obj"]] == [open_task.pk, done.pk]
    assert SamplingTask.objects.get(pk=done.pk).status == "cancelled"
