"""The numbering service: formats, seeding, allocation in the caller's transaction, and (on PostgreSQL)
50 parallel allocations released together."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from conftest import _run_parallel, on_postgresql
from nongan.core import numbering
from nongan.core.models import NumberCounter, Region


def _check(body: str) -> str:
    return str(sum(int(c) for c in body if c.isdigit()) % 10)


# Throwaway series over a core table (not registered: the platform's list stays the apps' own).
REGIONS = numbering.Series(
    "test-region", pattern="{district}{n:06d}", key="{district}", model="core.Region", field="code"
)
CHECKED = numbering.Series(
    "test-checked",
    pattern="T{district}{yy}{n:04d}",
    key="{district}:{year}",
    model="core.Region",
    field="code",
    check=_check,
)


def test_formats_and_keys():
    assert REGIONS.format(42, district="320707") == "320707000042"
    assert REGIONS.key(district="320707") == "320707"
    assert CHECKED.key(district="320707", year=2026) == "320707:2026"
    assert CHECKED.prefix(district="320707", year=2026) == "T32070726"
    assert CHECKED.format(7, district="320707", year=2026) == "T3207072600074"  # digit sum 34 → "4"
    assert CHECKED.serial("T3207072600074", district="320707", year=2026) == 7


def test_serial_refuses_other_shapes_and_wrong_check_characters():
    parts = {"district": "320707", "year": 2026}
    assert CHECKED.serial("T3207072600071", **parts) is None  # wrong check character
    assert CHECKED.serial("T320707260007", **parts) is None  # the check character is missing
    assert CHECKED.serial("T3207072500074", **parts) is None  # another year
    assert CHECKED.serial("T320707260B074", **parts) is None  # not digits
    assert REGIONS.serial("320707100000", district="320707") == 100000
    assert REGIONS.serial("320707100000", district="320708") is None


def test_a_pattern_must_end_in_the_serial():
    with pytest.raises(ImproperlyConfigured):
        numbering.Series("bad", pattern="{n:04d}-X", model="core.Region", field="code")
    with pytest.raises(ImproperlyConfigured):
        numbering.Series("bad", pattern="CY{year}", model="core.Region", field="code")


def test_a_series_is_declared_once(monkeypatch):
    monkeypatch.setattr(numbering, "SERIES", {})
    assert numbering.register(REGIONS) is REGIONS
    assert numbering.register(REGIONS) is REGIONS  # the same declaration imported twice
    with pytest.raises(ImproperlyConfigured):
        numbering.register(numbering.Series("test-region", pattern="X{n}", model="core.Region", field="code"))


def test_every_declared_series_stores_its_numbers_in_an_existing_field():
    assert {"producer", "draw_round"} <= set(numbering.SERIES)
    for s in numbering.SERIES.values():
        field = apps.get_model(s.model)._meta.get_field(s.field)
        assert field.unique, s


@pytest.mark.django_db
def test_allocation_continues_the_counter_and_takes_many_at_once():
    with transaction.atomic():
        assert numbering.allocate("test", key="2026") == [1]
        assert numbering.allocate("test", key="2026", count=3) == [2, 3, 4]
        assert numbering.allocate("test", key="2027") == [1]
        big = numbering.allocate("test", key="2026", count=10_000)
    assert big[0] == 5 and big[-1] == 10_004 and len(big) == 10_000
    assert dict(NumberCounter.objects.filter(series="test").values_list("key", "last")) == {
        "2026": 10_004,
        "2027": 1,
    }


@pytest.mark.django_db
def test_a_rollback_gives_the_numbers_back():
    with transaction.atomic():
        numbering.allocate("test", key="k", count=2)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert numbering.allocate("test", key="k") == [3]
        1 / 0  # noqa: B018 - the storing transaction fails
    with transaction.atomic():
        assert numbering.allocate("test", key="k") == [3]


@pytest.mark.django_db
def test_allocation_outside_a_transaction_or_of_nothing_is_refused():
    # A thread of its own has a connection outside the test's transaction (refused before any query).
    results, errors = _run_parallel(lambda _i: numbering.allocate("test", key="k"), n=1)
    assert results == [None] and [type(e) for e in errors] == [RuntimeError]
    with pytest.raises(ValueError), transaction.atomic():
        numbering.allocate("test", key="k", count=0)
    assert not NumberCounter.objects.filter(series="test").exists()


@pytest.mark.django_db
def test_a_new_counter_starts_after_the_highest_number_stored(ganyu):
    # Regions 320707xxxxxx exist already (the district's towns and villages): the counter continues after them.
    top = max(
        int(c[6:]) for c in Region.objects.filter(code__startswith="320707").values_list("code", flat=True)
    )
    assert REGIONS.highest(district="320707") == top
    with transaction.atomic():
        assert REGIONS.take(2, district="320707") == [f"320707{top + 1:06d}", f"320707{top + 2:06d}"]
    # Once the counter exists it is the truth: a later look at the table is not needed.
    Region.objects.filter(code=f"320707{top:06d}").update(code="320707999999")
    with transaction.atomic():
        assert REGIONS.next(district="320707") == f"320707{top + 3:06d}"
    assert REGIONS.highest(district="999999") == 0


@pytest.mark.django_db
def test_seeding_from_stored_numbers_raises_but_never_lowers():
    NumberCounter.objects.create(series="test", key="a", last=50)
    written = numbering.seed_counters(
        NumberCounter, "test", [("a", 10), ("b", 7), ("b", 9), ("a", 60), ("c", 1)]
    )
    assert written == 3
    numbering.seed_counters(NumberCounter, "test", [("a", 5)])
    assert dict(NumberCounter.objects.filter(series="test").values_list("key", "last")) == {
        "a": 60,
        "b": 9,
        "c": 1,
    }


# ------------------------------------------------------------------ PostgreSQL: 50 at once
def _allocate_one(key):
    def run(_i):
        with transaction.atomic():
            return numbering.allocate("race", key=key)[0]

    return run


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_allocations_are_distinct_and_gap_free(parallel):
    """50 transactions released together, first on a counter that does not exist yet (its creation races
    too), then on one that does."""
    NumberCounter.objects.create(series="race", key="2025", last=100)
    for key, start in (("2026", 1), ("2025", 101)):
        results, errors = parallel(_allocate_one(key), n=50)
        assert errors == []
        assert sorted(results) == list(range(start, start + 50))
        assert NumberCounter.objects.get(series="race", key=key).last == start + 49
