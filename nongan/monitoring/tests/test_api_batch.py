"""POST /api/v1/monitoring/samples/batch/: one workflow action for many samples, each through the same service as
the single ``transition`` (checked, audited and ledgered alone, in its own transaction), looked up in the
caller's jurisdiction only; 400 only for a bad body."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType

from nongan.core.choices import Role
from nongan.core.models import AuditLog, LedgerEntry
from nongan.monitoring import services
from nongan.monitoring.models import MonitoringEvent, Sample

from .test_batch import _user, _zw_producer

URL = "/api/v1/monitoring/samples/batch/"


def _audit(obj):
    ct = ContentType.objects.get_for_model(Sample)
    return list(
        AuditLog.objects.filter(content_type=ct, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("actor__username", "action", "changes")
    )


def _ledger(obj):
    return [
        (e.kind, e.actor_repr, json.loads(e.payload).get("to"))
        for e in LedgerEntry.objects.filter(ref__contains=obj.code).order_by("seq")
    ]


def _post(client, user, body):
    client.force_login(user)
    return client.post(URL, body, content_type="application/json")


def _world():
    return (
        dict(Sample.objects.values_list("code", "state")),
        AuditLog.objects.count(),
        LedgerEntry.objects.count(),
        MonitoringEvent.objects.count(),
    )


def test_the_lab_receives_three_in_one_call_and_each_is_as_if_received_alone(
    client, users, ganyu, make_sample
):
    lab = _user("lab_qk", Role.ANALYST, ganyu.town["青口镇"])
    first, taken, second, alone = make_sample(), make_sample(), make_sample(), make_sample()
    services.sample_transition(actor=users.analyst, sample=taken, action="receive")
    taken_before = (
        _audit(taken),
        _ledger(taken),
        list(taken.events.values_list("action", "actor__username")),
    )
    # the same action on its own, for comparison
    client.force_login(lab)
    r = client.post(
        f"/api/v1/monitoring/samples/{alone.code}/transition/",
        {"action": "receive"},
        content_type="application/json",
    )
    assert r.status_code == 200

    r = _post(client, lab, {"action": "receive", "codes": [first.code, taken.code, second.code]})

    assert r.status_code == 200, r.content
    assert r.json() == {
        "done": 2,
        "refused": 1,
        "items": [
            {"code": first.code, "ok": True, "state": "received"},
            {"code": taken.code, "ok": False, "error": "处于“实验室已接收”状态的样品不能执行此操作。"},
            {"code": second.code, "ok": True, "state": "received"},
        ],
    }
    states = dict(Sample.objects.values_list("code", "state"))
    assert [states[s.code] for s in (first, taken, second)] == ["received"] * 3
    for s in (first, second):  # audit, event and ledger rows exactly those of the single transition
        assert (
            _audit(s)[1:]
            == _audit(alone)[1:]
            == [("lab_qk", "update", {"state": ["registered", "received"]})]
        )
        assert list(s.events.values_list("action", "actor__username")) == [
            ("register", "sampler"),
            ("receive", "lab_qk"),
        ]
        assert [k for k, _a, _t in _ledger(s)] == [k for k, _a, _t in _ledger(alone)]
        assert [k for k, _a, _t in _ledger(s)][-1] == "monitoring.received"
    assert (
        _audit(taken),
        _ledger(taken),
        list(taken.events.values_list("action", "actor__username")),
    ) == taken_before


def test_a_code_outside_the_jurisdiction_reads_as_unknown_and_is_unchanged(client, users, ganyu, make_sample):
    lab = _user("lab_qk", Role.ANALYST, ganyu.town["青口镇"])
    mine, elsewhere = make_sample(), make_sample(producer=_zw_producer(ganyu))
    audit_before = _audit(elsewhere)

    r = _post(client, lab, {"action": "receive", "codes": [elsewhere.code, "NO-SUCH-CODE", mine.code]})

    assert r.status_code == 200
    assert r.json() == {
        "done": 1,
        "refused": 2,
        "items": [
            {"code": elsewhere.code, "ok": False, "error": "在您的辖区内未找到。"},
            {"code": "NO-SUCH-CODE", "ok": False, "error": "在您的辖区内未找到。"},
            {"code": mine.code, "ok": True, "state": "received"},
        ],
    }
    elsewhere.refresh_from_db()
    assert elsewhere.state == "registered" and _audit(elsewhere) == audit_before
    assert not elsewhere.events.filter(action="receive").exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"action": "receive", "codes": []}, {"codes": ["列表不能为空。"]}),
        (
            {"action": "receive", "codes": [f"C{i}" for i in range(201)]},
            {"codes": ["该字段不能超过 200 个元素。"]},
        ),
        (
            {"action": "receive", "codes": ["A", "B", "A", "A"]},
            {"codes": ["每个样品只能提交一次；重复提交的样品：A。"]},
        ),
        ({"action": "fly", "codes": ["A"]}, {"action": ["“fly” 不是合法选项。"]}),
        ({"codes": ["A"]}, {"action": ["该字段是必填项。"]}),
    ],
)
def test_a_bad_body_is_400_with_field_errors_and_changes_nothing(client, users, make_sample, body, errors):
    make_sample()
    before = _world()
    r = _post(client, users.analyst, body)
    assert r.status_code == 400
    assert r.json() == errors
    assert _world() == before


def test_a_sampler_may_receive_none_and_nothing_changes(client, users, make_sample):
    samples = [make_sample(), make_sample()]
    before = _world()

    r = _post(client, users.sampler, {"action": "receive", "codes": [s.code for s in samples]})

    assert r.status_code == 200
    body = r.json()
    assert body["done"] == 0 and body["refused"] == 2
    assert [i["code"] for i in body["items"]] == [s.code for s in samples]
    assert {(i["ok"], "state" in i) for i in body["items"]} == {(False, False)}
    assert {i["error"] for i in body["items"]} == {"您的角色无权进行此操作。"}
    assert _world() == before
