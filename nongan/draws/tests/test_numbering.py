"""Round numbers come from the numbering service: per year, seeded by the migration from the highest
stored, and (on PostgreSQL) 50 rounds created at once all succeed with 50 consecutive numbers."""

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from conftest import on_postgresql
from nongan.core.accounts import token_create
from nongan.core.models import NumberCounter
from nongan.draws.models import DrawRound


def test_numbers_run_per_year(make_round):
    assert [make_round().code, make_round(year=2027).code, make_round().code] == [
        "SJ2026-0001",
        "SJ2027-0001",
        "SJ2026-0002",
    ]


def test_rounds_without_counters_continue_after_the_highest_number(make_round):
    r = make_round()
    DrawRound.objects.filter(pk=r.pk).update(code="SJ2026-0120")
    NumberCounter.objects.all().delete()
    assert make_round().code == "SJ2026-0121"


def test_the_migration_seeds_each_year_from_its_highest_number(make_round):
    rounds = [make_round(), make_round(), make_round(year=2025)]
    DrawRound.objects.filter(pk=rounds[1].pk).update(code="SJ2026-0009")
    NumberCounter.objects.all().delete()
    migration = MigrationLoader(None, ignore_no_migrations=True).get_migration(
        "draws", "0003_seed_round_numbers"
    )
    migration.operations[0].code(apps, None)
    assert dict(NumberCounter.objects.filter(series="draw_round").values_list("key", "last")) == {
        "2026": 9,
        "2025": 1,
    }
    assert make_round().code == "SJ2026-0010"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_rounds_created_at_once(parallel, ganyu, users):
    _t, token = token_create(actor=users.admin, user=users.admin)
    body = {
        "title": "并发轮次",
        "purpose": "sampling",
        "year": 2026,
        "region": ganyu.district.code,
        "filter_spec": {"is_scale": True},
        "ratio": "0.5",
        "strata": "township",
        "inspectors": [users.sampler.pk, users.enforcement.pk],
    }

    def create(_i):
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/draws/", body, content_type="application/json"
        )
        return r.status_code, r.json().get("code")

    results, errors = parallel(create, n=50)
    assert errors == []
    assert sorted(status for status, _code in results) == [201] * 50
    assert sorted(code for _status, code in results) == [f"SJ2026-{n:04d}" for n in range(1, 51)]
