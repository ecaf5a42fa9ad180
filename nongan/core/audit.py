"""Change records for domain data. Every service that writes calls ``record_*`` inside its transaction.

The rows are hash-chained like the ledger: each carries its sequence number, the previous row's hash and its own
(``row_hash``: SHA-256 over the previous hash and the row's content as stored), so an audit row edited, inserted or
deleted in the database breaks the chain (``nongan.core.ledger.verify_audit``; signed checkpoints catch a recomputed
chain or rows deleted from the end). A row is written unchained and chained by ``seal()`` right after its
transaction commits (``on_commit``), in a short transaction of its own that holds the audit counter
(``AUDIT_SERIES`` in ``nongan.core.numbering``) and no other lock: writers are never serialised on the chain and
cannot deadlock on it. ``seal()`` also runs before every check and checkpoint, so a row whose hook never ran (a
crash between commit and hook) is chained then."""

import datetime as dt
import decimal
import hashlib
import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from .choices import AuditAction
from .middleware import current_request_id
from .models import AuditLog, NumberCounter

GENESIS = "0" * 64
AUDIT_SERIES = "audit"  # one counter (key "") of the audit rows' sequence numbers


def _highest_seq() -> int:
    return (
        AuditLog.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0
    )


def hold_chain() -> None:
    """Lock the audit counter until the caller's transaction ends (without taking a number)."""
    rows = NumberCounter.objects.select_for_update()
    if rows.filter(series=AUDIT_SERIES, key="").first() is None:
        NumberCounter.objects.bulk_create(
            [NumberCounter(series=AUDIT_SERIES, key="", last=_highest_seq())], ignore_conflicts=True
        )
        rows.get(series=AUDIT_SERIES, key="")


def row_hash(
    prev_hash: str,
    seq: int,
    time: dt.datetime,
    actor_id,
    actor_repr: str,
    action: str,
    content_type_id: int,
    object_id: str,
    object_repr: str,
    changes: Any,
    reason: str,
    request_id: str,
) -> str:
    body = json.dumps(changes, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    material = "\n".join(
        [
            prev_hash,
            str(seq),
            time.astimezone(dt.UTC).isoformat(),
            str(actor_id or ""),
            actor_repr,
            action,
            str(content_type_id),
            object_id,
            object_repr,
            reason,
            request_id,
            body,
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# The columns an audit row's hash covers, in the order ``row_hash`` takes them (verify-ledger reads these).
HASHED_FIELDS = (
    "prev_hash",
    "seq",
    "time",
    "actor_id",
    "actor_repr",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "changes",
    "reason",
    "request_id",
)


def hash_of(row: AuditLog) -> str:
    return row_hash(*(getattr(row, name) for name in HASHED_FIELDS))


def seal(batch: int = 2000) -> int:
    """Chain every committed row not chained yet, in the order of their ids; returns how many. Its own short
    transaction (or the caller's: a checkpoint seals inside its own)."""
    sealed = 0
    with transaction.atomic():
        hold_chain()
        head = AuditLog.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
        seq, prev = head or (0, GENESIS)
        while True:
            rows = list(AuditLog.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not rows:
                break
            for row in rows:
                seq += 1
                row.seq, row.prev_hash = seq, prev
                row.hash = prev = hash_of(row)
            AuditLog.objects.bulk_update(rows, ["seq", "prev_hash", "hash"])
            sealed += len(rows)
        if sealed:
            NumberCounter.objects.filter(series=AUDIT_SERIES, key="").update(last=seq)
    return sealed


def _seal_after_commit() -> None:
    """Once per transaction: ``seal`` when it commits (one sealing chains all of its rows)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is seal for entry in connection.run_on_commit):
        return
    transaction.on_commit(seal, robust=True)


def _plain(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(obj: models.Model, m2m: bool = True) -> dict[str, Any]:
    """The object's concrete field values, for before/after comparison (FKs by display name).

    ``m2m=False`` skips many-to-many fields (one query each), for bulk writers that know them already."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in getattr(obj, "AUDIT_EXCLUDE", ()):  # derived search columns etc.
            continue
        if field.is_relation:
            related = getattr(obj, field.name, None) if getattr(obj, field.attname) is not None else None
            data[field.name] = str(related) if related is not None else None
        else:
            data[field.name] = _plain(getattr(obj, field.attname))
    for field in obj._meta.many_to_many if m2m else ():
        if obj.pk:
            data[field.name] = sorted(str(o) for o in getattr(obj, field.name).all())
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _write(actor, obj: models.Model, action: str, changes: dict, reason: str = "") -> AuditLog:
    row = AuditLog(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=str(actor) if actor is not None else "system",
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
        reason=reason[:255],
        request_id=current_request_id(),
    )
    row.save(force_insert=True)
    _seal_after_commit()
    return row


def record_create(actor, obj: models.Model, reason: str = "") -> AuditLog:
    after = snapshot(obj)
    return _write(
        actor,
        obj,
        AuditAction.CREATE,
        {k: [None, v] for k, v in after.items() if v not in (None, "", [])},
        reason,
    )


def record_create_many(
    actor, objs: list[models.Model], reason: str = "", extra: list[dict] | None = None
) -> None:
    """One "create" entry per object, written in bulk, for bulk writers (imports, batch issue).

    Many-to-many fields are not read (one query per object); a writer that sets them passes their values
    in ``extra``, one dict per object ({field: value})."""
    if not objs:
        return
    ct = ContentType.objects.get_for_model(objs[0], for_concrete_model=True)
    user = actor if getattr(actor, "pk", None) else None
    actor_repr = str(actor) if actor is not None else "system"
    request_id = current_request_id()
    rows = []
    for i, obj in enumerate(objs):
        after = snapshot(obj, m2m=False)
        if extra is not None:
            after.update(extra[i])
        rows.append(
            AuditLog(
                actor=user,
                actor_repr=actor_repr,
                action=AuditAction.CREATE,
                content_type=ct,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes={k: [None, v] for k, v in after.items() if v not in (None, "", [])},
                reason=reason[:255],
                request_id=request_id,
            )
        )
    AuditLog.objects.bulk_create(rows, batch_size=1000)
    _seal_after_commit()


def record_update(actor, obj: models.Model, before: dict[str, Any], reason: str = "") -> AuditLog | None:
    changes = diff(before, snapshot(obj))
    if not changes or set(changes) == {"version"}:  # a save that changed nothing but its version
        return None
    return _write(actor, obj, AuditAction.UPDATE, changes, reason)


def record_change(actor, obj: models.Model, changes: dict[str, list[Any]], reason: str = "") -> AuditLog:
    """An update whose changes the caller states, for what a snapshot does not show (a password changed:
    ``{"password": ["******", "changed"]}``, never the value)."""
    return _write(actor, obj, AuditAction.UPDATE, changes, reason)


def record_delete(actor, obj: models.Model, reason: str = "") -> AuditLog:
    before = snapshot(obj)
    return _write(
        actor,
        obj,
        AuditAction.DELETE,
        {k: [v, None] for k, v in before.items() if v not in (None, "", [])},
        reason,
    )


def history_for(obj: models.Model, related: list[models.Model] | None = None):
    """Audit entries of an object (and optionally of its children), newest first."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    q = models.Q(content_type=ct, object_id=str(obj.pk))
    return AuditLog.objects.filter(q).select_related("actor").order_by("-time", "-id")
