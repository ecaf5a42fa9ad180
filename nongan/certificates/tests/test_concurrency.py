"""Quantities are conserved under load: the certified total of a batch is checked under a row lock on the
batch, the collected total of a certificate under a lock on the certificate, so 50 requests released
together (PostgreSQL, through the API) never certify more than was harvested nor collect more than was
issued. Before the batch lock, 30 such requests for 100 kg against 1,000 kg issued 12 certificates."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import on_postgresql
from nongan.certificates import services
from nongan.certificates.models import Certificate, Collection
from nongan.core.accounts import token_create

OVER_ISSUE = "数量不符：本次申请 100.00 kg，已开具 1000.00 kg，采收总量 1000.00 kg。"


@pytest.fixture
def buyer(make_producer):
    return make_producer(name="青口镇蔬菜收购站", type="buyer", credit_code=None)


@pytest.fixture
def harvested(users, batch, today):
    services.signing_key_rotate(actor=None)  # the first key exists before the requests race
    services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="1000", unit="kg")
    return batch


def test_the_refusal_names_what_was_asked_certified_and_harvested(users, harvested, issue):
    issue(harvested, quantity="100", count=10)
    with pytest.raises(ValidationError) as exc:
        issue(harvested, quantity="100")
    assert exc.value.message_dict == {"quantity": [OVER_ISSUE]}
    assert Certificate.objects.filter(batch=harvested).count() == 10


def test_a_collection_beyond_what_is_left_names_what_is_left(users, harvested, issue, buyer):
    [cert] = issue(harvested, quantity="1000")
    services.purchase_record(actor=users.qk, collector=buyer, lot="L-1", items=[(cert.token, "900", "kg")])
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(
            actor=users.qk, collector=buyer, lot="L-2", items=[(cert.token, "200", "kg")]
        )
    assert exc.value.messages == [f"第 1 行：合格证 {cert.number} 仅剩 100.00 kg 可收取。"]
    cert.refresh_from_db()
    assert cert.collected_quantity == Decimal("900.00")


# ------------------------------------------------------------------ PostgreSQL: 50 at once
@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_issues_at_once_never_certify_more_than_was_harvested(parallel, users, harvested):
    _t, token = token_create(actor=users.producer, user=users.producer)

    def issue_100kg(i):
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/certificates/",
            {"batch": harvested.code, "quantity": "100", "unit": "kg"},
            content_type="application/json",
        )
        return r.status_code, r.json()

    results, errors = parallel(issue_100kg, n=50)
    assert errors == []
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] * 10 + [400] * 40
    refusals = [body for status, body in results if status == 400]
    assert all(body == {"quantity": [OVER_ISSUE]} for body in refusals), refusals[:3]
    assert services.certified_quantity(harvested, "kg") == Decimal("1000.00")
    assert Certificate.objects.filter(batch=harvested).count() == 10


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_collections_at_once_never_collect_more_than_was_issued(parallel, users, harvested, buyer):
    [cert] = services.certificate_issue(actor=users.producer, batch=harvested, quantity="1000", unit="kg")
    _t, token = token_create(actor=users.qk, user=users.qk)

    def collect_100kg(i):
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/certificates-collect/",
            {
                "collector": buyer.code,
                "lot": f"L-{i}",
                "items": [{"qr": cert.token, "quantity": "100", "unit": "kg"}],
            },
            content_type="application/json",
        )
        return r.status_code, r.json()

    results, errors = parallel(collect_100kg, n=50)
    assert errors == []
    assert sorted(status for status, _body in results) == [201] * 10 + [400] * 40
    refusal = {"non_field_errors": [f"第 1 行：合格证 {cert.number} 已全部被收取（已收取 1000.00 kg）。"]}
    assert all(body == refusal for status, body in results if status == 400)
    cert.refresh_from_db()
    assert cert.collected_quantity == Decimal("1000.00")
    assert sum(c.quantity for c in Collection.objects.filter(certificate=cert)) == Decimal("1000.00")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_reissues_at_once_never_draw_more_than_was_collected(parallel, users, harvested, buyer):
    [cert] = services.certificate_issue(actor=users.producer, batch=harvested, quantity="1000", unit="kg")
    [col] = services.purchase_record(
        actor=users.qk, collector=buyer, lot="L-1", items=[(cert.token, "1000", "kg")]
    )

    def reissue_100kg(i):
        try:
            services.certificate_reissue(
                actor=users.qk, collector=buyer, draws=[(col, "100")], quantity="100", unit="kg"
            )
        except ValidationError as exc:
            return exc.messages
        return "issued"

    results, errors = parallel(reissue_100kg, n=20)
    assert errors == []
    assert results.count("issued") == 10
    assert [r for r in results if r != "issued"] == [
        [f"合格证 {cert.number}（收购批次 L-1）仅剩 0.00 kg 可用。"]
    ] * 10
    col.refresh_from_db()
    assert col.used_quantity == Decimal("1000.00")
    assert Certificate.objects.filter(producer=buyer).count() == 10


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_first_issues_on_a_new_installation_make_one_signing_key(parallel, users, batch, today):
    """Parallel first issues found no key and each made one with the same key id: IntegrityError, HTTP 500."""
    from nongan.certificates.models import SigningKey

    services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="1000", unit="kg")
    assert not SigningKey.objects.exists()
    _t, token = token_create(actor=users.producer, user=users.producer)

    def issue_10kg(i):
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/certificates/",
            {"batch": batch.code, "quantity": "10", "unit": "kg"},
            content_type="application/json",
        )
        return r.status_code

    results, errors = parallel(issue_10kg, n=20)
    assert errors == [] and results == [201] * 20
    [key] = SigningKey.objects.all()
    assert key.active and key.kid == f"k{today:%y%m%d}a"
    assert set(Certificate.objects.filter(batch=batch).values_list("kid", flat=True)) == {key.kid}
