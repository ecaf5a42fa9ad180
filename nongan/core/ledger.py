"""The append-only, hash-chained ledger that results, certificates and draws are written to.

Each entry's hash is SHA-256 of the previous hash and the entry's canonical content. Editing,
inserting or deleting any entry breaks the chain, which ``verify()`` (and `nongan verify-ledger`)
finds. Appends are serialised by the ledger's counter in ``nongan.core.numbering`` (locked until the appending
transaction ends), which also gives each entry its sequence number.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import numbering
from .models import LedgerEntry

GENESIS = "0" * 64
LEDGER_SERIES = "ledger"  # one counter (key "") of sequence numbers in nongan.core.numbering


def _highest_seq() -> int:
    head = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return head or 0


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    prev_hash: str,
    seq: int,
    time_iso: str,
    kind: str,
    ref: str,
    actor: str,
    payload: str,
    scope_path: str = "",
) -> str:
    material = "\n".join([prev_hash, str(seq), time_iso, kind, ref, actor, scope_path, payload])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def append(*, kind: str, ref: str, payload: Any, actor=None, region=None) -> LedgerEntry:
    """Append one entry at the head of the chain (inside the caller's transaction if there is one).

    ``region`` is the region the entry belongs to (a sample's producer, a draw's district…): the ledger
    page lists an entry to the users whose jurisdiction contains it."""
    with transaction.atomic():
        # The sequence number comes from the ledger's counter, locked until the caller's transaction ends: every
        # earlier append has committed by then, so the head read next is the real one.
        seq = numbering.allocate(LEDGER_SERIES, key="", seed=_highest_seq)[0]
        head = LedgerEntry.objects.order_by("-seq").only("hash").first()
        prev = head.hash if head else GENESIS
        raw = timezone.now()
        now = raw.replace(microsecond=(raw.microsecond // 1000) * 1000).astimezone(dt.UTC)
        body = canonical_json(payload)
        actor_repr = str(actor) if actor is not None else "system"
        time_iso = now.isoformat()
        scope_path = region.path if region is not None else ""
        return LedgerEntry.objects.create(
            seq=seq,
            time=now,
            kind=kind,
            ref=str(ref),
            actor_repr=actor_repr,
            scope_path=scope_path,
            payload=body,
            prev_hash=prev,
            hash=entry_hash(prev, seq, time_iso, kind, str(ref), actor_repr, body, scope_path),
        )


@dataclass
class LedgerProblem:
    seq: int
    message: str


def verify(batch: int = 5000) -> tuple[int, list[LedgerProblem]]:
    """Walk the whole chain; return (entries checked, problems found)."""
    problems: list[LedgerProblem] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    qs = LedgerEntry.objects.order_by("seq").values_list(
        "seq", "time", "kind", "ref", "actor_repr", "payload", "prev_hash", "hash", "scope_path"
    )
    for seq, time, kind, ref, actor, payload, prev_hash, stored, scope_path in qs.iterator(chunk_size=batch):
        count += 1
        if seq != expected_seq:
            problems.append(LedgerProblem(seq, f"entries {expected_seq}–{seq - 1} are missing"))
        if prev_hash != prev:
            problems.append(
                LedgerProblem(seq, "previous-hash link broken (an entry before it was changed or removed)")
            )
        recomputed = entry_hash(
            prev_hash, seq, time.astimezone(dt.UTC).isoformat(), kind, ref, actor, payload, scope_path
        )
        if recomputed != stored:
            problems.append(LedgerProblem(seq, "content does not match its hash (the entry was edited)"))
        prev = stored
        expected_seq = seq + 1
    return count, problems
