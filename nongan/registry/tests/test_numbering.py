"""Registry numbers come from the numbering service: per township, continuing after the highest stored,
seeded by the migration, and (on PostgreSQL) 50 producers registered at once in one village all succeed."""

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from conftest import on_postgresql
from nongan.core.accounts import token_create
from nongan.core.models import NumberCounter
from nongan.core.validators import uscc_check_char
from nongan.registry.imports import apply_producer_rows
from nongan.registry.models import Producer
from nongan.registry.numbering import PRODUCER
from nongan.registry.services import producer_delete

QK = "320707100"  # 青口镇's nine digits


def credit(n: int) -> str:
    body = f"93320707MA{n:07d}"
    return body + uscc_check_char(body)


def row(region, name):
    return {
        "name": name,
        "type": "household",
        "credit_code": None,
        "legal_rep": name,
        "id_number": "",
        "phone": "",
        "region": region,
        "address": "",
        "is_scale": False,
        "tier": "B",
        "tier_reason": "",
        "established": None,
        "products": [],
    }


def test_numbers_run_per_township_and_an_import_continues_them(ganyu, make_producer):
    a = make_producer(town="青口镇", village_index=2)
    b = make_producer(town="青口镇")
    zw = make_producer(town="柘汪镇")
    zw_town = ganyu.town["柘汪镇"].code[:9]
    assert (a.code, b.code, zw.code) == (f"{QK}000001", f"{QK}000002", f"{zw_town}000001")
    rows = [
        row(ganyu.town["柘汪镇"], "甲"),
        row(ganyu.village("青口镇", 3), "乙"),
        row(ganyu.town["青口镇"], "丙"),
    ]
    assert apply_producer_rows(rows, actor=None) == 3
    codes = dict(Producer.objects.filter(name__in=["甲", "乙", "丙"]).values_list("name", "code"))
    assert codes == {"甲": f"{zw_town}000002", "乙": f"{QK}000003", "丙": f"{QK}000004"}
    assert dict(NumberCounter.objects.filter(series="producer").values_list("key", "last")) == {
        QK: 4,
        zw_town: 2,
    }


def test_a_deleted_producers_number_is_not_given_again(make_producer):
    make_producer()
    last = make_producer()
    producer_delete(actor=None, producer=last)
    assert make_producer().code == f"{QK}000003"


def test_a_registry_without_counters_continues_after_its_highest_number(make_producer):
    """A database from before the numbering service (or rows loaded by hand): the first registration in a
    township starts its counter after the highest registry number stored there."""
    make_producer()
    Producer.objects.filter(code=f"{QK}000001").update(code=f"{QK}000041")
    NumberCounter.objects.all().delete()
    assert PRODUCER.highest(township=QK) == 41
    assert make_producer().code == f"{QK}000042"


def test_the_migration_seeds_each_township_from_its_highest_number(ganyu, make_producer):
    make_producer()
    make_producer()
    zw = make_producer(town="柘汪镇")
    Producer.objects.filter(pk=zw.pk).update(code=zw.code[:9] + "000017")
    NumberCounter.objects.all().delete()
    NumberCounter.objects.create(series="producer", key=QK, last=1)  # behind: raised
    migration = MigrationLoader(None, ignore_no_migrations=True).get_migration(
        "registry", "0005_seed_producer_numbers"
    )
    migration.operations[0].code(apps, None)
    assert dict(NumberCounter.objects.filter(series="producer").values_list("key", "last")) == {
        QK: 2,
        zw.code[:9]: 17,
    }
    migration.operations[0].reverse_code(apps, None)
    assert not NumberCounter.objects.filter(series="producer").exists()


# ------------------------------------------------------------------ PostgreSQL: 50 at once
@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_producers_registered_at_once_in_one_village(parallel, ganyu, users):
    """Before the numbering service, 76 of 150 such requests were refused with a wrong "credit code already
    registered" (two got the same "highest + 1")."""
    _t, token = token_create(actor=users.qk, user=users.qk)
    village = ganyu.village("青口镇", 1).code

    def register(i):
        body = {
            "name": f"并发合作社{i}",
            "type": "cooperative",
            "credit_code": credit(1000 + i),
            "legal_rep": "孙七",
            "phone": "13700001111",
            "region": village,
            "products": ["V05001"],
        }
        r = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
            "/api/v1/producers/", body, content_type="application/json"
        )
        return r.status_code, r.json().get("code")

    results, errors = parallel(register, n=50)
    assert errors == []
    assert sorted(status for status, _code in results) == [201] * 50
    # users.own_producer has number 1 of 青口镇
    assert sorted(code for _status, code in results) == [f"{QK}{n:06d}" for n in range(2, 52)]
