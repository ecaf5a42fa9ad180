"""Batch actions on the lists (receive, verify, print 抽样单; assign samplers to tasks) and the one-task
assignment they rest on: every ticked record goes through the same service as alone, in its own savepoint,
so refusals (wrong state, outside the user's scope, four eyes, a sampler from elsewhere) are reported per
record and undo nothing of the others."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from nongan.core.choices import Role
from nongan.core.models import AuditLog
from nongan.core.services import user_create
from nongan.monitoring import services
from nongan.monitoring.models import MonitoringEvent, Sample, SamplingTask

PASSWORD = "Nongan-test-2026"


def _audit(model, obj):
    ct = ContentType.objects.get_for_model(model)
    return list(
        AuditLog.objects.filter(content_type=ct, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("actor__username", "action", "changes")
    )


def _messages(response):
    """The message of this response (earlier redirects' messages may still wait in the same client)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1:]


def _user(username, role, region):
    return user_create(
        actor=None, username=username, password=PASSWORD, role=role, full_name=username, jurisdiction=region
    )


@pytest.fixture
def batch_client(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_batch_receive_does_each_it_may_and_reports_each_refusal(batch_client, users, ganyu, make_sample):
    lab = _user("lab_qk", Role.ANALYST, ganyu.town["青口镇"])  # the lab of 青口镇 only
    first, second, taken = make_sample(), make_sample(), make_sample()
    services.sample_transition(actor=users.analyst, sample=taken, action="receive")
    elsewhere = make_sample(producer=_zw_producer(ganyu))
    audit_before = {s.pk: _audit(Sample, s) for s in (taken, elsewhere)}

    response = batch_client(lab).post(
        reverse("monitoring:sample_batch"),
        {
            "action": "receive",
            "ids": [first.pk, taken.pk, elsewhere.pk, second.pk, first.pk],
            "query": "state=registered",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/monitoring/samples/?state=registered"
    assert _messages(response) == [
        f"已接收 2 个；2 个未处理：{taken.code}：处于“实验室已接收”状态的样品不能执行此操作。；"
        f"序号 {elsewhere.pk}：在您的辖区内未找到"
    ]
    states = dict(Sample.objects.values_list("pk", "state"))
    assert [states[s.pk] for s in (first, second, taken, elsewhere)] == [
        "received",
        "received",
        "received",
        "registered",
    ]
    for s in (first, second):  # each audited as if received alone, by the lab that did it
        assert _audit(Sample, s)[1:] == [("lab_qk", "update", {"state": ["registered", "received"]})]
        assert list(s.events.values_list("action", "actor__username")) == [
            ("register", "sampler"),
            ("receive", "lab_qk"),
        ]
    assert {s.pk: _audit(Sample, s) for s in (taken, elsewhere)} == audit_before


def _zw_producer(ganyu):
    from nongan.registry.services import producer_create

    return producer_create(
        actor=None,
        products=[ganyu.category("黄瓜")],
        name="柘汪镇测试合作社",
        type="cooperative",
        legal_rep="李四",
        phone="13812345679",
        region=ganyu.village("柘汪镇"),
        is_scale=True,
    )


def test_batch_verify_keeps_four_eyes_per_sample(batch_client, users, received, make_sample, judge):
    other = services.sample_transition(actor=users.analyst, sample=make_sample(), action="receive")
    row = {"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}
    services.results_enter(actor=users.analyst, sample=received, rows=[row], submit=True)
    services.results_enter(actor=users.analyst2, sample=other, rows=[row], submit=True)

    response = batch_client(users.analyst).post(
        reverse("monitoring:sample_batch"), {"action": "verify", "ids": [received.pk, other.pk]}
    )

    assert _messages(response) == [
        f"已审核 1 个；1 个未处理：{received.code}：您录入了该样品的检测结果；检测结果须由检测员以外的人员审核。"
    ]
    assert dict(Sample.objects.values_list("code", "state")) == {
        received.code: "results_submitted",
        other.code: "verified",
    }


def test_batch_refuses_more_than_the_limit_and_nothing_ticked(batch_client, users, make_sample):
    s = make_sample()
    c = batch_client(users.analyst)
    r = c.post(
        reverse("monitoring:sample_batch"), {"action": "receive", "ids": [s.pk, *range(10**6, 10**6 + 200)]}
    )
    assert _messages(r) == ["每次最多处理 200 行，您勾选了 201 行。"]
    r = c.post(reverse("monitoring:sample_batch"), {"action": "receive"})
    assert _messages(r) == ["请至少勾选一行。"]
    assert Sample.objects.get(pk=s.pk).state == "registered"


def test_batch_print_is_one_pdf_one_page_per_sample(batch_client, users, ganyu, make_sample):
    samples = [make_sample() for _ in range(3)]
    c = batch_client(users.qk)
    r = c.post(reverse("monitoring:sample_batch"), {"action": "print", "ids": [s.pk for s in samples]})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(r.content)).pages
    assert len(pages) == 3
    assert [samples[i].code in pages[i].extract_text() for i in range(3)] == [True, True, True]
    # a sample outside the township: nothing printed, and it is not named
    elsewhere = make_sample(producer=_zw_producer(ganyu))
    r = c.post(reverse("monitoring:sample_batch"), {"action": "print", "ids": [samples[0].pk, elsewhere.pk]})
    assert r.status_code == 302
    assert _messages(r) == ["所勾选的样品中有 1 个在您的辖区内未找到，未打印任何抽样单。"]


# ------------------------------------------------------------------------------------------ assigning
@pytest.fixture
def open_task(users):
    return services.task_create(actor=users.admin, producer=users.own_producer)


def _task_state(task):
    task = SamplingTask.objects.get(pk=task.pk)
    return (
        task.status,
        sorted(task.samplers.values_list("username", flat=True)),
        MonitoringEvent.objects.count(),
        AuditLog.objects.count(),
    )


@pytest.mark.parametrize(
    ("actor", "sampler", "expected"),
    [
        ("admin", "analyst", {"sampler": ["analyst不是抽样人员。"]}),
        ("admin", "zw_sampler", {"sampler": ["zw_sampler 的工作区域不包含该主体所在地。"]}),
        ("qk", "sampler", ["您无权为任务指派抽样人员。"]),
        ("zw_admin", "sampler", ["该任务不在您的辖区内。"]),
    ],
)
def test_task_assign_refusals_change_nothing(users, ganyu, open_task, actor, sampler, expected):
    users.zw_sampler = _user("zw_sampler", Role.SAMPLER, ganyu.town["柘汪镇"])
    users.zw_admin = _user("zw_admin", Role.DISTRICT_ADMIN, ganyu.town["柘汪镇"])
    before = _task_state(open_task)
    with pytest.raises(ValidationError) as e:
        services.task_assign(actor=getattr(users, actor), task=open_task, sampler=getattr(users, sampler))
    assert (e.value.message_dict if isinstance(expected, dict) else e.value.messages) == expected
    assert _task_state(open_task) == before


def test_task_assign_writes_event_and_audit_and_refuses_twice(users, ganyu, open_task):
    township_sampler = _user("qk_sampler", Role.SAMPLER, ganyu.town["青口镇"])
    services.task_assign(actor=users.admin, task=open_task, sampler=township_sampler)
    assert _task_state(open_task)[:2] == ("open", ["qk_sampler"])
    assert list(
        open_task.events.order_by("id").values_list("action", "from_state", "to_state", "actor__username")
    )[1:] == [("assign", "open", "open", "admin")]
    assert _audit(SamplingTask, open_task)[1:] == [("admin", "update", {"samplers": [[], ["qk_sampler"]]})]
    with pytest.raises(ValidationError) as e:
        services.task_assign(actor=users.admin, task=open_task, sampler=township_sampler)
    assert e.value.message_dict == {"sampler": ["qk_sampler 已是该任务的抽样人员。"]}


def test_batch_assign_and_the_row_form(batch_client, users, ganyu, open_task):
    cancelled = services.task_create(actor=users.admin, producer=users.own_producer)
    services.task_cancel(actor=users.admin, task=cancelled, reason="农户外出")
    far = services.task_create(actor=users.admin, producer=_zw_producer(ganyu))
    qk_sampler = _user("qk_sampler", Role.SAMPLER, ganyu.town["青口镇"])
    c = batch_client(users.admin)

    page = c.get(reverse("monitoring:task_list"))
    assert page.content.decode().count('form="task-batch"') == 2  # a box on each open task
    r = c.post(
        reverse("monitoring:task_batch_assign"),
        {"batch-sampler": qk_sampler.pk, "ids": [open_task.pk, cancelled.pk, far.pk, 999999]},
    )
    assert _messages(r) == [
        "已将 qk_sampler 指派到 1 个任务；3 个未处理："
        "青口镇绿源蔬菜专业合作社：只有未完成的任务才能指派抽样人员。；"
        "柘汪镇测试合作社：qk_sampler 的工作区域不包含该主体所在地。；"
        "序号 999999：在您的辖区内未找到"
    ]
    assert {
        t.pk: sorted(t.samplers.values_list("username", flat=True)) for t in SamplingTask.objects.all()
    } == {
        open_task.pk: ["qk_sampler"],
        cancelled.pk: [],
        far.pk: [],
    }
    r = c.post(reverse("monitoring:task_assign", args=[far.pk]), {"sampler": users.sampler.pk})
    assert _messages(r) == ["已将 sampler 指派到 柘汪镇测试合作社 的抽样任务。"]
    assert list(far.samplers.values_list("username", flat=True)) == ["sampler"]
    assert _audit(SamplingTask, far)[1:] == [("admin", "update", {"samplers": [[], ["sampler"]]})]


def test_task_unassign_takes_a_sampler_off_with_a_reason_and_refuses_what_it_may_not(users, ganyu, open_task):
    services.task_assign(actor=users.admin, task=open_task, sampler=users.sampler)
    services.task_assign(actor=users.admin, task=open_task, sampler=users.enforcement)
    before = _task_state(open_task)
    for actor, sampler, reason, expected in [
        (users.admin, users.sampler, "", {"reason": ["请填写原因。"]}),
        (users.admin, users.analyst, "调岗", {"sampler": ["analyst 不是该任务的抽样人员。"]}),
        (users.qk, users.sampler, "调岗", ["您无权从任务中移出抽样人员。"]),
    ]:
        with pytest.raises(ValidationError) as e:
            services.task_unassign(actor=actor, task=open_task, sampler=sampler, reason=reason)
        assert (e.value.message_dict if isinstance(expected, dict) else e.value.messages) == expected
        assert _task_state(open_task) == before

    services.task_unassign(actor=users.admin, task=open_task, sampler=users.sampler, reason="抽样员病假")
    assert _task_state(open_task)[:2] == ("open", ["enforcement"])
    assert list(open_task.events.order_by("id").values_list("action", "from_state", "to_state", "reason"))[
        -1
    ] == ("unassign", "open", "open", "抽样员病假")
    assert _audit(SamplingTask, open_task)[-1] == (
        "admin",
        "update",
        {"samplers": [["enforcement", "sampler"], ["enforcement"]]},
    )
    cancelled = services.task_create(actor=users.admin, producer=users.own_producer, samplers=[users.sampler])
    services.task_cancel(actor=users.admin, task=cancelled, reason="农户外出")
    with pytest.raises(ValidationError) as e:
        services.task_unassign(actor=users.admin, task=cancelled, sampler=users.sampler, reason="调岗")
    assert e.value.messages == ["只有未完成的任务才能更改抽样人员。"]


def test_the_task_list_removes_a_sampler_and_the_task_waits_for_one_again(batch_client, users, open_task):
    services.task_assign(actor=users.admin, task=open_task, sampler=users.sampler)
    c = batch_client(users.admin)
    page = c.get(reverse("monitoring:task_list")).content.decode()
    assert page.count('data-testid="task-unassign"') == 1 and "将 sampler 从任务中移出" in page
    url = reverse("monitoring:task_unassign", args=[open_task.pk])
    r = c.post(url, {"sampler": users.sampler.pk, "reason": ""})
    assert _messages(r) == ["请填写原因。"] and _task_state(open_task)[1] == ["sampler"]
    r = c.post(url, {"sampler": users.analyst.pk, "reason": "调岗"})
    assert _messages(r) == ["请选择该任务的一名抽样人员。"]
    r = c.post(url, {"sampler": users.sampler.pk, "reason": "抽样员病假", "query": "status=open"})
    assert r["Location"] == reverse("monitoring:task_list") + "?status=open"
    assert _messages(r) == ["已将 sampler 从 青口镇绿源蔬菜专业合作社 的抽样任务中移出。"]
    assert _task_state(open_task)[1] == []
    home = c.get("/").content.decode()
    assert 'data-todo="monitoring.tasks_without_sampler"' in home
    c = batch_client(users.sampler)  # a sampler sees no remove button and may not post one
    services.task_assign(actor=users.admin, task=open_task, sampler=users.sampler)
    assert 'data-testid="task-unassign"' not in c.get(reverse("monitoring:task_list")).content.decode()
    r = c.post(url, {"sampler": users.sampler.pk, "reason": "不想去"})
    assert _messages(r) == ["您无权从任务中移出抽样人员。"] and _task_state(open_task)[1] == ["sampler"]


def test_batch_sent_twice_with_its_token_runs_once(batch_client, users, make_sample):
    s = make_sample()
    c = batch_client(users.analyst)
    body = {"action": "receive", "ids": [s.pk], "idempotency_key": "5f0c0ffee0c0ffee0c0ffee0c0ffee01"}
    first = c.post(reverse("monitoring:sample_batch"), body)
    audit_rows = AuditLog.objects.count()
    again = c.post(reverse("monitoring:sample_batch"), body)
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (302, 302, "true")
    assert AuditLog.objects.count() == audit_rows
    assert list(s.events.values_list("action", flat=True)) == ["register", "receive"]
