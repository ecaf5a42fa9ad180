"""A producer's status changes are ledgered with the producer's digest; a status changed in the database is
reported by `nongan verify-ledger`."""

import json

from nongan.core import ledger
from nongan.core.models import LedgerEntry
from nongan.core.states import unguarded_state_writes
from nongan.registry import services
from nongan.registry.models import Producer


def test_status_changes_are_ledgered(users):
    p = users.own_producer
    services.producer_set_status(
        actor=users.admin, producer=p, status="suspended", reason="抽检不合格，暂停开证"
    )
    entry = LedgerEntry.objects.get(kind="producer.status")
    payload = json.loads(entry.payload)
    assert (entry.ref, payload["to_state"], payload["reason"]) == (
        p.code,
        "suspended",
        "抽检不合格，暂停开证",
    )
    assert [(label, pk) for label, pk, _d in payload["records"]] == [("registry.producer", p.pk)]
    assert ledger.verify_records() == (1, [])
    with unguarded_state_writes():
        Producer.objects.filter(pk=p.pk).update(status="active")  # suspension lifted behind the application
    [problem] = ledger.verify_records()[1]
    assert problem.seq == entry.seq and f"registry.producer {p.pk}" in problem.message
