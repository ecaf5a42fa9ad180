"""The scan log's writer: public page views add their ``Scan`` rows to a per-process buffer that is written in
one batch at most ``NONGAN_SCAN_FLUSH_SECONDS`` later (by a background thread), when it holds
``NONGAN_SCAN_BATCH`` rows, and at a clean exit of the process (``atexit``: gunicorn workers and the development
server run it on SIGTERM/SIGINT). ``NONGAN_SCAN_FLUSH_SECONDS = 0`` writes each scan inside its request (tests).
A crash of the process may lose the last few seconds of scans; a scan log is not ledger data."""

import atexit
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F

from .models import Certificate, Scan

log = logging.getLogger(__name__)
_lock = threading.Lock()
_buffer: list[Scan] = []
_oldest = [0.0]
_thread: list[threading.Thread] = []


def _delay() -> float:
    return float(getattr(settings, "NONGAN_SCAN_FLUSH_SECONDS", 0) or 0)


def add(scan: Scan) -> None:
    """Queue one scan row (or write it now when deferring is off)."""
    if _delay() <= 0:
        _write([scan])
        return
    with _lock:
        if not _buffer:
            _oldest[0] = time.monotonic()
        _buffer.append(scan)
        full = len(_buffer) >= int(getattr(settings, "NONGAN_SCAN_BATCH", 500))
        if not _thread:
            t = threading.Thread(target=_run, name="nongan-scanlog", daemon=True)
            _thread.append(t)
            t.start()
    if full:
        flush()


def flush() -> int:
    """Write every queued scan now; returns how many."""
    with _lock:
        batch = _buffer[:]
        _buffer.clear()
    if batch:
        try:
            _write(batch)
        except Exception:
            with _lock:  # keep the rows for the next try
                _buffer[:0] = batch
            raise
    return len(batch)


def pending() -> int:
    return len(_buffer)


def _write(batch: list[Scan]) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:  # a scan log: no need to wait for the WAL flush
                cur.execute("SET LOCAL synchronous_commit TO OFF")
            _copy_postgresql(batch)
        else:
            Scan.objects.bulk_create(batch)
        counts = sorted(Counter(s.certificate_id for s in batch if s.certificate_id).items())
        if connection.vendor == "postgresql" and counts:
            _add_counts_postgresql(counts)
            return
        for cid, n in counts:  # one lock order in every process: no deadlock
            Certificate.objects.filter(pk=cid).update(scan_count=F("scan_count") + n)


# The columns the scan log writes (every concrete field but the key), in model order.
_COPY_FIELDS = [f for f in Scan._meta.concrete_fields if not f.primary_key]


def _copy_postgresql(batch: list[Scan]) -> None:
    """The batch's rows with COPY (about a fifth of a multi-row INSERT's time for a few hundred rows): each value
    as the field prepares it for the database, as ``bulk_create`` would send it."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in _COPY_FIELDS)
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {qn(Scan._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for scan in batch:
                copy.write_row(
                    [f.get_db_prep_save(getattr(scan, f.attname), connection) for f in _COPY_FIELDS]
                )


def _add_counts_postgresql(counts: list[tuple[int, int]]) -> None:
    """The batch's counts in one statement: the rows are locked in id order first (the order every process
    takes them in, so two writers never deadlock), then each is raised by its count."""
    qn = connection.ops.quote_name
    table, pk, column = qn(Certificate._meta.db_table), qn(Certificate._meta.pk.column), qn("scan_count")
    ids = [cid for cid, _n in counts]
    values = ", ".join(["(%s, %s)"] * len(counts))
    with connection.cursor() as cur:
        cur.execute(f"SELECT {pk} FROM {table} WHERE {pk} = ANY(%s) ORDER BY {pk} FOR UPDATE", [ids])
        cur.execute(
            f"UPDATE {table} AS c SET {column} = c.{column} + v.n FROM (VALUES {values}) AS v(id, n) "
            f"WHERE c.{pk} = v.id",
            [x for pair in counts for x in pair],
        )


def _run() -> None:
    while True:
        time.sleep(max(0.2, _delay() / 4))
        if _buffer and time.monotonic() - _oldest[0] >= _delay():
            try:
                close_old_connections()
                flush()
            except Exception:  # keep the writer alive; the rows stay for the next try
                log.exception("writing the scan log failed")
            finally:
                connection.close()


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # noqa: BLE001
        log.exception("writing the scan log at exit failed")
