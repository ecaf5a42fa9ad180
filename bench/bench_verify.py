"""Benchmark of the public verification page /v/<code> with scan logging and rate limiting on, on PostgreSQL under
gunicorn, beside a bare view of the same Django (same settings, same middleware) returning a fixed response.

The rate limit stays on (counted in the shared database cache table) but is raised for the load generator's
address (NONGAN_RATE_RAISED_FOR=127.0.0.1), as a market's scanning station would be. Scans are batched
(NONGAN_SCAN_FLUSH_SECONDS=2); after gunicorn is stopped with SIGTERM the scan log must hold exactly one row per
/v/ request answered (nothing lost on a clean shutdown).

    .venv/bin/python bench/bench_verify.py [--size 200000] [--duration 10] [--workers 2] [--clients 4]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/nongan_verify_bench (created if missing; kept between
runs, so the rows are loaded once). Target: /v/ at least 0.5× the bare view's rate, p99 under 50 ms.
"""

import argparse
import http.client
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/nongan_verify_bench"

from bench_certificates import ensure_database, fill, run_load, setup_django  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=200_000, help="certificates in the table (default 200,000)")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    # One data directory for the runs on this database: it holds the key-encryption key the signing keys are
    # sealed with.
    os.environ.setdefault("NONGAN_VAR", str(Path(tempfile.gettempdir()) / "nongan-bench-verify"))
    ensure_database(db_url)
    setup_django(db_url)

    from django.utils import timezone

    from nongan.certificates import services
    from nongan.certificates.models import Certificate, Scan

    print(f"Public verification /v/<code> with {args.size:,} certificates in PostgreSQL")
    fill(args.size)
    total = Certificate.objects.count()
    signer = services.active_signer()
    rnd = random.Random(7)
    max_pk = Certificate.objects.order_by("-pk").values_list("pk", flat=True).first()
    picks = []
    while len(picks) < 2000:
        c = (
            Certificate.objects.filter(pk__gte=rnd.randint(1, max_pk))
            .select_related("producer", "origin")
            .order_by("pk")
            .first()
        )
        if c:
            picks.append(c)
    paths = []
    for (
        c
    ) in picks:  # sign the picked filler rows for real: a token proves only the certificate that stores it
        token = signer.token(services._payload(signer, c))
        Certificate.objects.filter(pk=c.pk).update(kid=signer.kid, token=token, signed_at=timezone.now())
        paths.append(f"/v/{c.number}?s={token}")
    tmp = Path(tempfile.mkdtemp(prefix="nongan-bench-verify-"))
    (tmp / "bench_verify_settings.py").write_text(
        textwrap.dedent("""
        from nongan.settings import *  # noqa
        DEBUG = False
        ROOT_URLCONF = "bench_verify_urls"
        LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
    """)
    )
    (tmp / "bench_verify_urls.py").write_text(
        textwrap.dedent("""
        from django.http import HttpResponse
        from django.urls import include, path

        def bare(request):
            return HttpResponse("ok")

        urlpatterns = [path("bench/bare", bare), path("", include("nongan.urls"))]
    """)
    )
    port = 19000 + os.getpid() % 1000
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_verify_settings",
        "DATABASE_URL": db_url,
        "PYTHONPATH": f"{tmp}:{ROOT.parent}",
        "DB_CONN_MAX_AGE": "600",
        "NONGAN_RATE_RAISED_FOR": "127.0.0.1",
        "NONGAN_SCAN_FLUSH_SECONDS": "2",
    }
    env.pop("NONGAN_VERIFY_PAGE_SECONDS", None)
    scans_before = Scan.objects.count()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "nongan.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=tmp,
    )
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/bench/bare")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
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
        b = run_load(["/bench/bare"], port, args.duration, args.clients)
    finally:
        proc.send_signal(signal.SIGTERM)  # a clean shutdown: the workers flush their scan buffers
        proc.wait(timeout=60)
    served = 1 + warm[4] + v[4]
    logged = Scan.objects.count() - scans_before
    print(
        f"   gunicorn {args.workers} sync workers, {args.clients} client threads, {args.duration:.0f} s each, "
        f"{total:,} certificates; rate limit on (raised for 127.0.0.1), scans batched every 2 s"
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


if __name__ == "__main__":
    main()
