"""Benchmark of `nongan verify-ledger`, full and incremental (--since-checkpoint), on PostgreSQL, beside baselines
measured in the same run: reading the same rows without checking anything, and SHA-256 of the same bytes in memory.

The rows are generated directly (certificates by COPY, as bench_certificates does; ledger entries and audit rows by
bulk_create with their real hash chains, each entry covering one certificate by its digest, as an issue does), then
a real signed checkpoint is made after all but the last --tail of them, so the incremental check has that much to do.

    .venv/bin/python bench/bench_ledger.py [--entries 100000] [--audit 100000] [--tail 0.01]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/nongan_ledger_bench (created if missing; the ledger,
the audit log and the checkpoints are emptied at each run, the certificates kept). Prints the rates and the time
extrapolated (linearly) to 10 M ledger entries, 10 M audit rows and 10 M covered records.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/nongan_ledger_bench"
TEN_M = 10_000_000

from bench_certificates import ensure_database, fill, setup_django  # noqa: E402


def traced_peak_mb(fn) -> float:
    """Peak of the memory Python allocated while ``fn`` ran (tracemalloc), in MB."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def empty_chains() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE core_ledgerentry, core_auditlog, core_ledgercheckpoint")
        cur.execute("DELETE FROM core_numbercounter WHERE series IN ('ledger', 'audit')")


def make_entries(start: int, stop: int, certs: list, batch: int = 5000) -> None:
    """Ledger entries start..stop-1 (1-based seq), each about one certificate (its digest in the payload)."""
    from django.db import transaction
    from django.utils import timezone

    from nongan.core import ledger, numbering
    from nongan.core.models import LedgerEntry

    head = LedgerEntry.objects.order_by("-seq").values_list("hash", flat=True).first() or ledger.GENESIS
    now = timezone.now().replace(microsecond=0).astimezone(dt.UTC)
    rows = []
    for seq in range(start, stop):
        c = certs[(seq - 1) % len(certs)]
        payload = ledger.canonical_json(
            {
                "number": c.number,
                "quantity": str(c.quantity),
                "records": [["certificates.certificate", c.pk, ledger.record_digest(c)]],
            }
        )
        time_iso = now.isoformat()
        h = ledger.entry_hash(
            head, seq, time_iso, "certificate.issue", c.number, "bench", payload, c.origin.path
        )
        rows.append(
            LedgerEntry(
                seq=seq,
                time=now,
                kind="certificate.issue",
                ref=c.number,
                actor_repr="bench",
                scope_path=c.origin.path,
                payload=payload,
                prev_hash=head,
                hash=h,
            )
        )
        head = h
        if len(rows) == batch:
            LedgerEntry.objects.bulk_create(rows)
            rows = []
    LedgerEntry.objects.bulk_create(rows)
    with transaction.atomic():
        numbering.allocate("ledger", key="", count=stop - start, seed=lambda: start - 1)


def make_audit(start: int, stop: int, batch: int = 5000) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from nongan.certificates.models import Certificate
    from nongan.core import audit, numbering
    from nongan.core.models import AuditLog

    ct = ContentType.objects.get_for_model(Certificate).pk
    head = AuditLog.objects.filter(seq__isnull=False).order_by("-seq").values_list("hash", flat=True).first()
    head = head or audit.GENESIS
    now = timezone.now().replace(microsecond=0).astimezone(dt.UTC)
    rows = []
    for seq in range(start, stop):
        changes = {"print_count": [seq % 7, seq % 7 + 1], "status": ["valid", "valid"]}
        row = AuditLog(
            seq=seq,
            time=now,
            actor=None,
            actor_repr="bench",
            action="update",
            content_type_id=ct,
            object_id=str(seq),
            object_repr=f"320707250000{seq:05d}"[-17:],
            changes=changes,
            reason="",
            request_id="",
            prev_hash=head,
        )
        row.hash = head = audit.hash_of(row)
        rows.append(row)
        if len(rows) == batch:
            AuditLog.objects.bulk_create(rows)
            rows = []
    AuditLog.objects.bulk_create(rows)
    with transaction.atomic():
        numbering.allocate("audit", key="", count=stop - start, seed=lambda: start - 1)


def baselines() -> tuple[float, float, int]:
    """(seconds to read the rows the check reads, seconds to SHA-256 the same bytes in memory, bytes)."""
    from nongan.core import audit
    from nongan.core.models import AuditLog, LedgerEntry

    t = time.perf_counter()
    materials = []
    for row in (
        LedgerEntry.objects.order_by("seq")
        .values_list("seq", "time", "kind", "ref", "actor_repr", "payload", "prev_hash", "hash", "scope_path")
        .iterator(chunk_size=5000)
    ):
        materials.append("\n".join(map(str, row)).encode())
    for row in (
        AuditLog.objects.order_by("seq").values_list(*audit.HASHED_FIELDS, "hash").iterator(chunk_size=5000)
    ):
        materials.append("\n".join(map(str, row)).encode())
    read = time.perf_counter() - t
    t = time.perf_counter()
    for m in materials:
        hashlib.sha256(m).hexdigest()
    hashing = time.perf_counter() - t
    return read, hashing, sum(len(m) for m in materials)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=100_000, help="ledger entries (default 100,000)")
    ap.add_argument("--audit", type=int, default=None, help="audit rows (default: as many as entries)")
    ap.add_argument(
        "--records", type=int, default=None, help="certificates covered (default: as many as entries)"
    )
    ap.add_argument("--tail", type=float, default=0.01, help="share written after the last checkpoint (0.01)")
    args = ap.parse_args()
    n_audit = args.audit if args.audit is not None else args.entries
    n_records = args.records if args.records is not None else args.entries
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    ensure_database(db_url)
    setup_django(db_url)

    from nongan.certificates.models import Certificate
    from nongan.core import ledger

    print(
        f"verify-ledger on PostgreSQL: {args.entries:,} ledger entries, {n_audit:,} audit rows, "
        f"{n_records:,} covered certificates; {args.tail:.0%} after the last checkpoint"
    )
    fill(n_records)
    t = time.perf_counter()
    certs = list(Certificate.objects.select_related("origin").order_by("pk")[:n_records])
    empty_chains()
    cut_e, cut_a = int(args.entries * (1 - args.tail)), int(n_audit * (1 - args.tail))
    make_entries(1, cut_e + 1, certs)
    make_audit(1, cut_a + 1)
    cp = ledger.checkpoint_create()  # a real signed checkpoint (its own audit row joins the chain)
    from nongan.core.models import AuditLog

    after = AuditLog.objects.order_by("-seq").values_list("seq", flat=True).first()
    make_entries(cut_e + 1, args.entries + 1, certs)
    make_audit(after + 1, after + 1 + n_audit - cut_a)
    print(
        f"   generated in {time.perf_counter() - t:.0f} s; checkpoint #{cp.pk} at ledger #{cp.ledger_seq}, "
        f"audit #{cp.audit_seq}"
    )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE core_ledgerentry")
        cur.execute("ANALYZE core_auditlog")

    read, hashing, nbytes = baselines()
    t_chain, (entries, p1) = timed(ledger.verify)
    t_audit, (rows, p2) = timed(ledger.verify_audit)
    t_records, (records, p3) = timed(ledger.verify_records)
    streamed_mb = traced_peak_mb(lambda: ledger.verify_records())
    in_memory_mb = traced_peak_mb(lambda: sum(1 for _row in ledger._covered_in_memory(0, 2000)))
    t_full, full = timed(ledger.verify_all)
    t_incr, incr = timed(lambda: ledger.verify_all(incremental=True))
    assert not (p1 or p2 or p3) and full.ok and incr.ok, (p1[:3], p2[:3], p3[:3], full.problems[:3])

    def per(seconds, n):
        return f"{n / seconds:,.0f}/s" if seconds else "-"

    total_rows = entries + rows
    print()
    print(f"{'what':52} {'seconds':>9} {'rate':>14} {'at 10 M each':>14}")
    rows_out = [
        ("baseline: read the same rows (no check)", read, total_rows, 2 * TEN_M),
        (
            f"baseline: SHA-256 of the same bytes ({nbytes / 1e6:,.0f} MB) in memory",
            hashing,
            total_rows,
            2 * TEN_M,
        ),
        ("ledger chain (verify)", t_chain, entries, TEN_M),
        ("audit chain (verify_audit)", t_audit, rows, TEN_M),
        ("covered records re-hashed (verify_records)", t_records, records, TEN_M),
        ("FULL verify-ledger (all of the above + checkpoints)", t_full, total_rows, 2 * TEN_M),
        (
            f"INCREMENTAL --since-checkpoint ({incr.entries:,} + {incr.audit_rows:,} rows)",
            t_incr,
            incr.entries + incr.audit_rows,
            int(2 * TEN_M * args.tail),
        ),
    ]
    for what, seconds, n, target in rows_out:
        print(f"{what:52} {seconds:9.2f} {per(seconds, n):>14} {seconds / max(n, 1) * target / 60:12.1f} min")
    print()
    print(
        f"Peak Python memory listing the covered records ({records:,}): streamed from the database "
        f"{streamed_mb:,.1f} MB (does not grow with the ledger) vs kept in memory (the fallback for a payload the "
        f"database cannot read) {in_memory_mb:,.1f} MB, ≈ {in_memory_mb / max(records, 1) * TEN_M / 1024:,.1f} GB "
        f"at 10 M records"
    )
    print()
    print(
        f"Full check at 10 M entries + 10 M audit rows + 10 M records: about "
        f"{t_full / total_rows * 2 * TEN_M / 60:.0f} min (linear); the read alone would take "
        f"{read / total_rows * 2 * TEN_M / 60:.0f} min and the hashing alone {hashing / total_rows * 2 * TEN_M / 60:.1f} min."
    )
    print(
        f"Incremental with {args.tail:.0%} new since the checkpoint (200,000 entries + audit rows at 10 M): about "
        f"{t_incr / max(incr.entries + incr.audit_rows, 1) * 2 * TEN_M * args.tail / 60:.1f} min."
    )
    print(
        json.dumps(
            {
                "entries": entries,
                "audit_rows": rows,
                "records": records,
                "full_s": round(t_full, 2),
                "incremental_s": round(t_incr, 2),
                "read_s": round(read, 2),
                "sha256_s": round(hashing, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
