"""Benchmark of certificates (承诺达标合格证), on PostgreSQL.

1. Batch issue of --issue certificates (default 10,000) with signature, ledger and audit entries, beside the
   bare signing of the same payloads; QR rendering rate (segno) for printing.
2. Offline signature verification per second (qrsign.verify_text), beside bare Ed25519 verification.
3. Trace of a lot through 3 levels of buyers with --chain certificates in the chain (default 100,000):
   back-trace latency from the final lot (and the spreadsheet rows), beside one query reading the same rows.
4. Public verification /v/<code> with --size certificates in the table (default 10,000,000) under gunicorn:
   requests per second and p99 latency, beside a bare view of the same Django returning a fixed response.

    .venv/bin/python bench/bench_certificates.py [--size 10000000] [--issue 10000] [--chain 100000]
        [--duration 15] [--workers 4] [--clients 8] [--skip-http]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/nongan_certificates_bench (created if missing;
kept between runs, so the 10M rows are loaded once).
"""

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/nongan_certificates_bench"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # kept between runs like the database: the key-encryption key that sealed its signing keys lives here
    os.environ.setdefault("NONGAN_VAR", str(Path(tempfile.gettempdir()) / "nongan-bench-certificates"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "nongan.settings"
    os.environ["NONGAN_TASKS"] = "immediate"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from nongan.core.models import Region
    from nongan.core.services import regions_load
    from nongan.registry.models import ProductCategory
    from nongan.registry.services import categories_load

    if not Region.objects.filter(code="320707000000").exists():
        regions_load()
    if not ProductCategory.objects.exists():
        categories_load()


def producer(name: str, type_: str = "cooperative", town: str = "海头镇"):
    from nongan.core.models import Region
    from nongan.registry.models import Producer
    from nongan.registry.services import producer_create

    p = Producer.objects.filter(name=name).first()
    if p:
        return p
    village = Region.objects.filter(parent__name=town, level="village").order_by("code").first()
    return producer_create(
        actor=None,
        name=name,
        type=type_,
        legal_rep="王建国",
        phone="13812345678",
        region=village,
        is_scale=True,
    )


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


# ------------------------------------------------------------------ 1. issue
def bench_issue(n: int) -> list:
    import datetime as dt

    from django.utils import timezone

    from nongan.certificates import labels, services
    from nongan.registry.models import ProductCategory

    p = producer("基准测试紫菜合作社")
    batch = services.batch_create(
        actor=None,
        producer=p,
        product=ProductCategory.objects.get(name="紫菜"),
        started=timezone.localdate() - dt.timedelta(days=90),
    )
    signer = services.active_signer()
    t = time.perf_counter()
    certs = services.certificate_issue(actor=None, batch=batch, quantity="10", unit="箱", count=n)
    t_issue = time.perf_counter() - t
    payloads = [services._payload(signer, c) for c in certs]
    t = time.perf_counter()
    tokens = [signer.token(pl) for pl in payloads]
    t_sign = time.perf_counter() - t
    sample = certs[: min(500, n)]
    t = time.perf_counter()
    for c in sample:
        labels.qr_code(c).matrix  # noqa: B018
    t_qr = (time.perf_counter() - t) / len(sample)
    t = time.perf_counter()
    pdf = labels.labels_pdf(sample[:100], "60x40")
    t_pdf = time.perf_counter() - t
    print(
        f"\n1. Batch issue of {n:,} certificates (number, Ed25519 signature, row, event, audit, ledger entry)"
    )
    print(f"   issue:                       {t_issue:8.2f} s   ({n / t_issue:,.0f} certificates/s)")
    print(f"   baseline, signing only:      {t_sign:8.2f} s   ({n / t_sign:,.0f} signatures/s)")
    print(f"   QR matrix (segno, on print): {t_qr * 1000:8.2f} ms each → {t_qr * n:,.1f} s for {n:,}")
    print(f"   PDF, 100 labels 60×40 mm:    {t_pdf:8.2f} s   ({len(pdf) / 1024:,.0f} KiB)")
    return tokens


# ------------------------------------------------------------------ 2. verify
def bench_verify(tokens: list) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from nongan.certificates import qrsign, services

    keys = services.public_keys_map()
    texts = [
        qrsign.qr_text(
            "https://nongan.example.cn", qrsign.decode_payload(qrsign.b64u_decode(t)[:-64]).number, t
        )
        for t in tokens
    ]
    t = time.perf_counter()
    ok = sum(qrsign.verify_text(x, keys).ok for x in texts)
    t_verify = time.perf_counter() - t
    assert ok == len(texts)
    raws = [qrsign.b64u_decode(x) for x in tokens]
    pubs = {k: Ed25519PublicKey.from_public_bytes(v) for k, v in keys.items()}
    pub = next(iter(pubs.values())) if len(pubs) == 1 else None
    kid = qrsign.decode_payload(raws[0][:-64]).kid
    pub = pubs[kid]
    t = time.perf_counter()
    for r in raws:
        pub.verify(r[-64:], r[:-64])
    t_bare = time.perf_counter() - t
    n = len(texts)
    print(f"\n2. Offline verification of {n:,} decoded QR texts")
    print(f"   verify_text (parse URL, decode, key, Ed25519, check char): {n / t_verify:10,.0f} /s")
    print(f"   baseline, bare Ed25519 verify:                             {n / t_bare:10,.0f} /s")


# ------------------------------------------------------------------ 3. trace
def bench_trace(total: int) -> None:
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from nongan.certificates import selectors, services, views
    from nongan.certificates.models import Certificate, Collection, InputUse, Lineage, ProductionBatch
    from nongan.registry.models import ProductCategory

    farm = producer("基准测试蔬菜合作社", town="厉庄镇")
    buyers = [producer(f"基准测试{lvl}级收购商", "buyer") for lvl in (1, 2, 3)]
    market = producer("基准测试批发市场", "wholesale_market", "青口镇")
    cucumber = ProductCategory.objects.get(name="黄瓜")
    n1 = max(1, round(total * 0.989 / 100))  # level-1 lots of 100 farm certificates each
    n0 = n1 * 100
    n2 = max(1, n1 // 10)
    now = timezone.now()
    common = dict(
        product=cucumber,
        product_name="黄瓜",
        origin=farm.region,
        issued_at=now,
        promiser="x",
        contact="13812345678",
        basis="control",
        kid="bench",
        token="bench",
    )

    def make(owner, count, quantity, form, batch_ids=None):
        numbers = services.allocate_numbers("320707", 2024, count)
        objs = [
            Certificate(
                number=num,
                producer=owner,
                quantity=quantity,
                unit="kg",
                promise_form=form,
                promise_text=services.PROMISE_TEXT[form],
                batch_id=batch_ids[i % len(batch_ids)] if batch_ids else None,
                **common,
            )
            for i, num in enumerate(numbers)
        ]
        Certificate.objects.bulk_create(objs, batch_size=5000)
        return list(
            Certificate.objects.filter(number__in=numbers).order_by("pk").values_list("pk", flat=True)
        )

    def link(collector, parent_ids, child_groups, quantity):
        cols = [
            Collection(
                collector=collector,
                certificate_id=pid,
                lot="bench",
                quantity=quantity,
                unit="kg",
                used_quantity=quantity,
                collected_at=now,
            )
            for pid in parent_ids
        ]
        Collection.objects.bulk_create(cols, batch_size=5000)
        col_ids = dict(
            Collection.objects.filter(certificate_id__in=parent_ids, collector=collector).values_list(
                "certificate_id", "pk"
            )
        )
        links = [
            Lineage(child_id=child, collection_id=col_ids[pid], parent_id=pid, quantity=quantity)
            for child, group in child_groups
            for pid in group
        ]
        Lineage.objects.bulk_create(links, batch_size=5000)

    t = time.perf_counter()
    with transaction.atomic():
        batches = ProductionBatch.objects.bulk_create(
            [
                ProductionBatch(
                    code=f"BENCH{i:06d}{time.time_ns() % 10**6:06d}",
                    producer=farm,
                    product=cucumber,
                    origin=farm.region,
                    started=now.date(),
                )
                for i in range(max(1, n0 // 100))
            ]
        )
        batch_ids = [
            b.pk for b in ProductionBatch.objects.filter(producer=farm).order_by("-pk")[: len(batches)]
        ]
        InputUse.objects.bulk_create(
            [
                InputUse(
                    batch_id=b,
                    kind="pesticide",
                    product_name="吡虫啉",
                    active_ingredient="吡虫啉",
                    used_on=now.date(),
                    interval_days=3,
                )
                for b in batch_ids
                for _ in range(2)
            ],
            batch_size=5000,
        )
        l0 = make(farm, n0, Decimal("10"), "producer", batch_ids)
        l1 = make(buyers[0], n1, Decimal("1000"), "buyer")
        link(buyers[0], l0, [(c, l0[i * 100 : (i + 1) * 100]) for i, c in enumerate(l1)], Decimal("10"))
        l2 = make(buyers[1], n2, Decimal("10000"), "buyer")
        per = -(-n1 // n2)
        link(buyers[1], l1, [(c, l1[i * per : (i + 1) * per]) for i, c in enumerate(l2)], Decimal("1000"))
        [l3] = make(buyers[2], 1, Decimal("10000") * n2, "buyer")
        link(buyers[2], l2, [(l3, l2)], Decimal("10000"))
        Collection.objects.create(
            collector=market, certificate_id=l3, lot="bench-market", quantity=1, unit="kg", collected_at=now
        )
    t_build = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    final = Certificate.objects.get(pk=l3)
    chain = n0 + n1 + n2 + 1
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        tr = selectors.trace([final])
        runs.append(time.perf_counter() - t)
    t_trace = statistics.median(runs)
    t = time.perf_counter()
    table = selectors.trace_table(tr)
    t_table = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = views.trace_xlsx([c[1] for c in selectors.TRACE_COLUMNS], table)
    t_xlsx = time.perf_counter() - t
    ids = [l3, *l2, *l1, *l0]
    t = time.perf_counter()
    rows = 0
    for i in range(0, len(ids), 5000):
        rows += len(
            list(Certificate.objects.filter(pk__in=ids[i : i + 5000]).values_list("number", "quantity"))
        )
    t_base = time.perf_counter() - t
    first = Certificate.objects.get(pk=l0[0])
    t = time.perf_counter()
    fwd = selectors.trace([first])
    t_fwd = time.perf_counter() - t
    print(
        f"\n3. Trace through 3 levels of buyers: {chain:,} certificates in the chain "
        f"({n0:,} farm → {n1:,} → {n2:,} → 1 lot at market; built in {t_build:.1f} s)"
    )
    print(
        f"   back-trace from the market lot:  {t_trace * 1000:8.0f} ms  ({tr.certificates:,} certificates, "
        f"{len(tr.rows):,} rows)"
    )
    print(
        f"   + sorted spreadsheet rows:       {t_table * 1000:8.0f} ms;  .xlsx file: {t_xlsx:.1f} s "
        f"({len(xlsx) / 1e6:.1f} MB)"
    )
    print(f"   baseline, reading the {rows:,} certificate rows by id: {t_base * 1000:8.0f} ms")
    print(
        f"   forward trace from one farm certificate: {t_fwd * 1000:8.1f} ms ({fwd.certificates} certificates)"
    )


# ------------------------------------------------------------------ 4. HTTP
def fill(size: int) -> None:
    """Bring certificates_certificate to ``size`` rows with COPY (filler rows carry a placeholder token)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from nongan.certificates import qrsign, services
    from nongan.certificates.models import Certificate
    from nongan.certificates.numbering import CERTIFICATE
    from nongan.core.models import NumberCounter
    from nongan.registry.models import ProductCategory

    have = Certificate.objects.count()
    if have >= size:
        print(f"   table already holds {have:,} certificates")
        return
    p = producer("基准测试填充合作社", town="黑林镇")
    cat = ProductCategory.objects.get(name="蓝莓")
    need = size - have
    # reserve the serials in the core counter of the certificate series (one lock, no list of 10 M numbers)
    parts = {"district": "320707", "year": 2025}
    with transaction.atomic():
        CERTIFICATE.take(1, **parts)  # makes (and seeds) the counter if it does not exist yet
        counter = NumberCounter.objects.select_for_update().get(
            series=CERTIFICATE.name, key=CERTIFICATE.key(**parts)
        )
        start = counter.last + 1
        NumberCounter.objects.filter(pk=counter.pk).update(last=counter.last + need)
    promise = services.PROMISE_TEXT["producer"]
    issued = timezone.now().isoformat()
    cols = (
        "number, producer_id, product_id, product_name, quantity, unit, origin_id, issued_at, promiser, contact, "
        "promise_form, promise_text, basis, test_record, loss_quantity, kid, token, status, revoke_reason, "
        "contradicted_by, collected_quantity, print_count, scan_count, suspicious, suspicious_reason, is_demo"
    )
    tail = (
        f"\t{p.pk}\t{cat.pk}\t蓝莓\t50.00\tkg\t{p.region_id}\t{issued}\t{p.name}\t13812345678\tproducer\t"
        f"{promise}\tcontrol\t\t0\tfill\tfill\tvalid\t\t\t0\t0\t0\tf\t\tf\n"
    )
    t = time.perf_counter()
    raw = (
        connection.connection
        if connection.connection
        else (connection.ensure_connection() or connection.connection)
    )
    with raw.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        with cur.copy(f"COPY certificates_certificate ({cols}) FROM STDIN") as copy:
            chunk = []
            for serial in range(start, start + need):
                chunk.append(qrsign.make_number("320707", 2025, serial) + tail)
                if len(chunk) == 20000:
                    copy.write("".join(chunk))
                    chunk = []
                    done = serial - start + 1
                    if done % 1_000_000 == 0:
                        print(f"   … {done:,} rows ({time.perf_counter() - t:.0f} s)", flush=True)
            if chunk:
                copy.write("".join(chunk))
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("ANALYZE certificates_certificate")
    raw.commit()
    print(f"   loaded {need:,} rows in {time.perf_counter() - t:.0f} s")


def run_load(
    url_paths: list, port: int, duration: float, clients: int
) -> tuple[float, float, float, int, int]:
    """(req/s, p99 ms, median ms, errors, requests answered with 200) of ``clients`` threads for ``duration`` s."""
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + duration
    lock = threading.Lock()

    def worker(seed):
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            path = rnd.choice(url_paths)
            t = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    return (
        len(latencies) / elapsed,
        pct(latencies, 0.99) * 1000,
        statistics.median(latencies) * 1000,
        errors[0],
        len(latencies) - errors[0],
    )


def signed_paths(count: int) -> list[str]:
    """``count`` /v/ addresses of random certificates, each signed for real (the filler rows carry a placeholder
    token, and a token proves only the certificate that stores it)."""
    from django.utils import timezone

    from nongan.certificates import services
    from nongan.certificates.models import Certificate

    signer = services.active_signer()
    rnd = random.Random(7)
    max_pk = Certificate.objects.order_by("-pk").values_list("pk", flat=True).first()
    paths = []
    while len(paths) < count:
        c = (
            Certificate.objects.filter(pk__gte=rnd.randint(1, max_pk))
            .select_related("producer", "origin")
            .order_by("pk")
            .first()
        )
        if c:
            token = signer.token(services._payload(signer, c))
            Certificate.objects.filter(pk=c.pk).update(kid=signer.kid, token=token, signed_at=timezone.now())
            paths.append(f"/v/{c.number}?s={token}")
    return paths


def start_gunicorn(db_url: str, workers: int, port: int, extra_env: dict | None = None):
    """gunicorn serving the platform plus a bare view (/bench/bare, the baseline) with production-like settings
    (DEBUG off); returns the process once /bench/bare answers. ``extra_env``: values set (None: removed)."""
    tmp = Path(tempfile.mkdtemp(prefix="nongan-bench-web-"))
    (tmp / "bench_web_settings.py").write_text(
        textwrap.dedent("""
        from nongan.settings import *  # noqa
        DEBUG = False
        ROOT_URLCONF = "bench_web_urls"
        LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
    """)
    )
    (tmp / "bench_web_urls.py").write_text(
        textwrap.dedent("""
        from django.http import HttpResponse
        from django.urls import include, path

        def bare(request):
            return HttpResponse("ok")

        urlpatterns = [path("bench/bare", bare), path("", include("nongan.urls"))]
    """)
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_web_settings",
        "DATABASE_URL": db_url,
        "PYTHONPATH": f"{tmp}:{ROOT}",
        "DB_CONN_MAX_AGE": "600",
    }
    for key, value in (extra_env or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "nongan.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env,
        cwd=tmp,
    )
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/bench/bare")
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return proc


def bench_http(size: int, duration: float, workers: int, clients: int, db_url: str) -> None:
    from nongan.certificates.models import Certificate

    print(f"\n4. Public verification /v/<code> with {size:,} certificates in PostgreSQL")
    fill(size)
    total = Certificate.objects.count()
    paths = signed_paths(2000)
    port = 18000 + os.getpid() % 1000
    # the rate limit stays on but is raised for the load generator, as in bench_verify.py
    proc = start_gunicorn(db_url, workers, port, {"NONGAN_RATE_RAISED_FOR": "127.0.0.1"})
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", paths[0])
        r = c.getresponse()
        body = r.read().decode()
        assert r.status == 200 and "真实有效" in body, (r.status, body[:500])
        run_load(paths, port, 2, clients)  # warm up
        run_load(["/bench/bare"], port, 2, clients)
        v = run_load(paths, port, duration, clients)
        b = run_load(["/bench/bare"], port, duration, clients)
        one = run_load(paths, port, max(3.0, duration / 3), 1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"   gunicorn {workers} sync workers, {clients} client threads, {duration:.0f} s each, {total:,} rows"
    )
    print(
        f"   /v/<code> (signature check, lookup, scan logged): {v[0]:8.0f} req/s   p99 {v[1]:6.1f} ms   "
        f"median {v[2]:5.1f} ms   errors {v[3]}"
    )
    print(
        f"   baseline, bare view with a fixed response:        {b[0]:8.0f} req/s   p99 {b[1]:6.1f} ms   "
        f"median {b[2]:5.1f} ms   errors {b[3]}"
    )
    print(f"   ratio /v/ : bare = {v[0] / b[0]:.2f}")
    print(
        f"   /v/<code> with one client at a time:               {one[0]:8.0f} req/s   p99 {one[1]:6.1f} ms   "
        f"median {one[2]:5.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--size", type=int, default=10_000_000, help="certificates in the table for /v/ (default 10M)"
    )
    ap.add_argument("--issue", type=int, default=10_000)
    ap.add_argument("--chain", type=int, default=100_000)
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--skip-http", action="store_true")
    args = ap.parse_args()
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    ensure_database(db_url)
    setup_django(db_url)
    tokens = bench_issue(args.issue)
    bench_verify(tokens)
    bench_trace(args.chain)
    if not args.skip_http:
        bench_http(args.size, args.duration, args.workers, args.clients, db_url)


if __name__ == "__main__":
    main()
