"""Signed checkpoints and the chained audit log: `nongan verify-ledger` finds a direct edit of an audit row, entries
deleted from the end of either chain, a chain recomputed after an edit, and a forged checkpoint; its incremental mode
checks only what came after the last valid checkpoint. The checkpoints are public."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nongan.core import audit, ledger
from nongan.core.models import AuditLog, LedgerCheckpoint, LedgerEntry, Region


def _append(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        ledger.append(kind="result.published", ref=f"S{i}", payload={"value": f"0.{i}"}, actor="检测员")


def _audit(users, n: int) -> None:
    region = Region.objects.get(code="320707000000")
    for i in range(n):
        audit.record_change(users.admin, region, {"note": [str(i), str(i + 1)]}, reason="测试")


def _recompute_ledger_from(seq: int) -> None:
    """What a forger with the database does after editing entry ``seq``: recompute every hash after it."""
    prev = LedgerEntry.objects.get(seq=seq - 1).hash if seq > 1 else ledger.GENESIS
    for e in LedgerEntry.objects.filter(seq__gte=seq).order_by("seq"):
        e.prev_hash = prev
        e.hash = prev = ledger.entry_hash(
            prev, e.seq, e.time.isoformat(), e.kind, e.ref, e.actor_repr, e.payload, e.scope_path
        )
        e.save()


def test_audit_rows_are_chained_and_a_direct_edit_is_reported(users, capsys):
    _audit(users, 3)
    audit.seal()  # what runs when the writing transaction commits (the test's never does)
    rows = list(AuditLog.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, len(rows)))
    assert ledger.verify_audit() == (len(rows), [])
    call_command("verify_ledger")
    assert f"{len(rows)} 条审计日志，哈希链完整" in capsys.readouterr().out

    victim = rows[-2]
    AuditLog.objects.filter(pk=victim.pk).update(reason="改过的理由")
    count, problems = ledger.verify_audit()
    assert [(p.chain, p.seq, p.message) for p in problems] == [
        ("audit", victim.seq, "content does not match its hash (the entry was edited)")
    ]
    with pytest.raises(CommandError, match="账本已损坏：.*发现 1 个问题"):
        call_command("verify_ledger")
    assert f"审计日志 #{victim.seq}：内容与其哈希不符" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_rows_are_chained_when_their_transaction_commits():
    from django.db import transaction

    region = Region.objects.create(
        code="999999000000", name="测试区", level="district", path="/999999000000/"
    )
    with transaction.atomic():
        row = audit.record_create(None, region)
        assert AuditLog.objects.get(pk=row.pk).seq is None  # not chained before the commit
    row.refresh_from_db()
    assert row.seq is not None and row.hash == audit.hash_of(row)
    assert ledger.verify_audit()[1] == []


def test_a_bulk_write_is_chained_too(users):
    regions = list(Region.objects.order_by("pk")[:5])
    audit.record_create_many(users.admin, regions, reason="导入")
    assert ledger.verify_audit()[1] == []
    assert AuditLog.objects.filter(reason="导入").count() == 5


def test_a_checkpoint_is_signed_and_public(users, client):
    _append(3)
    cp = ledger.checkpoint_create(actor=users.admin)
    assert (cp.ledger_seq, cp.ledger_head) == (3, LedgerEntry.objects.get(seq=3).hash)
    assert cp.audit_head == AuditLog.objects.get(seq=cp.audit_seq).hash
    assert ledger.checkpoint_problems(cp) == []
    # its creation is audited (after the head it signed)
    assert AuditLog.objects.filter(object_id=str(cp.pk), content_type__model="ledgercheckpoint").count() == 1

    page = client.get("/ledger/checkpoints/")  # no login
    assert page.status_code == 200 and cp.ledger_head in page.content.decode()
    data = client.get("/ledger/checkpoints.json").json()
    [published] = data["checkpoints"]
    assert published["statement"] == cp.statement and published["signature"] == cp.signature
    assert data["keys"] == {cp.kid: cp.public_key}
    # anyone can check it with the published key alone
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from nongan.core.kek import _unb64u

    Ed25519PublicKey.from_public_bytes(_unb64u(data["keys"][cp.kid])).verify(
        _unb64u(published["signature"]), published["statement"].encode("utf-8")
    )
    download = client.get("/ledger/checkpoints.json?download=1")
    assert "attachment" in download["Content-Disposition"]


def test_an_altered_or_forged_checkpoint_is_reported(users):
    _append(2)
    cp = ledger.checkpoint_create()
    LedgerCheckpoint.objects.filter(pk=cp.pk).update(ledger_seq=1)
    [p] = ledger.verify_all().problems
    assert (p.chain, p.seq, p.msgid) == ("checkpoint", cp.pk, ledger.BAD_SIGNATURE)
    LedgerCheckpoint.objects.filter(pk=cp.pk).update(ledger_seq=2, kid="0123456789abcdef")
    [p] = ledger.verify_all().problems
    assert p.msgid == ledger.UNKNOWN_KEY


def test_truncation_is_found_against_a_checkpoint(users):
    _append(5)
    _audit(users, 2)
    cp = ledger.checkpoint_create()
    assert ledger.verify_all().ok
    # a forger deletes the newest entries and puts the counter back, so no gap shows
    LedgerEntry.objects.filter(seq__gte=4).delete()
    from nongan.core.models import NumberCounter

    NumberCounter.objects.filter(series="ledger").update(last=3)
    assert ledger.verify()[1] == []  # the chain alone looks whole
    truncated = f"checkpoint #{cp.pk} covers entries up to #5, but the chain ends at #3 (entries were deleted from the end)"
    assert [p.message for p in ledger.verify_all().problems] == [truncated]
    assert [p.message for p in ledger.verify_all(incremental=True).problems] == [truncated]


def test_truncation_without_a_checkpoint_is_found_by_the_counter(users):
    _append(4)
    LedgerEntry.objects.filter(seq=4).delete()
    [p] = ledger.verify()[1]
    assert (
        p.message
        == "numbers up to #4 were given, but the chain ends at #3 (entries were deleted from the end)"
    )


def test_audit_rows_deleted_from_the_end_are_found(users):
    _audit(users, 3)
    cp = ledger.checkpoint_create()
    head = cp.audit_seq
    AuditLog.objects.filter(seq__gte=head - 1).delete()
    from nongan.core.models import NumberCounter

    NumberCounter.objects.filter(series="audit").update(last=head - 2)
    problems = [p for p in ledger.verify_all().problems if p.chain == "audit"]
    assert [p.msgid for p in problems] == [ledger.TRUNCATED]


def test_a_recomputed_chain_is_found_against_an_earlier_checkpoint(users):
    _append(3)
    cp = ledger.checkpoint_create()
    _append(2, start=3)
    e = LedgerEntry.objects.get(seq=2)
    LedgerEntry.objects.filter(pk=e.pk).update(payload='{"value":"0.9"}')
    _recompute_ledger_from(2)
    assert ledger.verify()[1] == []  # internally consistent again
    [p] = ledger.verify_all().problems
    assert (p.chain, p.seq, p.msgid, p.params) == ("ledger", 3, ledger.RECOMPUTED, {"cp": cp.pk})


def test_incremental_check_starts_at_the_last_valid_checkpoint(users, capsys):
    _append(3)
    _audit(users, 2)
    first = ledger.checkpoint_create()
    _append(2, start=3)
    report = ledger.verify_all(incremental=True)
    assert report.ok and report.since == first and report.entries == 2
    call_command("verify_ledger", "--since-checkpoint")
    out = capsys.readouterr().out
    assert "账本完好：2 条账本条目" in out and f"自检查点 #{first.pk} 起" in out

    # an edit after the checkpoint is found incrementally
    LedgerEntry.objects.filter(seq=5).update(ref="S9")
    assert [p.seq for p in ledger.verify_all(incremental=True).problems] == [5]
    LedgerEntry.objects.filter(seq=5).update(ref="S4")
    # an edit before it is left to the full check ... unless the chain is recomputed up to the signed head
    LedgerEntry.objects.filter(seq=1).update(ref="S7")
    assert ledger.verify_all(incremental=True).ok
    assert [p.seq for p in ledger.verify_all().problems] == [1]
    _recompute_ledger_from(1)
    [p] = ledger.verify_all(incremental=True).problems
    assert (p.seq, p.msgid) == (3, ledger.RECOMPUTED)


def test_the_ledger_page_signs_a_checkpoint_and_shows_problems_in_chinese(users, client):
    _append(2)
    client.force_login(users.admin)
    response = client.post("/ledger/", {"action": "checkpoint"}, follow=True)
    cp = LedgerCheckpoint.objects.get()
    assert f"检查点 #{cp.pk} 已签名" in response.content.decode()
    assert cp.made_by == str(users.admin)
    LedgerEntry.objects.filter(seq=1).update(ref="X")
    page = client.post("/ledger/", {"action": "full"}).content.decode()
    assert "账本条目 #1：内容与其哈希不符（该条目被修改过）" in page
    client.force_login(users.qk)  # a township supervisor may not sign checkpoints
    assert client.post("/ledger/", {"action": "checkpoint"}).status_code == 403
    assert LedgerCheckpoint.objects.count() == 1


def test_the_checkpoint_command_makes_and_exports(users, tmp_path, capsys):
    _append(1)
    call_command("ledger_checkpoint", "--export", str(tmp_path / "cp.json"))
    cp = LedgerCheckpoint.objects.get()
    assert capsys.readouterr().out.startswith(f"checkpoint #{cp.pk}: ledger #1 ")
    [exported] = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    assert (
        exported["ledger_head"] == LedgerEntry.objects.get(seq=1).hash and exported["algorithm"] == "Ed25519"
    )
