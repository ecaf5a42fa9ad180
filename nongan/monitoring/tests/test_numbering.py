"""Sample numbers come from the numbering service: per year of sampling, seeded by the migration from the
highest stored, and (on PostgreSQL) 50 samples registered at once all succeed with consecutive numbers."""

import datetime as dt

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import timezone

from conftest import on_postgresql
from nongan.core.accounts import token_create
from nongan.core.models import NumberCounter
from nongan.monitoring.models import Sample


def test_numbers_run_per_year_of_sampling(make_sample):
    year = timezone.localdate().year
    last_year = timezone.localtime().replace(year=year - 1, month=6, day=1)
    codes = [make_sample().code, make_sample(sampled_at=last_year).code, make_sample().code]
    assert codes == [f"CY{year}00001", f"CY{year - 1}00001", f"CY{year}00002"]


def test_the_migration_seeds_each_year_from_its_highest_number_and_a_missing_counter_is_seeded_too(
    make_sample,
):
    year = timezone.localdate().year
    a = make_sample()
    make_sample()
    Sample.objects.filter(pk=a.pk).update(code=f"CY{year - 1}00300")
    NumberCounter.objects.all().delete()
    migration = MigrationLoader(None, ignore_no_migrations=True).get_migration(
        "monitoring", "0002_seed_sample_numbers"
    )
    migration.operations[0].code(apps, None)
    assert dict(NumberCounter.objects.filter(series="sample").values_list("key", "last")) == {
        str(year): 2,
        str(year - 1): 300,
    }
    assert make_sample().code == f"CY{year}00003"
    NumberCounter.objects.filter(series="sample").delete()  # a database without counters at all
    assert make_sample().code == f"CY{year}00004"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_samples_registered_at_once(parallel, users):
    """Before the numbering service, 63 of 120 such requests failed with HTTP 500 (IntegrityError on the code)."""
    _t, token = token_create(actor=users.sampler, user=users.sampler)
    body = {
        "producer": users.own_producer.code,
        "product": "黄瓜",
        "quantity": "2",
        "quantity_unit": "kg",
        "place": "大棚",
        "sampled_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
    }

    def register(_i):
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        r = client.post("/api/v1/monitoring/samples/", body, content_type="application/json")
        return r.status_code, r.json().get("code")

    results, errors = parallel(register, n=50)
    assert errors == []
    assert sorted(status for status, _code in results) == [201] * 50
    year = timezone.localdate().year
    assert sorted(code for _status, code in results) == [f"CY{year}{n:05d}" for n in range(1, 51)]
