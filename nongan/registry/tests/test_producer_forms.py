import pytest

from nongan.core.models import AuditLog
from nongan.registry.models import Producer

GOOD = {
    "name": "赣榆区青口镇新禾蔬菜专业合作社",
    "type": "cooperative",
    "credit_code": "93320707MA1XYW1234",
    "legal_rep": "李建华",
    "id_number": "",
    "phone": "13912345678",
    "address": "青口镇人民路1号",
    "is_scale": "on",
    "tier": "B",
    "tier_reason": "",
    "status": "active",
    "status_reason": "",
    "established": "2019-03-01",
    "notes": "",
}


def fix_credit(code17):
    from nongan.core.validators import uscc_check_char

    return code17 + uscc_check_char(code17)


@pytest.fixture
def qk_client(client, users):
    client.force_login(users.qk)
    return client


def post(client, ganyu, **changes):
    data = dict(
        GOOD,
        credit_code=fix_credit("93320707MA1XYW123"),
        region=ganyu.village("青口镇", 2).pk,
        products=[ganyu.category("黄瓜").pk],
    )
    data.update(changes)
    return client.post("/registry/producers/new/", data)


def test_create_registers_audits_and_numbers_the_producer(qk_client, ganyu, users):
    r = post(qk_client, ganyu)
    assert r.status_code == 302
    p = Producer.objects.get(name=GOOD["name"])
    assert p.code == "320707100000002"  # the fixture's own producer took …001
    assert [pl.category.name for pl in p.product_lines.all()] == ["黄瓜"]
    assert p.name_initials == "gyqqkzxhsczyhzs"
    entry = AuditLog.objects.get(object_id=str(p.pk), content_type__model="producer")
    assert entry.action == "create" and entry.actor == users.qk
    assert entry.changes["name"] == [None, GOOD["name"]]


@pytest.mark.parametrize(
    ("field", "value", "error_field", "message"),
    [
        ("credit_code", "93320707MA1XYW1230", "credit_code", "统一社会信用代码的校验码不正确（GB 32100）。"),
        ("credit_code", "", "credit_code", "企业、合作社、屠宰场和市场须填写统一社会信用代码。"),
        ("phone", "1381234567", "phone", "请输入以 1 开头的 11 位大陆手机号，例如 13812345678。"),
        ("id_number", "110105194912310021", "id_number", "身份证号的校验码不正确（GB 11643）。"),
        ("tier", "C", "tier_reason", "请填写列为 C 级（重点监管）的理由。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(
    qk_client, ganyu, field, value, error_field, message
):
    before = (Producer.objects.count(), AuditLog.objects.count())
    r = post(qk_client, ganyu, **{field: value})
    assert r.status_code == 200
    assert r.context["form"].errors[error_field] == [message]
    assert (Producer.objects.count(), AuditLog.objects.count()) == before


def test_region_outside_jurisdiction_is_not_a_choice(qk_client, ganyu):
    before = Producer.objects.count()
    r = post(qk_client, ganyu, region=ganyu.village("柘汪镇").pk)
    assert r.context["form"].errors["region"] == ["请选择您管辖范围内的地区。"]
    assert Producer.objects.count() == before


def test_duplicate_credit_code_is_refused(qk_client, ganyu):
    assert post(qk_client, ganyu).status_code == 302
    r = post(qk_client, ganyu, name="另一个合作社")
    assert r.context["form"].errors["credit_code"] == ["该统一社会信用代码已登记。"]
    assert Producer.objects.filter(name="另一个合作社").count() == 0


def test_edit_records_before_and_after(qk_client, ganyu, users):
    p = users.own_producer
    data = dict(
        GOOD,
        name=p.name,
        credit_code=fix_credit("93320707MA1XYW123"),
        region=p.region_id,
        products=[ganyu.category("番茄").pk],
        address="新地址8号",
    )
    r = qk_client.post(f"/registry/producers/{p.pk}/edit/", data)
    assert r.status_code == 302
    entry = AuditLog.objects.filter(object_id=str(p.pk), action="update").get()
    assert entry.changes["address"] == ["", "新地址8号"]
    assert entry.changes["products"] == [["黄瓜"], ["番茄"]]
    page = qk_client.get(f"/registry/producers/{p.pk}/?tab=history").content.decode()
    assert "新地址8号" in page


def test_search_by_pinyin_initials_of_the_township(qk_client, users, make_producer):
    make_producer(name="柘汪镇某合作社", town="柘汪镇")
    r = qk_client.get("/registry/", {"q": "qkz"})
    assert [p.name for p in r.context["page_obj"]] == [users.own_producer.name]
    r = qk_client.get("/registry/", {"q": "lyscz"})  # 绿源蔬菜 initials inside the name
    assert [p.name for p in r.context["page_obj"]] == [users.own_producer.name]
    r = qk_client.get("/registry/", {"q": users.own_producer.code})
    assert r.context["page_obj"].paginator.count == 1


def test_bases_certifications_contacts_are_saved_and_audited(qk_client, users, ganyu):
    p = users.own_producer
    r = qk_client.post(
        f"/registry/producers/{p.pk}/base/new/",
        {
            "name": "一号大棚",
            "kind": "greenhouse",
            "region": ganyu.village("青口镇").pk,
            "area": "12.5",
            "products": [ganyu.category("黄瓜").pk],
        },
    )
    assert r.status_code == 302
    base = p.bases.get()
    assert (base.name, str(base.area), [c.name for c in base.products.all()]) == (
        "一号大棚",
        "12.50",
        ["黄瓜"],
    )
    r = qk_client.post(
        f"/registry/producers/{p.pk}/certification/new/",
        {
            "kind": "green",
            "number": "LB-18-1",
            "product_name": "黄瓜",
            "issued_on": "2026-01-01",
            "valid_until": "2025-01-01",
        },
    )
    assert r.context["form"].errors["valid_until"] == ["有效期截止日早于发证日期。"]
    assert p.certifications.count() == 0
    r = qk_client.post(
        f"/registry/producers/{p.pk}/contact/new/", {"name": "赵敏", "phone": "123", "title": "内检员"}
    )
    assert r.context["form"].errors["phone"] == ["请输入以 1 开头的 11 位大陆手机号，例如 13812345678。"]
    assert AuditLog.objects.filter(content_type__model="base", action="create").count() == 1


def test_village_filter_offers_only_the_chosen_townships_villages(qk_client, users, ganyu, make_producer):
    other = make_producer(name="同镇另一村", town="青口镇", village_index=4)
    town = ganyu.town["青口镇"].code
    options = qk_client.get("/registry/villages/", {"township": town}).content.decode()
    assert options.count("<option") == 1 + ganyu.town["青口镇"].children.count()
    assert (
        qk_client.get("/registry/villages/", {"township": ganyu.town["柘汪镇"].code})
        .content.decode()
        .count("<option")
        == 1
    )
    v = ganyu.village("青口镇", 4).code
    r = qk_client.get("/registry/", {"township": town, "village": v})
    assert [p.name for p in r.context["page_obj"]] == [other.name]


def test_a_producer_lands_on_its_workbench_which_leads_to_its_own_page_and_certificate_work(client, users):
    client.force_login(users.producer)
    own = f"/registry/producers/{users.own_producer.pk}/"
    r = client.get("/")
    assert r.status_code == 200 and r.templates[0].name == "dashboard/home.html"
    assert f'href="{own}"' in r.content.decode() and 'href="/certificates/"' in r.content.decode()
    body = client.get(own).content.decode()
    assert 'href="/certificates/"' in body and 'href="/certificates/batches/"' in body
    client.force_login(users.qk)
    assert (
        'data-testid="producer-actions"'
        not in client.get(f"/registry/producers/{users.own_producer.pk}/").content.decode()
    )


def test_a_status_change_through_the_edit_form_goes_through_the_workflow(qk_client, ganyu, users):
    from nongan.core.workflow import events_for

    assert post(qk_client, ganyu).status_code == 302
    p = Producer.objects.get(name=GOOD["name"])
    data = dict(
        GOOD,
        credit_code=p.credit_code,
        region=p.region_id,
        products=[ganyu.category("黄瓜").pk],
        address="青口镇人民路2号",
        status="suspended",
        status_reason="停产整顿",
    )
    r = qk_client.post(f"/registry/producers/{p.pk}/edit/", data)
    assert r.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.status_reason, p.address) == ("suspended", "停产整顿", "青口镇人民路2号")
    ev = events_for(p).get()
    assert (ev.action, ev.from_state, ev.to_state, ev.reason, ev.actor) == (
        "suspend",
        "active",
        "suspended",
        "停产整顿",
        users.qk,
    )
    changes = [
        e.changes
        for e in AuditLog.objects.filter(object_id=str(p.pk), content_type__model="producer", action="update")
    ]
    assert {
        "version": [2, 3],
        "status": ["active", "suspended"],
        "status_reason": ["", "停产整顿"],
    } in changes
    assert any(c.get("address") == ["青口镇人民路1号", "青口镇人民路2号"] for c in changes)
    # Only the reason changes: no state change row, the reason is saved.
    r = qk_client.post(f"/registry/producers/{p.pk}/edit/", dict(data, status_reason="停产整顿（延期）"))
    p.refresh_from_db()
    assert (p.status, p.status_reason, events_for(p).count()) == ("suspended", "停产整顿（延期）", 1)


def test_the_producer_status_is_never_written_directly(users):
    from nongan.core.workflow import StateWriteError
    from nongan.registry.services import producer_set_status

    p = users.own_producer
    p.status = "closed"
    with pytest.raises(StateWriteError):
        p.save()
    with pytest.raises(StateWriteError):
        Producer.objects.filter(pk=p.pk).update(status="closed")
    p.refresh_from_db()
    producer_set_status(actor=users.admin, producer=p, status="revoked", reason="虚假承诺")
    assert Producer.objects.get(pk=p.pk).status == "revoked" and p.status == "revoked"
