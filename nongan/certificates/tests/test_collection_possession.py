"""Collecting a certificate needs what only its holder has: the signed QR token (what a scan yields).
A number alone, which anyone can read off a shelf or the public page, is refused; an over-collection
never names the certificate's holder."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nongan.certificates import services
from nongan.certificates.models import Certificate, Collection

NUMBER_ONLY = "第 1 行：收取合格证须扫描其二维码（或录入二维码中的签名内容），仅凭合格证编号不能收取。"


@pytest.fixture
def buyer(make_producer):
    return make_producer(name="青口镇蔬菜收购站", type="buyer", credit_code=None)


def qr(c):
    return f"http://127.0.0.1:8000/v/{c.number}?s={c.token}"


def test_number_alone_is_refused_and_nothing_changes(users, batch, issue, buyer):
    [a] = issue(batch, quantity="100")
    for text in (a.number, a.number.lower(), f"http://127.0.0.1:8000/v/{a.number}"):
        with pytest.raises(ValidationError) as exc:
            services.purchase_record(actor=users.qk, collector=buyer, lot="L-1", items=[(text, "100", "kg")])
        assert exc.value.messages == [NUMBER_ONLY]
    a.refresh_from_db()
    assert a.collected_quantity == Decimal("0")
    assert Collection.objects.count() == 0


def test_scanned_qr_or_bare_token_collects(users, batch, issue, buyer):
    [a, b] = issue(batch, quantity="100", count=2)
    [col] = services.purchase_record(actor=users.qk, collector=buyer, lot="L-1", items=[(qr(a), "60", "kg")])
    assert (col.certificate, col.quantity) == (a, Decimal("60.00"))
    [col2] = services.purchase_record(
        actor=users.qk, collector=buyer, lot="L-2", items=[(b.token, "100", "kg")]
    )
    assert col2.certificate == b
    # a token altered by one character is refused as a forgery
    bad = b.token[:-2] + ("AA" if not b.token.endswith("AA") else "BB")
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(actor=users.qk, collector=buyer, lot="L-3", items=[(bad, "1", "kg")])
    assert exc.value.messages == ["第 1 行：签名无效：二维码内容被篡改或签名伪造，请勿相信该合格证。"]
    # another certificate's number in the address with this token: refused too
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(
            actor=users.qk,
            collector=buyer,
            lot="L-3",
            items=[(f"http://x/v/{b.number}?s={a.token}", "1", "kg")],
        )
    assert exc.value.messages == ["第 1 行：签名无效：二维码内容被篡改或签名伪造，请勿相信该合格证。"]
    assert Collection.objects.count() == 2


def test_over_collection_is_refused_without_the_holders_name(users, batch, issue, buyer, make_producer):
    [a] = issue(batch, quantity="100")
    holder = make_producer(name="海头镇第二收购站", type="buyer", credit_code=None, town="青口镇")
    services.purchase_record(actor=users.qk, collector=holder, lot="H-1", items=[(qr(a), "100", "kg")])
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(actor=users.qk, collector=buyer, lot="L-1", items=[(qr(a), "1", "kg")])
    assert exc.value.messages == [f"第 1 行：合格证 {a.number} 已全部被收取（已收取 100.00 kg）。"]
    text = " ".join(exc.value.messages)
    assert holder.name not in text and users.own_producer.name not in text
    assert Collection.objects.filter(collector=buyer).count() == 0


def test_collect_page_refuses_a_number_and_accepts_a_scan(client, users, batch, issue, buyer):
    [a] = issue(batch, quantity="300")
    client.force_login(users.qk)
    r = client.post(
        "/certificates/collect/", {"collector": buyer.pk, "lot": "L1", "lines": f"{a.number} 300 kg"}
    )
    assert r.status_code == 200
    assert NUMBER_ONLY in r.content.decode()
    assert Collection.objects.count() == 0
    r = client.post(
        "/certificates/collect/", {"collector": buyer.pk, "lot": "L1", "lines": f"{qr(a)} 300 kg"}
    )
    assert r.status_code == 302
    assert Collection.objects.get().certificate == a
    assert Certificate.objects.get(pk=a.pk).collected_quantity == Decimal("300.00")


def test_collect_api_needs_the_qr_and_answers_400_for_a_number(client, users, batch, issue, buyer):
    [a] = issue(batch, quantity="300")
    anonymous = client.post("/api/v1/certificates-collect/", {}, content_type="application/json")
    assert anonymous.status_code in (401, 403)
    client.force_login(users.qk)
    body = {
        "collector": buyer.code,
        "lot": "API-1",
        "items": [{"qr": a.number, "quantity": "10", "unit": "kg"}],
    }
    r = client.post("/api/v1/certificates-collect/", body, content_type="application/json")
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [NUMBER_ONLY]}
    assert Collection.objects.count() == 0
    body["items"][0]["qr"] = qr(a)
    r = client.post("/api/v1/certificates-collect/", body, content_type="application/json")
    assert r.status_code == 201
    assert r.json() == {
        "collections": [
            {"id": Collection.objects.get().pk, "certificate": a.number, "quantity": "10.00", "unit": "kg"}
        ]
    }
    client.force_login(users.zw)  # a collector outside the caller's jurisdiction
    r = client.post("/api/v1/certificates-collect/", body, content_type="application/json")
    assert r.status_code == 404
    assert Collection.objects.count() == 1
