"""The append-only, hash-chained ledger that results, certificates and draws are written to.

Each entry's hash is SHA-256 of the previous hash and the entry's canonical content. Editing,
inserting or deleting any entry breaks the chain, which ``verify()`` (and `nongan verify-ledger`)
finds.

An entry about a record also carries the SHA-256 of the record's evidentiary content as it stands after the
change (``records``: ``[[model label, pk, digest], …]`` in the payload, so the chain covers it). A model says
what that content is with ``LEDGER_FIELDS`` (field names) or a ``ledger_content()`` method; every change of that
content is ledgered. ``verify_records()`` re-hashes the live records against their latest entries, so an edit of
the data tables themselves (an UPDATE or DELETE behind the application's back) is found. Appends are serialised by the ledger's counter in ``nongan.core.numbering`` (locked until the appending
transaction ends), which also gives each entry its sequence number.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models, transaction
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


def _plain(value: Any) -> Any:
    """A field value as it hashes the same before and after a database round trip."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def has_record_content(obj) -> bool:
    return hasattr(obj, "ledger_content") or bool(getattr(obj, "LEDGER_FIELDS", ()))


def record_content(obj) -> dict:
    """The evidentiary content of a record: ``obj.ledger_content()``, or its ``LEDGER_FIELDS``."""
    if hasattr(obj, "ledger_content"):
        content = obj.ledger_content()
    else:
        content = {name: getattr(obj, obj._meta.get_field(name).attname) for name in obj.LEDGER_FIELDS}
    return json.loads(canonical_json({k: _plain(v) for k, v in content.items()}), parse_float=str)


def record_digest(obj) -> str:
    return hashlib.sha256(canonical_json(record_content(obj)).encode("utf-8")).hexdigest()


def append(*, kind: str, ref: str, payload: Any, actor=None, region=None, records=()) -> LedgerEntry:
    """Append one entry at the head of the chain (inside the caller's transaction if there is one).

    ``region`` is the region the entry belongs to (a sample's producer, a draw's district…): the ledger
    page lists an entry to the users whose jurisdiction contains it. ``records``: the records the entry is
    about, as saved (their digests go into the payload; see ``verify_records``)."""
    records = [r for r in records if has_record_content(r)]
    if records:
        payload = {
            **(payload or {}),
            "records": [[r._meta.label_lower, r.pk, record_digest(r)] for r in records],
        }
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


def verify_records(batch: int = 2000) -> tuple[int, list[LedgerProblem]]:
    """Re-hash every record the ledger covers against its latest entry: (records checked, problems). A record
    changed or deleted in the database without a ledger entry is reported with the entry it no longer matches."""
    latest: dict[tuple[str, Any], tuple[int, str]] = {}
    entries = (
        LedgerEntry.objects.filter(payload__contains='"records":')
        .order_by("seq")
        .values_list("seq", "payload")
    )
    for seq, payload in entries.iterator(chunk_size=batch):
        try:
            rows = json.loads(payload).get("records") or []
        except (ValueError, AttributeError):
            continue  # a damaged payload is the chain check's finding
        for label, pk, digest in rows:
            latest[(label, pk)] = (seq, digest)
    by_model: dict[str, list] = {}
    for label, pk in latest:
        by_model.setdefault(label, []).append(pk)
    problems: list[LedgerProblem] = []
    for label, pks in sorted(by_model.items()):
        model = apps.get_model(label)
        for i in range(0, len(pks), batch):
            chunk = pks[i : i + batch]
            live = model._base_manager.in_bulk(chunk)
            for pk in chunk:
                seq, digest = latest[(label, pk)]
                obj = live.get(pk)
                if obj is None:
                    problems.append(LedgerProblem(seq, f"{label} {pk} was deleted after entry #{seq}"))
                elif record_digest(obj) != digest:
                    problems.append(
                        LedgerProblem(
                            seq,
                            f"{label} {pk} ({obj}) no longer matches entry #{seq}: "
                            "changed in the database without a ledger entry",
                        )
                    )
    problems.sort(key=lambda p: p.seq)
    return len(latest), problems
