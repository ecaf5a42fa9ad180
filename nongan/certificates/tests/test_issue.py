"""Production records and issuing certificates: the gates, batch issue, revocation, ledger, audit."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from nongan.certificates import qrsign, selectors, services
from nongan.certificates.models import Certificate, CertificateEvent, InputUse, SigningKey
from nongan.core.audit import history_for
from nongan.core.models import AuditLog, LedgerEntry
from nongan.monitoring.models import RapidTest
from nongan.registry.services import producer_set_status

# these tests record inputs: the issue gate checks them against the shipped banned and restricted lists
pytestmark = pytest.mark.usefixtures("standards")


def _counts():
    return (Certificate.objects.count(), LedgerEntry.objects.count(), CertificateEvent.objects.count())


def test_issue_signs_and_records(users, batch, issue, today):
    rapid = RapidTest.objects.create(
        region=users.own_producer.region.parent,
        producer=users.own_producer,
        product=batch.product,
        sector="crop",
        method="enzyme",
        inhibition="12.5",
        threshold="50",
        outcome="negative",
        tested_at=timezone.now() - dt.timedelta(hours=3),
        tester=users.sampler,
    )
    [c] = issue(
        batch, quantity="500", basis="self_test", test_record="自检 速测阴性", basis_rapid_test=rapid.pk
    )
    assert qrsign.number_is_valid(c.number)
    assert c.number.startswith("320707" + f"{today:%y}")
    assert c.product_name == "黄瓜"
    assert c.quantity == Decimal("500.00")
    assert c.origin == users.own_producer.region
    assert (
        c.promise_text
        == "不使用禁用农药兽药、停用兽药和非法添加物；常规农药兽药残留不超标；对承诺的真实性负责。"
    )
    assert c.promiser == "青口镇绿源蔬菜专业合作社"
    assert c.get_basis_display() == "自行检测合格"
    key = SigningKey.objects.get(active=True)
    assert c.kid == key.kid
    v = qrsign.verify_token(c.token, services.public_keys_map(), url_number=c.number)
    assert v.ok
    assert v.payload.quantity == "500"
    assert v.payload.origin == users.own_producer.region.code
    assert v.payload.issued == f"{today:%Y%m%d}"
    entry = LedgerEntry.objects.get(kind="certificate.issue", ref=c.number)
    assert json.loads(entry.payload)["quantity"] == "500.00"
    assert json.loads(entry.payload)["certificates"][0][0] == c.number
    assert [e.action for e in history_for(c)] == ["create"]
    assert list(c.events.values_list("kind", flat=True)) == ["issued"]


def test_batch_issue_many(users, batch, issue):
    certs = issue(batch, quantity="10", count=25, unit="箱")
    assert len(certs) == 25
    numbers = [c.number for c in certs]
    assert len(set(numbers)) == 25
    serials = sorted(int(n[8:16]) for n in numbers)
    assert serials == list(range(serials[0], serials[0] + 25))
    [entry] = LedgerEntry.objects.filter(kind="certificate.issue")
    assert entry.ref == f"{min(numbers)}…{max(numbers)}"
    assert [n for n, _h in json.loads(entry.payload)["certificates"]] == sorted(numbers)
    assert (
        AuditLog.objects.filter(
            action="create", object_id__in=[str(c.pk) for c in certs], object_repr__in=numbers
        ).count()
        == 25
    )


def test_interval_gate_refuses_and_changes_nothing(users, batch, issue, today):
    services.input_use_add(
        actor=users.producer,
        batch=batch,
        kind="pesticide",
        product_name="吡虫啉可湿性粉剂",
        active_ingredient="吡虫啉",
        dose="20",
        dose_unit="g/亩",
        used_on=today - dt.timedelta(days=2),
        interval_days=7,
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        issue(batch)
    free = (today + dt.timedelta(days=5)).isoformat()
    assert exc.value.message_dict["__all__"] == [
        f"仍在安全间隔期内：吡虫啉可湿性粉剂于 {(today - dt.timedelta(days=2)).isoformat()} 使用，安全间隔期 7 天，{free} 之前不得采收或开具合格证。"
    ]
    assert _counts() == before
    # the harvest is refused the same way
    with pytest.raises(ValidationError):
        services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="100", unit="kg")
    assert batch.harvests.count() == 0


def test_withdrawal_period_message(users, ganyu, today, issue):
    pig = services.batch_create(
        actor=users.producer,
        producer=users.own_producer,
        product=ganyu.category("猪肉"),
        started=today - dt.timedelta(days=150),
        unit="头",
    )
    services.input_use_add(
        actor=users.producer,
        batch=pig,
        kind="vet_drug",
        product_name="恩诺沙星注射液",
        active_ingredient="恩诺沙星",
        used_on=today - dt.timedelta(days=3),
        interval_days=10,
    )
    with pytest.raises(ValidationError) as exc:
        issue(pig, quantity="20", unit="头")
    assert "休药期" in exc.value.message_dict["__all__"][0]


def test_banned_and_restricted_substances(users, ganyu, batch, issue, today):
    services.input_use_add(
        actor=users.producer,
        batch=batch,
        kind="pesticide",
        product_name="克百威颗粒剂",
        active_ingredient="克百威",
        used_on=today - dt.timedelta(days=40),
        interval_days=0,
        late_reason="补录",
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        issue(batch)
    # 克百威 was restricted in scope; 公告第736号 bans it outright from 2026-06-01
    assert exc.value.message_dict["__all__"] == ["克百威 是禁用农药。"]
    assert _counts() == before
    scoped_batch = services.batch_create(
        actor=users.producer,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=today - dt.timedelta(days=60),
        plot="5号大棚",
        unit="kg",
    )
    services.input_use_add(
        actor=users.producer,
        batch=scoped_batch,
        kind="pesticide",
        product_name="40%毒死蜱乳油",
        active_ingredient="毒死蜱",
        used_on=today - dt.timedelta(days=40),
        interval_days=0,
        late_reason="补录",
    )
    with pytest.raises(ValidationError) as exc:
        issue(scoped_batch)
    assert exc.value.message_dict["__all__"] == ["毒死蜱 不得用于 黄瓜。"]  # banned on vegetables only
    assert _counts() == before
    other = services.batch_create(
        actor=users.producer,
        producer=users.own_producer,
        product=ganyu.category("番茄"),
        started=today - dt.timedelta(days=60),
    )
    services.input_use_add(
        actor=users.producer,
        batch=other,
        kind="pesticide",
        product_name="甲胺磷乳油",
        active_ingredient="甲胺磷",
        used_on=today - dt.timedelta(days=40),
        late_reason="补录",
    )
    with pytest.raises(ValidationError) as exc:
        issue(other)
    assert exc.value.message_dict["__all__"] == ["甲胺磷 是禁用农药。"]


def test_producer_status_forbids(users, batch, issue):
    producer_set_status(actor=users.admin, producer=users.own_producer, status="suspended", reason="整改")
    batch.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        issue(batch)
    assert exc.value.message_dict["__all__"] == ["该主体当前状态（暂停）不允许开具合格证。"]
    assert Certificate.objects.count() == 0


def test_quantities_must_add_up_with_harvest(users, batch, issue, today):
    services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="1", unit="吨")
    issue(batch, quantity="600")
    with pytest.raises(ValidationError) as exc:
        issue(batch, quantity="200", count=3)
    assert "数量不符" in exc.value.message_dict["quantity"][0]
    assert Certificate.objects.count() == 1
    issue(batch, quantity="400")
    assert Certificate.objects.count() == 2


def test_bad_quantity_unit_count(users, batch, issue):
    with pytest.raises(ValidationError) as exc:
        issue(batch, quantity="-1", unit="桶", count=0)
    assert set(exc.value.message_dict) == {"quantity", "count"}
    assert Certificate.objects.count() == 0


def test_who_may_issue(users, batch, issue, make_producer, ganyu, today):
    # the township supervisor of 青口镇 acts for the producer; the one of 柘汪镇 may not
    issue(batch, actor=users.qk)
    with pytest.raises(ValidationError):
        issue(batch, actor=users.zw)
    other = make_producer(name="别人家合作社")
    with pytest.raises(ValidationError):
        services.batch_create(
            actor=users.producer, producer=other, product=ganyu.category("黄瓜"), started=today
        )
    with pytest.raises(ValidationError):
        issue(batch, actor=users.market)


def test_input_records_no_silent_backdating(users, batch, today):
    with pytest.raises(ValidationError) as exc:
        services.input_use_add(
            actor=users.producer,
            batch=batch,
            kind="pesticide",
            product_name="阿维菌素",
            used_on=today - dt.timedelta(days=10),
            interval_days=7,
        )
    assert "late_reason" in exc.value.message_dict
    assert InputUse.objects.count() == 0
    with pytest.raises(ValidationError):
        services.input_use_add(
            actor=users.producer,
            batch=batch,
            kind="pesticide",
            product_name="阿维菌素",
            used_on=today + dt.timedelta(days=1),
            interval_days=7,
        )
    use = services.input_use_add(
        actor=users.producer,
        batch=batch,
        kind="pesticide",
        product_name="阿维菌素",
        used_on=today - dt.timedelta(days=10),
        interval_days=7,
        late_reason="手机没电，补录",
    )
    with pytest.raises(ValidationError) as exc:
        services.input_use_update(actor=users.producer, use=use, reason="", dose=Decimal("30"))
    assert "reason" in exc.value.message_dict
    services.input_use_update(actor=users.producer, use=use, reason="剂量抄错", dose=Decimal("30"))
    entry = history_for(use).get(action="update")
    assert entry.reason == "剂量抄错"
    assert entry.changes["dose"] == [None, "30.000"]


def test_revoke(users, batch, issue):
    [c] = issue(batch)
    with pytest.raises(ValidationError):
        services.certificate_revoke(actor=users.producer, certificate=c, reason="")
    services.certificate_revoke(actor=users.producer, certificate=c, reason="数量填错")
    c.refresh_from_db()
    assert c.status == "revoked"
    assert LedgerEntry.objects.filter(kind="certificate.revoke", ref=c.number).count() == 1
    ev = c.events.get(kind="revoked")
    assert (ev.from_status, ev.to_status, ev.reason) == ("valid", "revoked", "数量填错")
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.certificate_revoke(actor=users.producer, certificate=c, reason="again")
    assert exc.value.messages == ["该合格证已撤销。"]
    assert _counts() == before


def test_promise_contradicted(users, batch, issue):
    [c] = issue(batch)
    services.certificate_promise_contradicted(actor=users.analyst, number=c.number, sample_code="S2026-0001")
    c.refresh_from_db()
    users.own_producer.refresh_from_db()
    assert c.contradicted_by == "S2026-0001"
    assert users.own_producer.key_target is True
    assert users.own_producer.tier == "C"
    assert "S2026-0001" in users.own_producer.key_target_reason
    assert selectors.trace_roots(users.admin, sample="S2026-0001") == [c]
    assert selectors.trace_roots(users.zw, sample="S2026-0001") == []
    before = _counts()
    assert (
        services.certificate_promise_contradicted(actor=None, number=c.number[:-1] + "X", sample_code="S")
        is None
    )
    assert _counts() == before


def test_key_rotation_keeps_old_certificates_valid(users, batch, issue):
    [old] = issue(batch)
    new_key = services.signing_key_rotate(actor=users.admin)
    [new] = issue(batch)
    assert new.kid == new_key.kid != old.kid
    keys = services.public_keys_map()
    assert qrsign.verify_token(old.token, keys).ok
    assert qrsign.verify_token(new.token, keys).ok
    published = services.public_keys()
    assert [k["status"] for k in published["keys"]] == ["retired", "active"]
    path = services.public_keys_write()
    assert qrsign.load_keyset(path.read_text(encoding="utf-8")) == keys
