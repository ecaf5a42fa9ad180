"""Idempotent issue and collection: a retry with the same Idempotency-Key (API) or form token (pages) returns
the first result and issues nothing more; the same key with another body is refused; keys expire."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from conftest import on_postgresql
from nongan.certificates import services
from nongan.certificates.models import Certificate, Collection
from nongan.core.accounts import token_create
from nongan.core.models import IdempotencyKey, LedgerEntry

CONFLICT = "该幂等键（Idempotency-Key）已用于另一个请求：新的请求请使用新的键。"


@pytest.fixture
def harvested(users, batch, today):
    services.signing_key_rotate(actor=None)
    services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="1000", unit="kg")
    return batch


def _issue(client, batch, key=None, quantity="100", count=3):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        "/api/v1/certificates/",
        {"batch": batch.code, "quantity": quantity, "unit": "kg", "count": count},
        content_type="application/json",
        **headers,
    )


def test_a_retry_returns_the_first_certificates_and_issues_nothing(client, users, harvested):
    client.force_login(users.producer)
    first = _issue(client, harvested, key="issue-0001")
    assert first.status_code == 201, first.content
    numbers = [c["number"] for c in first.json()]
    assert len(numbers) == 3
    ledger = LedgerEntry.objects.count()
    again = _issue(client, harvested, key="issue-0001")
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert [c["number"] for c in again.json()] == numbers
    assert sorted(Certificate.objects.values_list("number", flat=True)) == numbers
    assert LedgerEntry.objects.count() == ledger
    # without a key, or with a new one, the request is a new issue
    assert _issue(client, harvested, key="issue-0002").status_code == 201
    assert _issue(client, harvested).status_code == 201
    assert Certificate.objects.count() == 9


def test_the_same_key_with_another_body_is_refused(client, users, harvested):
    client.force_login(users.producer)
    assert _issue(client, harvested, key="k-1").status_code == 201
    r = _issue(client, harvested, key="k-1", quantity="50")
    assert r.status_code == 422
    assert r.json() == {"detail": CONFLICT}
    assert Certificate.objects.count() == 3
    # another user's key space is its own
    client.force_login(users.qk)
    assert _issue(client, harvested, key="k-1", quantity="50", count=1).status_code == 201
    assert Certificate.objects.count() == 4


def test_a_refused_request_keeps_no_key_and_may_be_corrected(client, users, harvested):
    client.force_login(users.producer)
    r = _issue(client, harvested, key="k-2", quantity="400")  # 1,200 kg of 1,000
    assert r.status_code == 400
    assert r.json()["quantity"][0].startswith("数量不符")
    assert not IdempotencyKey.objects.exists()
    assert _issue(client, harvested, key="k-2", quantity="300").status_code == 201
    assert Certificate.objects.count() == 3


def test_an_unusable_key_is_a_field_error(client, users, harvested):
    client.force_login(users.producer)
    r = _issue(client, harvested, key="x" * 256)
    assert r.status_code == 400
    assert r.json() == {"Idempotency-Key": ["幂等键（Idempotency-Key）须为 1 至 255 个可打印字符。"]}
    assert not Certificate.objects.exists()


def test_keys_expire_and_are_purged(client, users, harvested, settings):
    settings.NONGAN_IDEMPOTENCY_HOURS = 2
    client.force_login(users.producer)
    first = _issue(client, harvested, key="k-3", count=1)
    IdempotencyKey.objects.update(created=timezone.now() - dt.timedelta(hours=2, minutes=1))
    later = _issue(client, harvested, key="k-3", count=1)  # an expired key is a new request
    assert later.status_code == 201
    assert later.json()[0]["number"] != first.json()[0]["number"]
    assert Certificate.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1  # the expired one went when the user sent a new key
    IdempotencyKey.objects.update(created=timezone.now() - dt.timedelta(hours=3))
    IdempotencyKey.objects.create(
        user=users.qk, key="fresh", method="POST", path="/x/", body_hash="0" * 64, created=timezone.now()
    )
    call_command("purge_idempotency_keys", stdout=(out := __import__("io").StringIO()))
    assert out.getvalue().strip() == "1 idempotency keys older than 2 hours deleted"
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_collection_retry_returns_the_first_collections(client, users, harvested, make_producer):
    buyer = make_producer(name="青口镇蔬菜收购站", type="buyer", credit_code=None)
    [cert] = services.certificate_issue(actor=users.producer, batch=harvested, quantity="1000", unit="kg")
    client.force_login(users.qk)
    body = {
        "collector": buyer.code,
        "lot": "L-1",
        "items": [{"qr": cert.token, "quantity": "600", "unit": "kg"}],
    }
    first = client.post(
        "/api/v1/certificates-collect/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    again = client.post(
        "/api/v1/certificates-collect/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert Collection.objects.count() == 1
    cert.refresh_from_db()
    assert cert.collected_quantity == Decimal("600.00")


def _token(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)


def test_the_issue_form_token_returns_the_first_result(client, users, harvested):
    client.force_login(users.producer)
    url = f"/certificates/batches/{harvested.code}/"
    page = client.get(url)
    token = _token(page.content.decode())
    assert _token(client.get(url).content.decode()) != token  # a new token at each rendering
    form = {
        "action": "issue",
        "idempotency_key": token,
        "is-quantity": "100",
        "is-unit": "kg",
        "is-count": "1",
        "is-basis": "control",
    }
    first = client.post(url, form)
    assert first.status_code == 302
    [cert] = Certificate.objects.all()
    assert first["Location"] == f"/certificates/c/{cert.number}/"
    again = client.post(url, form)  # a double click, or the form sent again after a lost response
    assert (again.status_code, again["Location"]) == (302, first["Location"])
    assert Certificate.objects.count() == 1
    page = client.get(again["Location"])
    assert "该表单已提交过，以下是其结果。" in page.content.decode()
    # the browser's back button, another quantity, the old token: refused, the form is shown afresh
    changed = client.post(url, {**form, "is-quantity": "200"})
    assert (changed.status_code, changed["Location"]) == (302, url)
    assert "该表单已用其他内容提交过；已重新显示表单，未保存任何内容。" in client.get(url).content.decode()
    assert Certificate.objects.count() == 1


def test_a_form_with_errors_keeps_no_token(client, users, harvested):
    client.force_login(users.producer)
    url = f"/certificates/batches/{harvested.code}/"
    token = _token(client.get(url).content.decode())
    form = {
        "action": "issue",
        "idempotency_key": token,
        "is-unit": "kg",
        "is-count": "1",
        "is-basis": "control",
    }
    r = client.post(url, {**form, "is-quantity": "5000"})
    assert r.status_code == 200
    assert "数量不符" in r.content.decode()
    assert not IdempotencyKey.objects.exists()
    assert client.post(url, {**form, "is-quantity": "100"}).status_code == 302
    assert Certificate.objects.count() == 1


def test_the_purchase_and_reissue_forms_carry_a_token(client, users):
    client.force_login(users.qk)
    for url in ("/certificates/collect/", "/certificates/reissue/"):
        assert _token(client.get(url).content.decode())


# ------------------------------------------------------------------ PostgreSQL: 20 at once
@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_requests_at_once_issue_once(parallel, users, harvested):
    _t, token = token_create(actor=users.producer, user=users.producer)

    def send(i):
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/certificates/",
            {"batch": harvested.code, "quantity": "100", "unit": "kg", "count": 2},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )
        return r.status_code, r.content

    results, errors = parallel(send, n=20)
    assert errors == []
    assert [status for status, _body in results] == [201] * 20
    assert len({body for _status, body in results}) == 1
    assert Certificate.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1
