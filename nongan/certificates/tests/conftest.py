import datetime as dt

import pytest
from django.utils import timezone

from nongan.certificates import services


@pytest.fixture
def standards(shipped_standards):
    """The issue gate checks inputs against the standards app's banned and restricted lists: tests that record
    inputs load them (≈ 1.4 s a test, so not every certificates test does)."""


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def batch(users, ganyu, today):
    """A cucumber batch of the producer account's cooperative, started 60 days ago."""
    return services.batch_create(
        actor=users.producer,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=today - dt.timedelta(days=60),
        plot="3号大棚",
        unit="kg",
    )


@pytest.fixture
def issue(users):
    def make(batch, quantity="500", count=1, **kw):
        return services.certificate_issue(
            actor=kw.pop("actor", users.producer),
            batch=batch,
            quantity=quantity,
            unit=kw.pop("unit", "kg"),
            count=count,
            **kw,
        )

    return make
