"""Versions of producers and their children: every edit is a compare-and-set (nongan.core.versions)."""

import pytest
from django.test import Client

from conftest import on_postgresql
from nongan.core.accounts import token_create
from nongan.core.models import AuditLog
from nongan.core.versions import StaleVersion
from nongan.registry import services
from nongan.registry.models import Contact, Producer

from .test_producer_forms import GOOD, fix_credit

STALE = (
    "这条记录在您打开后已被他人修改（您打开的是第 %d 版，现在是第 %d 版），本次没有保存。"
    "请查看改动后重新修改。"
)


@pytest.fixture
def api(client, users):
    _token, key = token_create(actor=users.qk, user=users.qk)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def updates(p):
    return list(
        AuditLog.objects.filter(object_id=str(p.pk), content_type__model="producer", action="update")
        .order_by("id")
        .values_list("changes", flat=True)
    )


def test_two_saves_from_the_same_version_make_one_change_and_one_refusal(users):
    p = users.own_producer
    assert p.version == 1
    first, second = Producer.objects.get(pk=p.pk), Producer.objects.get(pk=p.pk)
    services.producer_update(actor=users.qk, producer=first, expected_version=1, phone="13900000001")
    assert first.version == 2
    with pytest.raises(StaleVersion) as e:
        services.producer_update(actor=users.qk, producer=second, expected_version=1, address="旧地址")
    assert e.value.messages == [STALE % (1, 2)]
    assert (e.value.expected, e.value.current) == (1, 2)
    p.refresh_from_db()
    assert (p.phone, p.address, p.version) == ("13900000001", "", 2)
    # The audit log shows exactly the one update, and no revert.
    assert updates(p) == [{"version": [1, 2], "phone": ["13812345678", "13900000001"]}]


def test_a_stale_copy_saved_without_an_expected_version_is_refused_by_the_compare_and_set(users):
    p = users.own_producer
    stale = Producer.objects.get(pk=p.pk)
    services.producer_update(actor=users.qk, producer=p, phone="13900000001")
    with pytest.raises(StaleVersion):
        services.producer_update(actor=users.qk, producer=stale, address="旧副本")
    p.refresh_from_db()
    assert (p.phone, p.address, p.version) == ("13900000001", "", 2)
    assert len(updates(p)) == 1


def test_a_status_change_makes_an_open_edit_stale(users):
    p = users.own_producer
    opened = Producer.objects.get(pk=p.pk)
    services.producer_set_status(actor=users.qk, producer=p, status="suspended", reason="停产整顿")
    assert p.version == 2
    with pytest.raises(StaleVersion):
        services.producer_update(actor=users.qk, producer=opened, expected_version=1, status="active")
    p.refresh_from_db()
    assert (p.status, p.version) == ("suspended", 2)


def test_children_and_staff_carry_versions(users, ganyu):
    c = Contact.objects.create(producer=users.own_producer, name="王五", phone="13800000002")
    assert c.version == 1
    services.contact_save(actor=users.qk, contact=c, expected_version=1)
    assert c.version == 2
    c.title = "会计"
    with pytest.raises(StaleVersion):
        services.contact_save(actor=users.qk, contact=c, expected_version=1)
    assert Contact.objects.get(pk=c.pk).title == ""


# ------------------------------------------------------------------------------------------ the API
def test_detail_get_answers_the_version_as_etag(api, users):
    p = users.own_producer
    r = api.get(f"/api/v1/producers/{p.pk}/")
    assert (r.status_code, r["ETag"], r.json()["version"]) == (200, '"1"', 1)


def test_patch_with_the_current_if_match_saves_and_moves_the_version(api, users):
    p = users.own_producer
    r = api.patch(
        f"/api/v1/producers/{p.pk}/",
        {"phone": "13900000001"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert (r.status_code, r["ETag"], r.json()["version"], r.json()["phone"]) == (
        200,
        '"2"',
        2,
        "13900000001",
    )
    assert api.get(f"/api/v1/producers/{p.pk}/")["ETag"] == '"2"'


def test_patch_with_a_stale_if_match_answers_412_with_what_changed(api, users):
    p = users.own_producer
    url = f"/api/v1/producers/{p.pk}/"
    api.patch(url, {"phone": "13900000001"}, content_type="application/json", HTTP_IF_MATCH='"1"')
    r = api.patch(url, {"address": "旧地址"}, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert (r.status_code, r["ETag"]) == (412, '"2"')
    assert r.json() == {
        "detail": STALE % (1, 2),
        "code": "stale_version",
        "your_version": 1,
        "version": 2,
        "changed": {"phone": {"was": "13812345678", "now": "13900000001"}},
    }
    p.refresh_from_db()
    assert (p.address, p.phone, p.version) == ("", "13900000001", 2)
    assert len(updates(p)) == 1


def test_the_body_version_is_checked_when_there_is_no_if_match(api, users):
    p = users.own_producer
    url = f"/api/v1/producers/{p.pk}/"
    assert (
        api.patch(url, {"phone": "13900000001", "version": 1}, content_type="application/json").status_code
        == 200
    )
    r = api.patch(url, {"address": "旧地址", "version": 1}, content_type="application/json")
    assert (r.status_code, r.json()["changed"]) == (
        412,
        {"phone": {"was": "13812345678", "now": "13900000001"}},
    )
    # Without either the write is accepted (documented in docs/architecture.md).
    r = api.patch(url, {"address": "新地址"}, content_type="application/json")
    assert (r.status_code, r["ETag"]) == (200, '"3"')


@pytest.mark.parametrize("header", ["abc", '"1", "2"'])
def test_a_malformed_if_match_is_a_400(api, users, header):
    p = users.own_producer
    r = api.patch(
        f"/api/v1/producers/{p.pk}/",
        {"phone": "13900000001"},
        content_type="application/json",
        HTTP_IF_MATCH=header,
    )
    assert (r.status_code, r.json()) == (400, {"version": ['请把 If-Match 写成该记录的 ETag，例如 "3"。']})
    assert Producer.objects.get(pk=p.pk).version == 1


def test_a_body_version_that_is_not_a_number_is_a_400(api, users):
    p = users.own_producer
    r = api.patch(f"/api/v1/producers/{p.pk}/", {"version": "x"}, content_type="application/json")
    assert (r.status_code, r.json()) == (400, {"version": ["版本号必须是整数。"]})


# ------------------------------------------------------------------------------------------ the form
@pytest.fixture
def qk_client(client, users):
    client.force_login(users.qk)
    return client


def test_a_stale_form_is_refused_and_shows_what_changed(qk_client, users, ganyu):
    p = users.own_producer
    p.credit_code = fix_credit("93320707MA1XYW123")
    p.save()  # version 2
    url = f"/registry/producers/{p.pk}/edit/"
    assert 'name="version" value="2"' in qk_client.get(url).content.decode()
    # Someone else changes the phone while the form is open.
    services.producer_update(actor=users.admin, producer=Producer.objects.get(pk=p.pk), phone="13900000001")
    data = dict(
        GOOD,
        name=p.name,
        type=p.type,
        credit_code=p.credit_code,
        legal_rep=p.legal_rep,
        phone="13812345678",
        region=p.region_id,
        products=[ganyu.category("黄瓜").pk],
        address="我的新地址",
        established="",
        is_scale="on",
        version="2",
    )
    r = qk_client.post(url, data)
    assert r.status_code == 200
    p.refresh_from_db()
    assert (p.phone, p.address, p.version) == ("13900000001", "", 3)
    form = r.context["form"]
    assert form.stale_message == STALE % (2, 3)
    rows = [(str(row["field"]), row["was"], row["yours"], row["now"], row["changed"]) for row in form.stale]
    assert rows == [
        ("手机号", "13812345678", "13812345678", "13900000001", True),
        ("地址", "", "我的新地址", "", False),
    ]
    page = r.content.decode()
    assert "13900000001" in page and "我的新地址" in page and 'name="version" value="3"' in page
    assert updates(p) == [{"version": [2, 3], "phone": ["13812345678", "13900000001"]}]  # nothing refused


# ------------------------------------------------------------------------------------------ PostgreSQL
@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_patches_from_one_version_save_exactly_one(parallel, users):
    p = users.own_producer
    _t, key = token_create(actor=users.qk, user=users.qk)
    fields = [("address", f"地址{i}") if i % 2 else ("notes", f"备注{i}") for i in range(20)]

    def patch(i):
        name, value = fields[i]
        r = Client(HTTP_AUTHORIZATION=f"Token {key}").patch(
            f"/api/v1/producers/{p.pk}/", {name: value}, content_type="application/json", HTTP_IF_MATCH='"1"'
        )
        return r.status_code

    results, errors = parallel(patch, n=20)
    assert errors == []
    assert sorted(results) == [200] + [412] * 19
    winner = fields[results.index(200)]
    p.refresh_from_db()
    assert (p.version, getattr(p, winner[0])) == (2, winner[1])
    assert (p.address or p.notes) == winner[1] and not (p.address and p.notes)
    assert len(updates(p)) == 1


def test_a_key_target_flag_on_an_older_copy_writes_the_stored_row_and_makes_open_edits_stale(users):
    p = users.own_producer
    older = Producer.objects.get(pk=p.pk)
    services.producer_update(actor=users.qk, producer=p, expected_version=1, phone="13900000001")
    services.producer_flag_key_target(actor=None, producer=older, reason="抽检不合格")
    p.refresh_from_db()
    assert (p.key_target, p.tier, p.phone, p.version, older.version) == (True, "C", "13900000001", 3, 1)
    with pytest.raises(StaleVersion):
        services.producer_update(actor=users.qk, producer=older, expected_version=1, notes="x")
