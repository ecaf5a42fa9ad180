"""Domain events are delivered inside the sender's transaction: the reaction commits or rolls back with the
change, a failing receiver undoes the change, and sending outside a transaction is refused."""

import pytest
from django.db import connection, transaction

from nongan.core.events import Event, EventOutsideTransaction, all_events
from nongan.core.models import Region

changed = Event("core_test.changed", payload=("region",), doc="A region of the test changed.")


def _region(code: str) -> Region:
    return Region.objects.create(code=code, name=code, level="village", path=f"/{code}/")


def _ours():
    """The regions these tests make (the test database may also hold the reference regions, committed before
    the first test; whether they are there depends on which tests ran before)."""
    return Region.objects.filter(code__startswith="90000000000")


@pytest.fixture
def receiver():
    calls = []

    def react(*, actor, region):
        calls.append((actor, region.code, connection.in_atomic_block))
        _region(region.code[:-1] + "9")

    changed.connect(react)
    changed.connect(react)  # once only
    yield calls
    changed.disconnect(react)


@pytest.mark.django_db(transaction=True)
def test_the_reaction_happens_in_the_senders_transaction_and_commits_with_it(receiver):
    with transaction.atomic():
        r = _region("900000000001")
        changed.send(actor="tester", region=r)
        assert receiver == [("tester", "900000000001", True)]
    assert set(_ours().values_list("code", flat=True)) == {"900000000001", "900000000009"}


@pytest.mark.django_db(transaction=True)
def test_the_reaction_rolls_back_with_the_senders_change(receiver):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        r = _region("900000000001")
        changed.send(actor=None, region=r)
        1 / 0  # noqa: B018
    assert receiver and not _ours().exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_rolls_the_senders_change_back(receiver):
    def refuse(*, actor, region):
        raise RuntimeError("no")

    changed.connect(refuse)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            r = _region("900000000001")
            changed.send(actor=None, region=r)
    finally:
        changed.disconnect(refuse)
    assert len(receiver) == 1  # the first receiver ran, and its write is undone too
    assert not _ours().exists()


@pytest.mark.django_db(transaction=True)
def test_sending_outside_a_transaction_is_an_error(receiver):
    r = _region("900000000001")
    with pytest.raises(EventOutsideTransaction):
        changed.send(actor=None, region=r)
    assert receiver == [] and _ours().count() == 1


def test_an_event_carries_exactly_its_payload_and_has_one_name(db):
    with pytest.raises(TypeError), transaction.atomic():
        changed.send(actor=None, region=None, extra=1)
    with pytest.raises(ValueError):
        Event("core_test.changed", payload=())
    assert all_events()["core_test.changed"] is changed


def test_send_returns_the_receivers_answers_in_order(db):
    def marks(*, actor, region):
        return f"marked {region}"

    def nothing(*, actor, region):
        return None

    changed.connect(marks)
    changed.connect(nothing)
    try:
        with transaction.atomic():
            assert changed.send(actor=None, region="R1") == ["marked R1", None]
    finally:
        changed.disconnect(marks)
        changed.disconnect(nothing)
    with transaction.atomic():
        assert changed.send(actor=None, region="R1") == []
