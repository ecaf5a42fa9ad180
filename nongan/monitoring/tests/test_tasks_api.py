"""The sampling tasks API (/api/v1/monitoring/tasks/): the task list's scope and filters, assigning, taking off and
cancelling through the same services as the task list (same refusals, event rows and audit), and batch assignment
with an outcome per task."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from nongan.core.choices import Role
from nongan.core.models import AuditLog
from nongan.core.services import user_create
from nongan.monitoring import services
from nongan.monitoring.models import SamplingTask

from .test_batch import _zw_producer

URL = "/api/v1/monitoring/tasks/"


def _api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def world(users, ganyu):
    far_producer = _zw_producer(ganyu)
    today = timezone.localdate()
    near = services.task_create(
        actor=users.admin, producer=users.own_producer, due=today - dt.timedelta(days=1)
    )
    later = services.task_create(
        actor=users.admin, producer=users.own_producer, due=today + dt.timedelta(days=9)
    )
    far = services.task_create(actor=users.admin, producer=far_producer)
    qk_sampler = user_create(
        actor=None,
        username="qk_sampler",
        password="Nongan-test-2026",
        role=Role.SAMPLER,
        full_name="青口抽样员",
        jurisdiction=ganyu.town["青口镇"],
    )
    return near, later, far, qk_sampler


def test_the_list_is_the_task_lists_scope_and_order_and_producers_see_none(users, world):
    near, later, far, _qk = world
    body = _api(users.admin).get(URL).json()
    assert [t["id"] for t in body["results"]] == [near.pk, later.pk, far.pk]  # overdue first, undated last
    first = body["results"][0]
    assert (first["producer"], first["producer_name"], first["status"], first["samplers"]) == (
        users.own_producer.code,
        users.own_producer.name,
        "open",
        [],
    )
    assert [t["id"] for t in _api(users.qk).get(URL).json()["results"]] == [near.pk, later.pk]  # 青口镇 only
    assert [t["id"] for t in _api(users.admin).get(URL, {"due": "overdue"}).json()["results"]] == [near.pk]
    assert _api(users.qk).get(f"{URL}{far.pk}/").status_code == 404
    r = _api(users.producer).get(URL)  # a task is not announced to the producer it is about
    assert (r.status_code, r.json()["results"]) == (200, [])
    assert _api(users.producer).post(f"{URL}{near.pk}/cancel/", {"reason": "不想被抽"}).status_code == 404
    assert SamplingTask.objects.get(pk=near.pk).status == "open"


def test_assign_take_off_and_cancel_go_through_the_services(users, world):
    near, _later, far, qk_sampler = world
    api = _api(users.admin)
    r = api.post(f"{URL}{near.pk}/assign/", {"sampler": "qk_sampler"}, format="json")
    assert (r.status_code, r.json()["samplers"]) == (200, ["qk_sampler"])
    assert [t["id"] for t in _api(qk_sampler).get(URL, {"mine": "1"}).json()["results"]] == [near.pk]
    audit = AuditLog.objects.filter(object_id=str(near.pk), action="update").values_list("changes", flat=True)
    assert list(audit) == [{"samplers": [[], ["青口抽样员"]]}]

    # refusals: the service's messages as field errors or details, nothing changed
    r = api.post(f"{URL}{far.pk}/assign/", {"sampler": "qk_sampler"}, format="json")
    assert (r.status_code, r.json()) == (400, {"sampler": ["青口抽样员 的工作区域不包含该主体所在地。"]})
    r = api.post(f"{URL}{near.pk}/assign/", {"sampler": "nobody"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["sampler"]
    r = api.post(f"{URL}{near.pk}/unassign/", {"sampler": "qk_sampler"}, format="json")
    assert (r.status_code, r.json()) == (400, {"reason": ["请填写原因。"]})
    assert list(SamplingTask.objects.get(pk=near.pk).samplers.values_list("username", flat=True)) == [
        "qk_sampler"
    ]

    r = api.post(
        f"{URL}{near.pk}/unassign/", {"sampler": "qk_sampler", "reason": "抽样员病假"}, format="json"
    )
    assert (r.status_code, r.json()["samplers"]) == (200, [])
    r = api.post(f"{URL}{near.pk}/cancel/", {"reason": "农户外出"}, format="json")
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    assert list(near.events.order_by("id").values_list("action", "reason"))[1:] == [
        ("assign", ""),
        ("unassign", "抽样员病假"),
        ("cancel", "农户外出"),
    ]
    r = api.post(f"{URL}{near.pk}/assign/", {"sampler": "qk_sampler"}, format="json")
    assert (r.status_code, r.json()) == (400, {"non_field_errors": ["只有未完成的任务才能指派抽样人员。"]})


def test_batch_assignment_answers_each_task_and_undoes_none_of_the_others(users, world):
    near, later, far, _qk = world
    services.task_cancel(actor=users.admin, task=later, reason="农户外出")
    r = _api(users.admin).post(
        f"{URL}batch-assign/",
        {"sampler": "qk_sampler", "ids": [near.pk, later.pk, far.pk, 999999]},
        format="json",
    )
    assert r.status_code == 200
    assert r.json() == {
        "done": 1,
        "refused": 3,
        "items": [
            {"id": near.pk, "ok": True, "samplers": ["qk_sampler"]},
            {"id": later.pk, "ok": False, "error": "只有未完成的任务才能指派抽样人员。"},
            {"id": far.pk, "ok": False, "error": "青口抽样员 的工作区域不包含该主体所在地。"},
            {"id": 999999, "ok": False, "error": "在您的辖区内未找到。"},
        ],
    }
    assert {
        t.pk: list(t.samplers.values_list("username", flat=True)) for t in SamplingTask.objects.all()
    } == {
        near.pk: ["qk_sampler"],
        later.pk: [],
        far.pk: [],
    }
    bad = _api(users.admin).post(
        f"{URL}batch-assign/", {"sampler": "qk_sampler", "ids": [near.pk, near.pk]}, format="json"
    )
    assert (bad.status_code, bad.json()) == (
        400,
        {"ids": [f"每个任务只能提交一次；重复提交的任务：{near.pk}。"]},
    )
    empty = _api(users.admin).post(f"{URL}batch-assign/", {"sampler": "qk_sampler", "ids": []}, format="json")
    assert empty.status_code == 400 and list(empty.json()) == ["ids"]
