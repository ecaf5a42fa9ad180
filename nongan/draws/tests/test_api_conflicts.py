"""The conflicts API (/api/v1/draw-conflicts/): declare, list, withdraw, scoped like the conflicts page."""

import pytest

from nongan.core.models import AuditLog
from nongan.draws.models import InspectorConflict

URL = "/api/v1/draw-conflicts/"


@pytest.fixture
def api(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_inspector_declares_lists_and_withdraws_own(api, users, spread):
    c = api(users.sampler)
    r = c.post(
        URL,
        {"producer": spread[0].code, "kind": "relative", "reason": "妻弟是该社社长"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    conflict = InspectorConflict.objects.get()
    assert (conflict.inspector, conflict.producer, conflict.kind, conflict.declared_by) == (
        users.sampler,
        spread[0],
        "relative",
        users.sampler,
    )
    assert r.json()["producer"] == spread[0].code and r.json()["is_active"] is True
    assert AuditLog.objects.filter(object_id=str(conflict.pk), object_repr=str(conflict)).count() == 1
    rows = c.get(URL).json()["results"]
    assert [row["id"] for row in rows] == [conflict.pk]
    r = c.post(f"{URL}{conflict.pk}/withdraw/", {"reason": "已调岗"}, content_type="application/json")
    assert r.status_code == 200, r.content
    conflict.refresh_from_db()
    assert conflict.withdraw_reason == "已调岗" and conflict.withdrawn_at is not None
    assert r.json()["is_active"] is False


def test_bad_input_is_400_in_chinese_and_saves_nothing(api, users, spread):
    c = api(users.sampler)
    r = c.post(URL, {"producer": "000", "kind": "nonsense", "reason": ""}, content_type="application/json")
    assert r.status_code == 400
    errors = r.json()
    assert errors["producer"] == ["本辖区内没有该登记编号的生产经营主体。"]
    assert set(errors) == {"producer", "kind", "reason"}
    assert InspectorConflict.objects.count() == 0


def test_duplicate_declaration_is_400(api, users, spread):
    c = api(users.sampler)
    body = {"producer": spread[0].code, "kind": "relative", "reason": "亲属"}
    assert c.post(URL, body, content_type="application/json").status_code == 201
    r = c.post(URL, body, content_type="application/json")
    assert r.status_code == 400
    assert InspectorConflict.objects.count() == 1


def test_township_user_cannot_declare_or_see_for_another_township(api, users, spread):
    zw_producer = spread[5]  # 柘汪镇合作社1
    assert zw_producer.region.path.startswith(users.zw.jurisdiction.path)
    c = api(users.qk)
    r = c.post(
        URL,
        {"producer": zw_producer.code, "kind": "relative", "reason": "亲属"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["producer"] == ["本辖区内没有该登记编号的生产经营主体。"]
    assert InspectorConflict.objects.count() == 0
    # the district administrator declares a conflict on a 柘汪镇 producer for the sampler
    api(users.admin).post(
        URL,
        {"inspector": users.sampler.pk, "producer": zw_producer.code, "kind": "relative", "reason": "亲属"},
        content_type="application/json",
    )
    other = InspectorConflict.objects.get()
    c = api(users.qk)
    assert c.get(URL).json()["results"] == []
    assert c.get(f"{URL}{other.pk}/").status_code == 404
    r = c.post(f"{URL}{other.pk}/withdraw/", {"reason": "越权"}, content_type="application/json")
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.withdrawn_at is None


def test_only_administrators_declare_for_someone_else(api, users, spread):
    c = api(users.sampler)
    r = c.post(
        URL,
        {"inspector": users.enforcement.pk, "producer": spread[0].code, "kind": "relative", "reason": "亲属"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "inspector" in r.json()
    assert InspectorConflict.objects.count() == 0
    r = api(users.admin).post(
        URL,
        {
            "inspector": users.enforcement.pk,
            "producer": spread[6].code,
            "kind": "recent_contact",
            "reason": "检查过",
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    conflict = InspectorConflict.objects.get()
    assert (conflict.inspector, conflict.declared_by) == (users.enforcement, users.admin)
    # the inspector sees it, another inspector neither sees nor withdraws it
    assert [row["id"] for row in api(users.enforcement).get(URL).json()["results"]] == [conflict.pk]
    c = api(users.analyst)
    assert c.get(URL).json()["results"] == []
    r = c.post(f"{URL}{conflict.pk}/withdraw/", {"reason": "越权"}, content_type="application/json")
    assert r.status_code == 404
    conflict.refresh_from_db()
    assert conflict.withdrawn_at is None


def test_withdraw_needs_a_reason_and_happens_once(api, users, spread):
    c = api(users.sampler)
    c.post(
        URL,
        {"producer": spread[0].code, "kind": "relative", "reason": "亲属"},
        content_type="application/json",
    )
    conflict = InspectorConflict.objects.get()
    r = c.post(f"{URL}{conflict.pk}/withdraw/", {"reason": ""}, content_type="application/json")
    assert r.status_code == 400 and "reason" in r.json()
    conflict.refresh_from_db()
    assert conflict.withdrawn_at is None
    assert (
        c.post(
            f"{URL}{conflict.pk}/withdraw/", {"reason": "调岗"}, content_type="application/json"
        ).status_code
        == 200
    )
    r = c.post(f"{URL}{conflict.pk}/withdraw/", {"reason": "再次"}, content_type="application/json")
    assert r.status_code == 400
    conflict.refresh_from_db()
    assert conflict.withdraw_reason == "调岗"


def test_producer_accounts_may_not_declare(api, users, spread):
    c = api(users.producer)
    assert c.get(URL).json()["results"] == []
    r = c.post(
        URL,
        {"producer": spread[0].code, "kind": "relative", "reason": "亲属"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert InspectorConflict.objects.count() == 0
