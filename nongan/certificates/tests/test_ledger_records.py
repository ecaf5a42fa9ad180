"""The ledger covers the certificates themselves: an edit or deletion in the database behind the application's
back is reported by `nongan verify-ledger`; changes made through the application (revocation) are not."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nongan.certificates import services
from nongan.certificates.models import Certificate
from nongan.core import ledger
from nongan.core.models import LedgerEntry


def test_a_direct_edit_of_a_certificate_is_reported(users, batch, issue, capsys):
    certs = issue(batch, quantity="10", count=3, unit="箱")
    entry = LedgerEntry.objects.get(kind="certificate.issue")
    records = json.loads(entry.payload)["records"]
    assert [(label, pk) for label, pk, _d in records] == [("certificates.certificate", c.pk) for c in certs]
    assert ledger.verify_records() == (4, [])  # the three certificates and the signing key
    # revoked through the application: a new entry with the new digest, still consistent
    services.certificate_revoke(actor=users.producer, certificate=certs[0], reason="批次信息填错")
    assert ledger.verify_records() == (4, [])  # the three certificates and the signing key
    call_command("verify_ledger")
    assert "4 条业务记录与其条目一致" in capsys.readouterr().out

    # a forger raises the quantity of one in the database
    Certificate.objects.filter(pk=certs[1].pk).update(quantity=Decimal("99999"))
    count, problems = ledger.verify_records()
    assert count == 4 and len(problems) == 1
    assert problems[0].seq == entry.seq
    assert f"certificates.certificate {certs[1].pk} ({certs[1].number})" in problems[0].message
    with pytest.raises(CommandError, match="4 条业务记录中有 1 条在账本之外被改动"):
        call_command("verify_ledger")
    assert "不再一致：在数据库中被直接修改，没有账本条目" in capsys.readouterr().err


def test_a_deleted_certificate_is_reported(batch, issue):
    [c] = issue(batch, quantity="10")
    Certificate.objects.filter(pk=c.pk).update(quantity=Decimal("10"))  # the same value: nothing to report
    assert ledger.verify_records() == (2, [])  # the certificate and the signing key
    c.events.all().delete()
    Certificate.objects.filter(pk=c.pk).delete()
    count, [problem] = ledger.verify_records()
    assert count == 2 and problem.message.startswith(
        f"certificates.certificate {c.pk} was deleted after entry #"
    )


def test_records_are_checked_in_batches_from_the_databases_list_of_latest_entries(users, batch, issue):
    """The database lists each covered record once with its latest entry; small batches (across two models and
    chunk boundaries) find the same problems as one batch."""
    certs = issue(batch, quantity="10", count=5)
    services.certificate_revoke(
        actor=users.producer, certificate=certs[0], reason="批次信息填错"
    )  # a later entry
    Certificate.objects.filter(pk=certs[3].pk).update(quantity=Decimal("77"))
    listed = list(ledger._covered(0, 2))
    assert [(label, pk) for label, pk, _s, _d in listed] == sorted(
        [("certificates.certificate", c.pk) for c in certs] + [("certificates.signingkey", listed[-1][1])],
        key=lambda item: (item[0], str(item[1])),
    )
    revoked = LedgerEntry.objects.filter(kind="certificate.revoke").get()
    assert [s for label, pk, s, _d in listed if pk == certs[0].pk and label.endswith("certificate")] == [
        revoked.seq
    ]
    for size in (1, 2, 5000):
        count, problems = ledger.verify_records(batch=size)
        assert count == 6 and [f"certificates.certificate {certs[3].pk} " in p.message for p in problems] == [
            True
        ]


def test_an_entry_that_is_not_json_leaves_the_record_check_working(users, batch, issue):
    """A damaged payload is the chain check's finding; the record check reads the others (the database cannot
    expand that entry, so the list is made in memory instead)."""
    certs = issue(batch, quantity="10", count=2)
    issued = LedgerEntry.objects.get(kind="certificate.issue")
    services.certificate_revoke(actor=users.producer, certificate=certs[1], reason="批次信息填错")
    LedgerEntry.objects.filter(pk=issued.pk).update(payload='{"records": [oops')
    Certificate.objects.filter(pk=certs[1].pk).update(quantity=Decimal("88"))
    count, [problem] = ledger.verify_records()
    assert count == 2 and f"certificates.certificate {certs[1].pk} " in problem.message  # and the signing key
    assert issued.seq in [p.seq for p in ledger.verify()[1]]
