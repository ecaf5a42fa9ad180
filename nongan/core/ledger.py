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

Signed checkpoints (``checkpoint_create``, `nongan ledger-checkpoint`, daily from cron and on demand on /ledger/) state
the heads of the ledger and of the audit log (``nongan.core.audit`` chains its rows the same way), signed with the
installation's checkpoint key (Ed25519, derived from the key-encryption key: never in the database). Published at
/ledger/checkpoints/, they make a truncated or recomputed chain detectable (``verify_all``); ``verify_all(incremental=
True)`` checks only what came after the last valid checkpoint.
"""

import datetime as dt
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from . import audit, numbering
from .kek import KeyUnavailable, _b64u, _unb64u, settings_kek
from .models import AuditLog, LedgerCheckpoint, LedgerEntry, NumberCounter

GENESIS = "0" * 64
LEDGER_SERIES = "ledger"  # one counter (key "") of sequence numbers in nongan.core.numbering
SYSTEM_ACTOR = "system"  # the actor stored (and hashed) for a change made by no user: shown as actor_label()


def actor_label(actor_repr: str) -> str:
    """The stored actor of an entry (or an audit row, a draw event) as shown: the system actor in the reader's
    language."""
    return gettext("system") if actor_repr == SYSTEM_ACTOR else actor_repr


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


def _declared(model) -> list[tuple[str, str]] | None:
    """(name, attname) of every field a model's content may hold, when it is declared (``LEDGER_FIELDS`` and
    ``LEDGER_FIELDS_ONCE_SET``) rather than computed (``ledger_content()``)."""
    if hasattr(model, "ledger_content") or not getattr(model, "LEDGER_FIELDS", ()):
        return None
    names = list(model.LEDGER_FIELDS)
    for key, more in getattr(model, "LEDGER_FIELDS_ONCE_SET", {}).items():
        names += [key, *more]
    names = list(dict.fromkeys(names))
    return [(n, model._meta.get_field(n).attname) for n in names]


def _content(model, values: dict) -> dict:
    """The declared content from the values of the fields (by name): ``LEDGER_FIELDS``, and each group of
    ``LEDGER_FIELDS_ONCE_SET`` ({field: (fields…)}) once that field is set (neither None nor empty text), so
    records from before the group was declared keep their digests."""
    content = {name: values[name] for name in model.LEDGER_FIELDS}
    for key, more in getattr(model, "LEDGER_FIELDS_ONCE_SET", {}).items():
        if values[key] not in (None, ""):
            content.update({name: values[name] for name in (key, *more)})
    return content


def _digest_of(content: dict) -> str:
    plain = json.loads(canonical_json({k: _plain(v) for k, v in content.items()}), parse_float=str)
    return hashlib.sha256(canonical_json(plain).encode("utf-8")).hexdigest()


def record_content(obj) -> dict:
    """The evidentiary content of a record: ``obj.ledger_content()``, or its declared fields."""
    if hasattr(obj, "ledger_content"):
        content = obj.ledger_content()
    else:
        content = _content(type(obj), {name: getattr(obj, att) for name, att in _declared(type(obj))})
    return json.loads(canonical_json({k: _plain(v) for k, v in content.items()}), parse_float=str)


def record_digest(obj) -> str:
    return hashlib.sha256(canonical_json(record_content(obj)).encode("utf-8")).hexdigest()


def _live_digests(model, pks: list) -> dict:
    """{pk: digest} of the live records (missing ones left out). Declared content is read as plain values (no
    model instances: the full check's cost at millions of records)."""
    declared = _declared(model)
    if declared is None:
        return {pk: record_digest(obj) for pk, obj in model._base_manager.in_bulk(pks).items()}
    names = [name for name, _att in declared]
    rows = model._base_manager.filter(pk__in=pks).values_list("pk", *[att for _name, att in declared])
    return {row[0]: _digest_of(_content(model, dict(zip(names, row[1:], strict=True)))) for row in rows}


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
        actor_repr = str(actor) if actor is not None else SYSTEM_ACTOR
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


def has_entry(*, kind: str, ref: str) -> bool:
    """Whether the ledger holds an entry of ``kind`` about ``ref``."""
    return LedgerEntry.objects.filter(kind=kind, ref=str(ref)).exists()


# What each kind of entry is called on the ledger page. The apps add theirs (``register_kinds`` in their
# ``AppConfig.ready``); an unknown kind is shown as it is stored.
KIND_LABELS: dict[str, Any] = {}


def register_kinds(labels: dict[str, Any]) -> None:
    KIND_LABELS.update(labels)


def kind_label(kind: str):
    return KIND_LABELS.get(kind, kind)


@dataclass
class LedgerProblem:
    """One finding. ``msgid`` is the English text with %(name)s placeholders filled from ``params``: ``message``
    is it in English (the command's output), ``text`` in the user's language (the page)."""

    seq: int
    msgid: str
    params: dict | None = None
    chain: str = "ledger"  # "ledger", "audit" (an audit row's sequence number) or "checkpoint" (its id)

    @property
    def message(self) -> str:
        return self.msgid % (self.params or {})

    @property
    def text(self) -> str:
        return gettext(self.msgid) % (self.params or {})

    @property
    def place(self) -> str:
        return {
            "ledger": gettext("Ledger entry #%(n)s"),
            "audit": gettext("Audit row #%(n)s"),
            "checkpoint": gettext("Checkpoint #%(n)s"),
        }[self.chain] % {"n": self.seq}


# The problem texts (msgids in English; the zh_Hans catalog of core has them).
MISSING = gettext_noop("entries %(first)s–%(last)s are missing")
LINK_BROKEN = gettext_noop("previous-hash link broken (an entry before it was changed or removed)")
EDITED = gettext_noop("content does not match its hash (the entry was edited)")
RECOMPUTED = gettext_noop(
    "its hash differs from the one signed in checkpoint #%(cp)s (the chain was rewritten and recomputed)"
)
TRUNCATED = gettext_noop(
    "checkpoint #%(cp)s covers entries up to #%(upto)s, but the chain ends at #%(last)s (entries were deleted "
    "from the end)"
)
COUNTER_AHEAD = gettext_noop(
    "numbers up to #%(counter)s were given, but the chain ends at #%(last)s (entries were deleted from the end)"
)
BAD_SIGNATURE = gettext_noop(
    "its signature does not match its statement (the checkpoint was altered or forged)"
)
UNKNOWN_KEY = gettext_noop(
    "it is signed by key %(kid)s, which is not this installation's checkpoint key (forged, or made with another "
    "key-encryption key: add that key's public key to NONGAN_CHECKPOINT_KEYS)"
)
RECORD_DELETED = gettext_noop("%(record)s was deleted after entry #%(entry)s")
RECORD_CHANGED = gettext_noop(
    "%(record)s no longer matches entry #%(entry)s: changed in the database without a ledger entry"
)
ELSEWHERE = gettext_noop("A record outside your jurisdiction no longer matches its entry.")


def problem(seq: int, msgid: str, chain: str = "ledger", **params) -> LedgerProblem:
    return LedgerProblem(seq, msgid, params, chain)


def _walk(rows, *, prev: str, expected: int, marks: dict, chain: str):
    """Check a chain: ``rows`` are (seq, prev_hash, stored hash, recomputed hash) in order, starting after an
    entry whose hash is ``prev`` and whose successor is ``expected``; ``marks`` {seq: (checkpoint id, hash)}
    are the heads the checkpoints signed. Returns (rows checked, problems, last seq)."""
    problems: list[LedgerProblem] = []
    count = 0
    for seq, prev_hash, stored, recomputed in rows:
        count += 1
        if seq != expected:
            problems.append(problem(seq, MISSING, chain, first=expected, last=seq - 1))
        if prev_hash != prev:
            problems.append(problem(seq, LINK_BROKEN, chain))
        if recomputed != stored:
            problems.append(problem(seq, EDITED, chain))
        mark = marks.get(seq)
        if mark is not None and mark[1] != stored:
            problems.append(problem(seq, RECOMPUTED, chain, cp=mark[0]))
        prev = stored
        expected = seq + 1
    last = expected - 1
    for seq, (cp, _hash) in sorted(marks.items()):
        if seq > last:
            problems.append(problem(last, TRUNCATED, chain, cp=cp, upto=seq, last=last))
            break
    return count, problems, last


def _ledger_rows(since: int, batch: int):
    qs = (
        LedgerEntry.objects.filter(seq__gt=since)
        .order_by("seq")
        .values_list("seq", "time", "kind", "ref", "actor_repr", "payload", "prev_hash", "hash", "scope_path")
    )
    for seq, time, kind, ref, actor, payload, prev_hash, stored, scope_path in qs.iterator(chunk_size=batch):
        recomputed = entry_hash(
            prev_hash, seq, time.astimezone(dt.UTC).isoformat(), kind, ref, actor, payload, scope_path
        )
        yield seq, prev_hash, stored, recomputed


def _audit_rows(since: int, batch: int):
    qs = AuditLog.objects.filter(seq__gt=since).order_by("seq").values_list(*audit.HASHED_FIELDS, "hash")
    for row in qs.iterator(chunk_size=batch):
        yield row[1], row[0], row[-1], audit.row_hash(*row[:-1])


def _counter(series: str) -> int:
    return NumberCounter.objects.filter(series=series, key="").values_list("last", flat=True).first() or 0


def verify(
    batch: int = 5000, *, since: int = 0, marks: dict | None = None
) -> tuple[int, list[LedgerProblem]]:
    """Walk the ledger's chain (after entry ``since``); return (entries checked, problems found)."""
    prev = GENESIS
    if since:
        prev = LedgerEntry.objects.filter(seq=since).values_list("hash", flat=True).first() or GENESIS
    count, problems, last = _walk(
        _ledger_rows(since, batch), prev=prev, expected=since + 1, marks=marks or {}, chain="ledger"
    )
    counter = _counter(LEDGER_SERIES)
    if counter > last:
        problems.append(problem(last, COUNTER_AHEAD, counter=counter, last=last))
    return count, problems


def verify_audit(
    batch: int = 5000, *, since: int = 0, marks: dict | None = None
) -> tuple[int, list[LedgerProblem]]:
    """Walk the audit log's chain (after row ``since``); return (rows checked, problems found). Rows committed
    but not chained yet are chained first."""
    audit.seal()
    prev = GENESIS
    if since:
        prev = AuditLog.objects.filter(seq=since).values_list("hash", flat=True).first() or GENESIS
    count, problems, last = _walk(
        _audit_rows(since, batch), prev=prev, expected=since + 1, marks=marks or {}, chain="audit"
    )
    counter = _counter(audit.AUDIT_SERIES)
    if counter > last:
        problems.append(problem(last, COUNTER_AHEAD, "audit", counter=counter, last=last))
    return count, problems


def verify_records(batch: int = 2000, *, since: int = 0) -> tuple[int, list[LedgerProblem]]:
    """Re-hash every record the ledger covers against its latest entry: (records checked, problems). A record
    changed or deleted in the database without a ledger entry is reported with the entry it no longer matches.
    ``since``: only the records of entries after that one (their latest entry is among them).

    The database lists each covered record once, with its latest entry, sorted by model (``_covered``); they are
    checked ``batch`` at a time, so memory does not grow with the ledger."""
    problems: list[LedgerProblem] = []
    count = 0
    label, chunk = None, []
    for row in _covered(since, batch):
        count += 1
        if row[0] != label or len(chunk) >= batch:
            _check_records(label, chunk, problems)
            label, chunk = row[0], []
        chunk.append(row[1:])
    _check_records(label, chunk, problems)
    problems.sort(key=lambda p: p.seq)
    return count, problems


def _check_records(label: str | None, chunk: list, problems: list) -> None:
    """Compare ``chunk`` [(pk, seq, digest)] of model ``label`` with the live records."""
    if not chunk:
        return
    model = apps.get_model(label)
    live = _live_digests(model, [pk for pk, _seq, _digest in chunk])
    for pk, seq, digest in chunk:
        now = live.get(pk)
        if now is None:
            problems.append(problem(seq, RECORD_DELETED, record=f"{label} {pk}", entry=seq))
        elif now != digest:
            obj = model._base_manager.get(pk=pk)
            problems.append(problem(seq, RECORD_CHANGED, record=f"{label} {pk} ({obj})", entry=seq))


_RECORDS_MARK = '%"records":%'


def _covered(since: int, batch: int):
    """(model label, pk, seq, digest) of every record in the ``records`` of the entries after ``since``, each once
    with its latest entry, sorted by label: the entries' JSON is expanded and sorted by the database and read in
    chunks. A payload the database cannot read as JSON (a damaged entry: the chain check's finding) makes it fall
    back to reading every payload here, keeping each record's latest entry in memory."""
    from django.db import DatabaseError, connection

    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            "SELECT DISTINCT ON (r.value->>0, r.value->>1) r.value->>0, r.value->>1, e.seq, r.value->>2 "
            f"FROM {table} e CROSS JOIN LATERAL jsonb_array_elements(e.payload::jsonb -> 'records') AS r(value) "
            "WHERE e.seq > %s AND e.payload LIKE %s ORDER BY r.value->>0, r.value->>1, e.seq DESC"
        )
    else:
        sql = (
            "SELECT label, pk, seq, digest FROM (SELECT json_extract(r.value, '$[0]') AS label, "
            "CAST(json_extract(r.value, '$[1]') AS TEXT) AS pk, e.seq AS seq, json_extract(r.value, '$[2]') AS digest, "
            "ROW_NUMBER() OVER (PARTITION BY json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]') "
            "ORDER BY e.seq DESC) AS latest "
            f"FROM {table} e, json_each(e.payload, '$.records') r "
            "WHERE e.seq > %s AND e.payload LIKE %s AND json_valid(e.payload)) "
            "WHERE latest = 1 ORDER BY label, pk"
        )
    cursor = connection.chunked_cursor()  # on PostgreSQL a server-side cursor: rows arrive batch by batch
    try:
        with transaction.atomic():  # a savepoint: a payload that is not JSON undoes only this query
            try:
                cursor.execute(sql, [since, _RECORDS_MARK])
                rows = cursor.fetchmany(batch)
            except DatabaseError:
                cursor.close()  # inside the failed transaction: the cursor is dropped, nothing is sent
                raise
    except DatabaseError:
        yield from _covered_in_memory(since, batch)
        return
    try:
        while rows:
            for label, pk, seq, digest in rows:
                if isinstance(label, str) and pk is not None and isinstance(digest, str):
                    yield label, int(pk) if str(pk).lstrip("-").isdigit() else pk, seq, digest
            rows = cursor.fetchmany(batch)
    finally:
        cursor.close()


def _covered_in_memory(since: int, batch: int):
    latest: dict[tuple[str, Any], tuple[int, str]] = {}
    entries = (
        LedgerEntry.objects.filter(seq__gt=since, payload__contains='"records":')
        .order_by("seq")
        .values_list("seq", "payload")
    )
    for seq, payload in entries.iterator(chunk_size=batch):
        try:
            rows = json.loads(payload).get("records") or []
        except (ValueError, AttributeError):
            continue  # a damaged payload is the chain check's finding
        for row in rows:
            if isinstance(row, list) and len(row) == 3 and isinstance(row[0], str):
                latest[(row[0], row[1])] = (seq, row[2])
    for (label, pk), (seq, digest) in sorted(latest.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        yield label, pk, seq, digest


# -- signed checkpoints ------------------------------------------------------------------------------------------

_KEY_INFO = b"nongan-ledger-checkpoint-v1"


def _private_key() -> Ed25519PrivateKey:
    """The installation's checkpoint key: derived from the key-encryption key (so never stored anywhere)."""
    kek = settings_kek(create=True)
    return Ed25519PrivateKey.from_private_bytes(hmac_sha256(kek, _KEY_INFO))


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def trusted_keys() -> dict[str, bytes]:
    """The public checkpoint keys this installation trusts: its own (when the key-encryption key is at hand) and
    those listed in ``NONGAN_CHECKPOINT_KEYS`` (base64url, comma-separated: keys of earlier key-encryption keys)."""
    keys = {}
    for text in getattr(settings, "NONGAN_CHECKPOINT_KEYS", ()) or ():
        raw = _unb64u(text)
        keys[key_id(raw)] = raw
    try:
        raw = _public_raw(_private_key())
        keys[key_id(raw)] = raw
    except KeyUnavailable:
        pass
    return keys


def statement(
    *, time_iso: str, ledger_seq: int, ledger_head: str, audit_seq: int, audit_head: str, kid: str
) -> str:
    return canonical_json(
        {
            "v": 1,
            "time": time_iso,
            "ledger_seq": ledger_seq,
            "ledger_head": ledger_head,
            "audit_seq": audit_seq,
            "audit_head": audit_head,
            "kid": kid,
        }
    )


def checkpoint_create(*, actor=None) -> LedgerCheckpoint:
    """Sign the heads of the ledger and the audit log as they stand now (every earlier write committed: the
    two chains' locks are taken first, in their one order). Audited."""
    private = _private_key()
    public = _public_raw(private)
    kid = key_id(public)
    with transaction.atomic():
        audit.seal()  # every committed audit row chained (the audit counter stays locked until the end)
        _hold_ledger()
        lhead = LedgerEntry.objects.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)
        ahead = AuditLog.objects.filter(seq__isnull=False).order_by("-seq").values_list(
            "seq", "hash"
        ).first() or (0, GENESIS)
        raw = timezone.now()
        now = raw.replace(microsecond=(raw.microsecond // 1000) * 1000).astimezone(dt.UTC)
        text = statement(
            time_iso=now.isoformat(),
            ledger_seq=lhead[0],
            ledger_head=lhead[1],
            audit_seq=ahead[0],
            audit_head=ahead[1],
            kid=kid,
        )
        cp = LedgerCheckpoint.objects.create(
            time=now,
            ledger_seq=lhead[0],
            ledger_head=lhead[1],
            audit_seq=ahead[0],
            audit_head=ahead[1],
            kid=kid,
            public_key=_b64u(public),
            statement=text,
            signature=_b64u(private.sign(text.encode("utf-8"))),
            made_by=str(actor) if actor is not None else "system",
        )
        audit.record_create(actor, cp)
    return cp


def _hold_ledger() -> None:
    rows = NumberCounter.objects.select_for_update()
    if rows.filter(series=LEDGER_SERIES, key="").first() is None:
        NumberCounter.objects.bulk_create(
            [NumberCounter(series=LEDGER_SERIES, key="", last=_highest_seq())], ignore_conflicts=True
        )
        rows.get(series=LEDGER_SERIES, key="")


def checkpoint_problems(cp: LedgerCheckpoint, keys: dict[str, bytes] | None = None) -> list[LedgerProblem]:
    """Whether a checkpoint is what its key signed: its statement matches its fields, the signature is valid
    and the key is one this installation trusts."""
    keys = trusted_keys() if keys is None else keys
    expected = statement(
        time_iso=cp.time.astimezone(dt.UTC).isoformat(),
        ledger_seq=cp.ledger_seq,
        ledger_head=cp.ledger_head,
        audit_seq=cp.audit_seq,
        audit_head=cp.audit_head,
        kid=cp.kid,
    )
    public = keys.get(cp.kid)
    if public is None:
        return [problem(cp.pk, UNKNOWN_KEY, "checkpoint", kid=cp.kid)]
    try:
        if expected != cp.statement or _unb64u(cp.public_key) != public:
            raise InvalidSignature
        Ed25519PublicKey.from_public_bytes(public).verify(_unb64u(cp.signature), expected.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return [problem(cp.pk, BAD_SIGNATURE, "checkpoint")]
    return []


def checkpoint_export(cp: LedgerCheckpoint) -> dict:
    """A checkpoint as published (JSON): the signed statement, its signature and the public key to check it."""
    return {
        "id": cp.pk,
        "time": cp.time.astimezone(dt.UTC).isoformat(),
        "ledger_seq": cp.ledger_seq,
        "ledger_head": cp.ledger_head,
        "audit_seq": cp.audit_seq,
        "audit_head": cp.audit_head,
        "kid": cp.kid,
        "public_key": cp.public_key,
        "statement": cp.statement,
        "signature": cp.signature,
        "algorithm": "Ed25519",
    }


@dataclass
class Report:
    entries: int
    audit_rows: int
    records: int
    checkpoints: int
    problems: list[LedgerProblem]
    since: LedgerCheckpoint | None = None  # the checkpoint an incremental check started from

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_all(*, incremental: bool = False, batch: int = 5000) -> Report:
    """Everything `nongan verify-ledger` checks: every checkpoint's signature, the ledger's chain and the audit
    log's against the heads the valid checkpoints signed (a truncated or recomputed chain), and the covered
    records. ``incremental``: only what came after the last valid checkpoint (its signed heads must still be
    there); without a valid checkpoint, the full check."""
    keys = trusted_keys()
    problems: list[LedgerProblem] = []
    valid: list[LedgerCheckpoint] = []
    checkpoints = list(LedgerCheckpoint.objects.order_by("id"))
    for cp in checkpoints:
        found = checkpoint_problems(cp, keys)
        problems.extend(found)
        if not found:
            valid.append(cp)
    since = valid[-1] if incremental and valid else None
    lseq, aseq = (since.ledger_seq, since.audit_seq) if since else (0, 0)
    lmarks = {
        cp.ledger_seq: (cp.pk, cp.ledger_head) for cp in valid if cp.ledger_seq >= lseq and cp.ledger_seq
    }
    amarks = {cp.audit_seq: (cp.pk, cp.audit_head) for cp in valid if cp.audit_seq >= aseq and cp.audit_seq}
    # the first entry after the starting checkpoint must link to the signed head (checked by the walk's prev)
    lprev_ok = _start_check(LedgerEntry, since.ledger_seq if since else 0, since.ledger_head if since else "")
    aprev_ok = _start_check(AuditLog, since.audit_seq if since else 0, since.audit_head if since else "")
    entries, p1 = verify(batch, since=lseq, marks=lmarks)
    rows, p2 = verify_audit(batch, since=aseq, marks=amarks)
    records, p3 = verify_records(since=lseq)
    if not lprev_ok:
        p1.insert(0, _start_problem(LedgerEntry, lseq, "ledger", since))
    if not aprev_ok:
        p2.insert(0, _start_problem(AuditLog, aseq, "audit", since))
    return Report(entries, rows, records, len(checkpoints), problems + p1 + p2 + p3, since)


def _start_problem(model, seq: int, chain: str, cp: LedgerCheckpoint) -> LedgerProblem:
    """Why an incremental check cannot start at the checkpoint's head: it is gone (the chain was cut short below
    it) or no longer what was signed."""
    last = model.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0
    if last < seq:
        return problem(last, TRUNCATED, chain, cp=cp.pk, upto=seq, last=last)
    return problem(seq, RECOMPUTED, chain, cp=cp.pk)


def _start_check(model, seq: int, head: str) -> bool:
    """The row a checkpoint signed still carries the signed hash (and is intact: its hash recomputes)."""
    if not seq:
        return True
    walk = _ledger_rows if model is LedgerEntry else _audit_rows
    rows = list(itertools.islice(walk(seq - 1, 10), 1))
    return bool(rows) and rows[0][0] == seq and rows[0][2] == head and rows[0][3] == head
