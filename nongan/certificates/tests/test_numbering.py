"""Certificate numbers and batch codes come from the numbering service: the formats are unchanged (a
certificate number is ``qrsign.make_number`` with its check character), counters are per district and
year / per producer and year, the migration seeds them after the highest stored number (and the old
sequences), and (on PostgreSQL) 50 certificates issued or batches created at once all succeed with
consecutive numbers."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from conftest import on_postgresql
from nongan.certificates import qrsign, services
from nongan.certificates.models import Certificate, ProductionBatch
from nongan.certificates.numbering import BATCH, CERTIFICATE
from nongan.core.accounts import token_create
from nongan.core.models import NumberCounter

DISTRICT = "320707"


def test_the_certificate_format_is_make_number_with_its_check_character():
    for n in (1, 42, 99999999):
        assert CERTIFICATE.format(n, district=DISTRICT, year=2026) == qrsign.make_number(DISTRICT, 2026, n)
        assert qrsign.number_is_valid(CERTIFICATE.format(n, district=DISTRICT, year=2026))
    number = qrsign.make_number(DISTRICT, 2026, 7)
    assert CERTIFICATE.serial(number, district=DISTRICT, year=2026) == 7
    assert (
        CERTIFICATE.serial(number[:-1] + ("0" if number[-1] != "0" else "1"), district=DISTRICT, year=2026)
        is None
    )


def test_numbers_run_per_district_and_year_and_continue_after_the_highest_stored(users, batch, issue, today):
    first = issue(batch, quantity="1", count=3)
    assert [c.number for c in first] == [qrsign.make_number(DISTRICT, today.year, n) for n in (1, 2, 3)]
    assert NumberCounter.objects.get(series="certificate").key == f"{DISTRICT}:{today.year}"
    # a database without counters (or with numbers loaded by hand) continues after the highest stored
    Certificate.objects.filter(pk=first[-1].pk).update(number=qrsign.make_number(DISTRICT, today.year, 40))
    NumberCounter.objects.filter(series="certificate").delete()
    [c] = issue(batch, quantity="1")
    assert c.number == qrsign.make_number(DISTRICT, today.year, 41)


def test_batch_codes_run_per_producer_and_year_and_producers_ending_alike_share_a_counter(
    users, ganyu, make_producer, today
):
    def create(producer):
        return services.batch_create(
            actor=None,
            producer=producer,
            product=ganyu.category("黄瓜"),
            started=today - dt.timedelta(days=5),
        ).code

    own = users.own_producer
    tail = own.code[-8:]
    yy = f"{today:%y}"
    assert [create(own), create(own)] == [f"B{tail}{yy}0001", f"B{tail}{yy}0002"]
    other = make_producer(town="柘汪镇")
    assert create(other) == f"B{other.code[-8:]}{yy}0001"
    # another township's producer whose registry number ends in the same 8 digits gets the next code
    twin = make_producer(town="柘汪镇")
    twin_code = "3207079" + own.code[7:]  # not a real township: only the tail matters
    assert twin_code[-8:] == tail
    type(twin).objects.filter(pk=twin.pk).update(code=twin_code)
    twin.refresh_from_db()
    assert create(twin) == f"B{tail}{yy}0003"
    # no counter: after the highest code stored
    ProductionBatch.objects.filter(code=f"B{tail}{yy}0003").update(code=f"B{tail}{yy}0120")
    NumberCounter.objects.filter(series="batch").delete()
    assert BATCH.highest(producer=tail, year=today.year) == 120
    assert create(own) == f"B{tail}{yy}0121"


@pytest.mark.django_db(transaction=True)
def test_the_migration_seeds_from_the_sequences_and_the_highest_numbers_stored(users, batch, issue, today):
    issue(batch, quantity="1", count=2)  # serials 1, 2 of this year
    Certificate.objects.filter(number=qrsign.make_number(DISTRICT, today.year, 2)).update(
        number=qrsign.make_number(DISTRICT, today.year - 1, 30)
    )
    ProductionBatch.objects.filter(pk=batch.pk).update(code=batch.code[:-4] + "0077")
    executor = MigrationExecutor(connection)
    before = [("certificates", "0004_certificate_basis_records")]
    try:
        executor.migrate(before)  # back before the move: the NumberSequence table again
        old = executor.loader.project_state(before).apps.get_model("certificates", "NumberSequence")
        # going back turned the counters into sequences
        assert list(old.objects.values_list("district", "year", "last")) == [(DISTRICT, today.year, 2)]
        old.objects.filter(year=today.year).update(last=9)  # ahead of the stored numbers
        old.objects.create(district=DISTRICT, year=today.year - 1, last=5)  # behind them
        old.objects.create(district="320703", year=today.year, last=4)  # no certificate stored
        NumberCounter.objects.filter(series__in=["certificate", "batch"]).delete()
        executor = MigrationExecutor(connection)
        executor.migrate([("certificates", "0005_number_series_in_core")])
        counters = dict(NumberCounter.objects.filter(series="certificate").values_list("key", "last"))
        assert counters == {
            f"{DISTRICT}:{today.year}": 9,
            f"{DISTRICT}:{today.year - 1}": 30,
            f"320703:{today.year}": 4,
        }
        assert dict(NumberCounter.objects.filter(series="batch").values_list("key", "last")) == {
            f"{users.own_producer.code[-8:]}:{today.year}": 77
        }
    finally:
        call_command("migrate", verbosity=0)
    [c] = issue(ProductionBatch.objects.get(pk=batch.pk), quantity="1")
    assert c.number == qrsign.make_number(DISTRICT, today.year, 10)


# ------------------------------------------------------------------ PostgreSQL: 50 at once
@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_certificates_issued_at_once(parallel, users, batch):
    _t, token = token_create(actor=users.producer, user=users.producer)
    services.active_signer()  # the first signing key exists (its creation is not what is raced here)

    def issue_one(_i):
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/certificates/",
            {"batch": batch.code, "quantity": "1", "unit": "kg"},
            content_type="application/json",
        )
        return r.status_code, (r.json()[0]["number"] if r.status_code == 201 else r.content)

    results, errors = parallel(issue_one, n=50)
    assert errors == []
    assert sorted(status for status, _n in results) == [201] * 50
    year = timezone.localdate().year
    assert sorted(n for _s, n in results) == [qrsign.make_number(DISTRICT, year, n) for n in range(1, 51)]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_batches_created_at_once(parallel, users, ganyu, today):
    product = ganyu.category("黄瓜")
    producer = users.own_producer

    def create(_i):
        client = Client()
        client.force_login(users.producer)
        r = client.post(
            "/certificates/batches/new/",
            {
                "producer": producer.pk,
                "product": product.pk,
                "started": f"{today - dt.timedelta(days=3):%Y-%m-%d}",
                "unit": "kg",
            },
        )
        return r.status_code, r.headers.get("Location", "")

    results, errors = parallel(create, n=50)
    assert errors == []
    assert sorted(status for status, _loc in results) == [302] * 50
    prefix = f"B{producer.code[-8:]}{today:%y}"
    assert sorted(ProductionBatch.objects.values_list("code", flat=True)) == [
        f"{prefix}{n:04d}" for n in range(1, 51)
    ]
    assert sorted(loc.rstrip("/").rsplit("/", 1)[-1] for _s, loc in results) == [
        f"{prefix}{n:04d}" for n in range(1, 51)
    ]
