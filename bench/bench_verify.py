"""Benchmark of the public verification page /v/<code> with scan logging and rate limiting on, on PostgreSQL under
gunicorn, beside a bare view of the same Django (same settings, same middleware) returning a fixed response.

The rate limit stays on (counted in the shared database cache table) but is raised for the load generator's
address (NONGAN_RATE_RAISED_FOR=127.0.0.1), as a market's scanning station would be. Scans are batched
(NONGAN_SCAN_FLUSH_SECONDS=2); after gunicorn is stopped with SIGTERM the scan log must hold exactly one row per
/v/ request answered (nothing lost on a clean shutdown).

    .venv/bin/python bench/bench_verify.py [--size 200000] [--duration 10] [--workers 2] [--clients 4]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/nongan_verify_bench (created if missing; kept between
runs, so the rows are loaded once). Target: /v/ at least 0.5× the bare view's rate, p99 under 50 ms.

Measured 2026-12-01 on the 2-core development machine, 200,000 certificates, 2 sync workers, 4 client threads,
10 s each (docs/certificates.md, "Benchmarks", has the whole table):
    template page, other suites running:      /v/  52 req/s, p99 132 ms;  bare  310 req/s;  0.17×
    page built in Python, idle:               /v/ 489 req/s, p99  17 ms;  bare 1453 req/s;  0.34×
    + query prepared per connection, idle:    /v/ 415 req/s, p99  22 ms;  bare  932 req/s;  0.45× (0.48× again)
    + texts translated once, 20 s runs:       /v/ 564 req/s, p99  14 ms;  bare 1370 req/s;  0.41× (0.40× again)
    later that day (same code 0.35–0.36×), township by key, own page cache: /v/ 349–376 req/s, p99 24–26 ms;
                                              bare 852–993 req/s;  0.35–0.44×
    --page-seconds 0 (every page rendered): 0.31×;  --page-seconds 600 (nearly every page reused): 0.54×
    --size 10000000 (three runs): /v/ 420–458 req/s, p99 22–24 ms;  bare 857–1189 req/s;  0.35–0.53×
Every answered request's scan was in the log after SIGTERM. p99 is under 50 ms; the ratio is 0.35–0.44, not 0.5.
    evening (fast hour), main at the start:  /v/ 798 req/s, p99 12 ms;  bare 1743 req/s;  0.46×
    + pages reused up to 60 s while listening for changes (certificates.pagestore), three runs:
                                              /v/ 1250–1463 req/s, p99 7–8 ms;  bare 1818–1933;  0.66–0.76×
    + instances without __init__; --size 10000000, three runs (2 of 2 workers listening):
                                              /v/ 1018–1361 req/s, p99 7–10 ms;  bare 1700–1992;  0.60–0.68×
    the same, --page-seconds 0 (every page rendered), 10 M:  0.42 / 0.48×
"""

import argparse
import http.client
import os
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/nongan_verify_bench"

from bench_certificates import ensure_database, fill, run_load, setup_django, signed_paths, start_gunicorn  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=200_000, help="certificates in the table (default 200,000)")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument(
        "--page-seconds",
        type=int,
        default=None,
        help="NONGAN_VERIFY_PAGE_SECONDS for the server (default: the installation's default; 0 renders every page)",
    )
    args = ap.parse_args()
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    # One data directory for the runs on this database: it holds the key-encryption key the signing keys are
    # sealed with.
    os.environ.setdefault("NONGAN_VAR", str(Path(tempfile.gettempdir()) / "nongan-bench-verify"))
    ensure_database(db_url)
    setup_django(db_url)

    from nongan.certificates.models import Certificate, Scan

    print(f"Public verification /v/<code> with {args.size:,} certificates in PostgreSQL")
    fill(args.size)
    total = Certificate.objects.count()
    paths = signed_paths(2000)
    port = 19000 + os.getpid() % 1000
    scans_before = Scan.objects.count()
    proc = start_gunicorn(
        db_url,
        args.workers,
        port,
        {
            "NONGAN_RATE_RAISED_FOR": "127.0.0.1",
            "NONGAN_SCAN_FLUSH_SECONDS": "2",
            "NONGAN_VERIFY_PAGE_SECONDS": None if args.page_seconds is None else str(args.page_seconds),
        },
    )
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", paths[0])
        r = c.getresponse()
        body = r.read().decode()
        assert r.status == 200 and "真实有效" in body, (
            r.status,
            body[body.find("verify-status") - 40 :][:600],
        )
        warm = run_load(paths, port, 2, args.clients)
        run_load(["/bench/bare"], port, 2, args.clients)
        v = run_load(paths, port, args.duration, args.clients)
        listeners = _listeners()
        b = run_load(["/bench/bare"], port, args.duration, args.clients)
    finally:
        proc.send_signal(signal.SIGTERM)  # a clean shutdown: the workers flush their scan buffers
        proc.wait(timeout=60)
    served = 1 + warm[4] + v[4]
    logged = Scan.objects.count() - scans_before
    print(
        f"   gunicorn {args.workers} sync workers, {args.clients} client threads, {args.duration:.0f} s each, "
        f"{total:,} certificates; rate limit on (raised for 127.0.0.1), scans batched every 2 s; "
        f"pages reused {'as installed' if args.page_seconds is None else f'{args.page_seconds} s'}; "
        f"workers listening for page changes: {listeners} of {args.workers}"
    )
    print(
        f"   /v/<code> (signature, lookup, rate limit, scan logged): {v[0]:8.0f} req/s   p99 {v[1]:6.1f} ms   "
        f"median {v[2]:5.1f} ms   errors {v[3]}"
    )
    print(
        f"   baseline, bare view with a fixed response:             {b[0]:8.0f} req/s   p99 {b[1]:6.1f} ms   "
        f"median {b[2]:5.1f} ms   errors {b[3]}"
    )
    print(f"   ratio /v/ : bare = {v[0] / b[0]:.2f}   (target ≥ 0.5, p99 < 50 ms)")
    print(f"   scans logged after SIGTERM: {logged:,} of {served:,} /v/ requests answered (none may be lost)")


def _listeners() -> int:
    """Connections listening on the public pages' channel (one per worker while its listener is up: pages are then
    reused for NONGAN_VERIFY_PAGE_LISTEN_SECONDS instead of NONGAN_VERIFY_PAGE_SECONDS)."""
    from django.db import connection

    from nongan.certificates import pagestore

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE query = %s", [f"LISTEN {pagestore.CHANNEL}"])
        return cur.fetchone()[0]


if __name__ == "__main__":
    main()
