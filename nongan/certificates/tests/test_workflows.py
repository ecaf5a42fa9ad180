"""Certificates' workflows on the core runner: revocation (CERTIFICATE_WORKFLOW) and the batch's first harvest
(BATCH_WORKFLOW) — refusals with their exact messages and nothing changed, the event rows, the ledger entry,
and the certificate page's button."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from nongan.certificates import services
from nongan.certificates.models import Certificate, CertificateEvent, ProductionBatch
from nongan.core import ledger
from nongan.core.models import AuditLog, LedgerEntry
from nongan.core.workflow import StateWriteError, events_for


def _snapshot(c):
    row = Certificate.objects.get(pk=c.pk)
    return (
        row.status,
        row.revoke_reason,
        CertificateEvent.objects.count(),
        AuditLog.objects.count(),
        LedgerEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("who", "reason", "expected"),
    [
        ("zw", "数量填错", ["您无权为该主体记录数据。"]),
        ("sampler", "数量填错", ["您无权为该主体记录数据。"]),
        ("producer", "  ", {"reason": ["请填写修改原因。"]}),
    ],
)
def test_revoke_refusals_change_nothing(users, batch, issue, who, reason, expected):
    [c] = issue(batch)
    before = _snapshot(c)
    with pytest.raises(ValidationError) as e:
        services.certificate_revoke(actor=getattr(users, who), certificate=c, reason=reason)
    assert (e.value.message_dict if isinstance(expected, dict) else e.value.messages) == expected
    assert _snapshot(c) == before


def test_revoke_records_event_audit_and_ledger(users, batch, issue):
    [c] = issue(batch)
    services.certificate_revoke(actor=users.qk, certificate=c, reason="数量填错")
    assert (c.status, c.revoke_reason) == ("revoked", "数量填错") and c.revoked_at
    ev = c.events.get(kind="revoked")
    assert (ev.from_status, ev.to_status, ev.reason, ev.actor) == ("valid", "revoked", "数量填错", users.qk)
    log = AuditLog.objects.filter(content_type__model="certificate", object_id=str(c.pk)).latest("id")
    assert log.reason == "数量填错" and log.changes["status"] == ["valid", "revoked"]
    entry = LedgerEntry.objects.get(kind="certificate.revoke", ref=c.number)
    c.refresh_from_db()
    assert entry.payload == ledger.canonical_json(
        {
            "number": c.number,
            "reason": "数量填错",
            "records": [["certificates.certificate", c.pk, ledger.record_digest(c)]],
        }
    )
    c.status = "valid"
    with pytest.raises(StateWriteError):
        c.save()
    with pytest.raises(StateWriteError):
        Certificate.objects.filter(pk=c.pk).update(status="valid")


def test_the_first_harvest_moves_the_batch_once(users, batch, today):
    assert batch.status == "growing"
    services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="100", unit="kg")
    batch.refresh_from_db()
    assert batch.status == "harvested"
    services.harvest_record(actor=users.producer, batch=batch, date=today, quantity="50", unit="kg")
    ev = events_for(batch).get()
    assert (ev.action, ev.from_state, ev.to_state, ev.actor) == (
        "harvest",
        "growing",
        "harvested",
        users.producer,
    )
    assert services.BATCH_WORKFLOW.available(users.producer, batch) == []  # internal: never a button
    with pytest.raises(StateWriteError):
        ProductionBatch.objects.filter(pk=batch.pk).update(status="closed")


def test_the_revoke_button_is_the_workflows(client, users, batch, issue):
    [c] = issue(batch)
    url = reverse("certificates:detail", args=[c.number])
    client.force_login(users.producer)
    assert "btn-outline-danger" in client.get(url).content.decode()
    client.force_login(users.sampler)
    page = client.get(url)
    assert page.status_code == 200 and "btn-outline-danger" not in page.content.decode()
    services.certificate_revoke(actor=users.producer, certificate=c, reason="数量填错")
    client.force_login(users.producer)
    assert "btn-outline-danger" not in client.get(url).content.decode()
