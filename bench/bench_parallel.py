"""Nothing lost under load: 50-way parallel requests through gunicorn on PostgreSQL, released together.

    .venv/bin/python bench/bench_parallel.py [--clients 50] [--rounds 5] [--workers 4] [--port 8765]

Three scenarios, each printed with its counts (what must be 0 is named):

* **over-issue**: per round a batch with 1,000 kg harvested; every client asks for a 100 kg certificate at once.
  Exactly 10 may be issued, the certified total must stay 1,000 kg, the numbers distinct, no 5xx.
* **numbering**: every client registers a producer in the same village at once: all registered, registry numbers
  distinct and consecutive, no 5xx.
* **lost updates** (below).

Uses PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/nongan_bench_versions, created if
missing) and a gunicorn with ``--workers`` processes. Each round registers a fresh producer; every client reads it
(GET, its ETag), waits at a barrier, then PATCHes its own field value:

* ``if-match``: with the ETag read — exactly one may succeed, the others must answer 412;
* ``plain`` (the baseline, what a client without If-Match or body version does): no version sent — each save is
  still a compare-and-set against the version the request read, so a save never reverts one it did not see.

A *lost update* is a 200 whose value is not in the record at the end although no later audited update changed
that field. The audit check: the record's version minus 1 equals the number of 200s and of audit updates.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nongan_bench_versions")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nongan.settings")
os.environ.setdefault("NONGAN_TASKS", "immediate")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("NONGAN_KEY_AUTOCREATE", "true")  # the bench's own key-encryption key file under var/

FIELDS = ["address", "notes", "tier_reason", "legal_rep"]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_data():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from nongan.core.accounts import token_create
    from nongan.core.choices import Role
    from nongan.core.models import Region, User
    from nongan.core.services import regions_load, user_create
    from nongan.registry.models import ProductCategory
    from nongan.registry.services import categories_load

    if not Region.objects.filter(code="320707000000").exists():
        regions_load()
    if not ProductCategory.objects.exists():
        categories_load()
    admin = User.objects.filter(username="bench_versions").first() or user_create(
        actor=None,
        username="bench_versions",
        password="Qk7#tide-Harbor-2026",
        role=Role.DISTRICT_ADMIN,
        full_name="bench",
        jurisdiction=Region.objects.get(code="320707000000"),
    )
    _t, key = token_create(actor=admin, user=admin)
    return admin, key


def new_producer(admin, n: int):
    from nongan.core.models import Region
    from nongan.registry.services import producer_create

    town = Region.objects.get(level="township", name="青口镇")
    village = Region.objects.filter(parent=town, level="village").order_by("code").first()
    return producer_create(
        actor=admin,
        name=f"并发测试合作社{int(time.time())}-{n}",
        type="cooperative",
        legal_rep="王建国",
        phone="13812345678",
        region=village,
    )


def request(method, url, key, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Token {key}")
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("ETag"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("ETag"), e.read()


def one_round(base, key, pk, clients, mode):
    url = f"{base}/api/v1/producers/{pk}/"
    barrier = threading.Barrier(clients)
    out = [None] * clients

    def work(i):
        field, value = FIELDS[i % len(FIELDS)], f"值{i}"
        _s, etag, _b = request("GET", url, key)
        barrier.wait(60)
        headers = {"If-Match": etag} if mode == "if-match" else {}
        status, _e, _b = request("PATCH", url, key, {field: value}, headers)
        out[i] = (status, field, value)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def burst(clients, work):
    """Run ``work(i)`` in ``clients`` threads released together; the list of their results."""
    barrier = threading.Barrier(clients)
    out = [None] * clients

    def run(i):
        barrier.wait(60)
        out[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return out


def over_issue_round(base, key, admin, clients, n):
    """Per round: a batch with 1,000 kg harvested, ``clients`` parallel 100 kg issues."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from nongan.certificates import services
    from nongan.certificates.models import Certificate
    from nongan.registry.models import ProductCategory

    producer = new_producer(admin, 10_000 + n)
    today = timezone.localdate()
    batch = services.batch_create(
        actor=admin,
        producer=producer,
        product=ProductCategory.objects.get(name="黄瓜"),
        started=today - dt.timedelta(days=60),
        plot="基准",
        unit="kg",
    )
    services.harvest_record(actor=admin, batch=batch, date=today, quantity="1000", unit="kg")
    results = burst(
        clients,
        lambda i: request(
            "POST",
            f"{base}/api/v1/certificates/",
            key,
            {"batch": batch.code, "quantity": "100", "unit": "kg"},
        )[0],
    )
    numbers = list(Certificate.objects.filter(batch=batch).values_list("number", flat=True))
    total = services.certified_quantity(batch, "kg")
    return {
        "issued": results.count(201),
        "refused": results.count(400),
        "5xx": sum(1 for r in results if r is None or r >= 500),
        "over_issued_kg": max(Decimal(0), total - Decimal(1000)),
        "duplicate_numbers": len(numbers) - len(set(numbers)),
    }


def numbering_round(base, key, clients, n):
    """``clients`` parallel registrations in one village: distinct consecutive registry numbers."""
    from nongan.core.models import Region
    from nongan.core.validators import uscc_check_char

    town = Region.objects.get(level="township", name="青口镇")
    village = Region.objects.filter(parent=town, level="village").order_by("code")[1 + n % 20]
    stamp = int(time.time()) % 100_000

    def register(i):
        body = f"93320707MA{(stamp * 100 + i) % 10_000_000:07d}"
        status, _e, raw = request(
            "POST",
            f"{base}/api/v1/producers/",
            key,
            {
                "name": f"并发登记合作社{stamp}-{n}-{i}",
                "type": "cooperative",
                "credit_code": body + uscc_check_char(body),
                "legal_rep": "孙七",
                "phone": "13700001111",
                "region": village.code,
            },
        )
        return status, (json.loads(raw).get("code") if status == 201 else None)

    results = burst(clients, register)
    codes = [c for s, c in results if s == 201]
    serials = sorted(int(c[-6:]) for c in codes)
    return {
        "registered": len(codes),
        "5xx": sum(1 for s, _c in results if s is None or s >= 500),
        "other": sum(1 for s, _c in results if s not in (201,) and not (s is None or s >= 500)),
        "duplicate_numbers": len(codes) - len(set(codes)),
        "gaps": (serials[-1] - serials[0] + 1 - len(serials)) if serials else 0,
    }


def check(pk, results):
    from nongan.core.models import AuditLog
    from nongan.registry.models import Producer

    p = Producer.objects.get(pk=pk)
    entries = list(
        AuditLog.objects.filter(content_type__model="producer", object_id=str(pk), action="update")
        .order_by("id")
        .values_list("changes", flat=True)
    )
    ok = [r for r in results if r and r[0] == 200]
    lost = 0
    for _s, field, value in ok:
        if getattr(p, field) == value:
            continue
        # Overwritten by a later audited update of the same field (a save that saw it)? Then it is not lost.
        seen = [e for e in entries if field in e and e[field][0] == value]
        if not seen:
            lost += 1
    codes = {}
    for r in results:
        codes[r[0] if r else "none"] = codes.get(r[0] if r else "none", 0) + 1
    return {
        "codes": codes,
        "lost": lost,
        "version": p.version,
        "audit_updates": len(entries),
        "chain_ok": p.version - 1 == len(ok) == len(entries),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    admin, key = setup_data()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "nongan.wsgi:application",
            "--workers",
            str(args.workers),
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/v/", timeout=5)  # a cheap page: ready
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        n = 0
        t0 = time.perf_counter()
        sums: dict = {}
        for r in range(args.rounds):
            for k, v in over_issue_round(base, key, admin, args.clients, r).items():
                sums[k] = sums.get(k, 0) + v
        print(
            f"over-issue {args.rounds} rounds x {args.clients} clients x 100 kg against 1,000 kg: "
            f"issued={sums['issued']} (expected {10 * args.rounds}) refused={sums['refused']} 5xx={sums['5xx']} "
            f"over-issued kg={sums['over_issued_kg']} duplicate numbers={sums['duplicate_numbers']} "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        t0 = time.perf_counter()
        sums = {}
        for r in range(args.rounds):
            for k, v in numbering_round(base, key, args.clients, r).items():
                sums[k] = sums.get(k, 0) + v
        print(
            f"numbering  {args.rounds} rounds x {args.clients} registrations in one village: "
            f"registered={sums['registered']} other={sums['other']} 5xx={sums['5xx']} "
            f"duplicate numbers={sums['duplicate_numbers']} gaps={sums['gaps']} ({time.perf_counter() - t0:.1f} s)"
        )
        for mode in ("plain", "if-match"):
            totals = {"lost": 0, "5xx": 0, "200": 0, "412": 0, "other": 0, "chain_broken": 0}
            t0 = time.perf_counter()
            for _ in range(args.rounds):
                n += 1
                p = new_producer(admin, n)
                res = check(p.pk, one_round(base, key, p.pk, args.clients, mode))
                totals["lost"] += res["lost"]
                totals["chain_broken"] += 0 if res["chain_ok"] else 1
                for code, count in res["codes"].items():
                    bucket = (
                        "5xx"
                        if isinstance(code, int) and code >= 500
                        else str(code)
                        if code in (200, 412)
                        else "other"
                    )
                    totals[bucket] += count
            secs = time.perf_counter() - t0
            print(
                f"{mode:9s} {args.rounds} rounds x {args.clients} clients, {args.workers} workers: "
                f"200={totals['200']} 412={totals['412']} 5xx={totals['5xx']} other={totals['other']} "
                f"lost updates={totals['lost']} audit chain broken={totals['chain_broken']} ({secs:.1f} s)"
            )
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
