"""Benchmark of the monitoring plan progress page.

Fills a PostgreSQL database (default postgres://postgres@127.0.0.1:5432/nongan_bench_monitoring, created if
missing) with the Ganyu region tree, a 2026 plan, SIZE rapid tests (default 1,000,000, loaded with COPY) and
SIZE/100 samples (default 10,000, bulk_create), then times GET /monitoring/plans/2026/ as the district
administrator (median, p95) and counts its SQL queries, beside two baselines measured in the same run through
the same middleware stack: a bare view doing one COUNT(*) over the rapid-test table, and a view returning a
fixed response. Rows are reused by the next run when the sizes match.

    .venv/bin/python bench/bench_progress.py [--size 1000000] [--samples N] [--repeat 30]
"""

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/nongan_bench_monitoring"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nongan.settings_test")
os.environ.setdefault("NONGAN_TASKS", "immediate")

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    with psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or "postgres",
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000, help="rapid-test rows (default 1,000,000)")
    parser.add_argument("--samples", type=int, default=None, help="sample rows (default size/100)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    n_samples = args.samples if args.samples is not None else max(100, args.size // 100)
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    data = fill(args.size, n_samples)
    measure(data, args.repeat)


# ------------------------------------------------------------------ URLs: the app plus the baselines
def _baseline_count(request):
    from django.http import JsonResponse

    from nongan.monitoring.models import RapidTest

    return JsonResponse({"n": RapidTest.objects.count()})


def _baseline_fixed(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def _urls():
    from django.urls import path

    from nongan.urls import urlpatterns as app

    return [path("bench/count/", _baseline_count), path("bench/fixed/", _baseline_fixed), *app]


class _LazyUrls(list):
    loaded = False

    def _load(self):
        if not self.loaded:
            self.extend(_urls())
            self.loaded = True

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def __getitem__(self, i):
        self._load()
        return super().__getitem__(i)

    def __reversed__(self):
        self._load()
        return super().__reversed__()


urlpatterns = _LazyUrls()


# ------------------------------------------------------------------ data
def fill(size: int, n_samples: int):
    from django.db import connection, transaction

    from nongan.core.choices import Role
    from nongan.core.models import Region, User
    from nongan.core.services import regions_load, root_region, townships, user_create
    from nongan.monitoring import services
    from nongan.monitoring.models import MonitoringPlan, RapidTest, Sample
    from nongan.registry.models import Producer, ProductCategory
    from nongan.registry.services import categories_load

    if not Region.objects.exists():
        regions_load()
    if not ProductCategory.objects.exists():
        categories_load()
    district = root_region()
    towns = list(townships(district))
    admin = User.objects.filter(username="bench-admin").first() or user_create(
        actor=None,
        username="bench-admin",
        password="Bench-2026-x",
        role=Role.DISTRICT_ADMIN,
        jurisdiction=district,
    )
    sampler = User.objects.filter(username="bench-sampler").first() or user_create(
        actor=None,
        username="bench-sampler",
        password="Bench-2026-x",
        role=Role.SAMPLER,
        jurisdiction=district,
    )
    plan = MonitoringPlan.objects.filter(region=district, year=YEAR).first() or services.plan_save(
        actor=admin,
        year=YEAR,
        region=district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=services.split_evenly(800, towns),
        township_rapid=services.split_evenly(7200, towns),
    )
    cats = list(
        ProductCategory.objects.filter(depth__gte=1, kind__in=["plant", "livestock", "aquatic"]).exclude(
            children__isnull=False
        )
    )
    rnd = random.Random(320707)
    villages = list(Region.objects.filter(level="village"))
    if Producer.objects.count() < 300:
        t0 = time.perf_counter()
        Producer.objects.bulk_create(
            [
                Producer(
                    code=f"B{i:08d}",
                    name=f"基准合作社{i}",
                    type="cooperative",
                    legal_rep="王",
                    phone="13800000000",
                    region=rnd.choice(villages),
                )
                for i in range(300)
            ]
        )
        print(f"producers: 300 in {time.perf_counter() - t0:.1f}s")
    producers = list(Producer.objects.select_related("region").order_by("id")[:300])
    start = dt.datetime(YEAR, 1, 1, tzinfo=TZ)

    def when():
        return start + dt.timedelta(seconds=rnd.randrange(330 * 86400))

    if Sample.objects.count() != n_samples:
        t0 = time.perf_counter()
        with transaction.atomic():
            Sample.objects.all().delete()
            states = [
                "registered",
                "received",
                "results_submitted",
                "verified",
                "published",
                "published",
                "published",
                "cancelled",
            ]
            rows = []
            for i in range(n_samples):
                p = rnd.choice(producers)
                c = rnd.choice(cats)
                state = rnd.choice(states)
                verdict = (
                    ("fail" if rnd.random() < 0.03 else "pass") if state in ("verified", "published") else ""
                )
                rows.append(
                    Sample(
                        code=f"CY{YEAR}B{i:07d}",
                        plan=plan,
                        producer=p,
                        product=c,
                        sector=services.sector_of(c),
                        township_id=p.region.parent_id,
                        quantity=2,
                        quantity_unit="kg",
                        place="bench",
                        sampled_at=when(),
                        sampler=sampler,
                        state=state,
                        verdict=verdict,
                    )
                )
            Sample.objects.bulk_create(rows, batch_size=2000)
        print(f"samples: {n_samples} in {time.perf_counter() - t0:.1f}s (bulk_create)")
    if RapidTest.objects.count() != size:
        t0 = time.perf_counter()
        stations = [(t.pk, t.pk) for t in towns] + [(district.pk, None)]
        plant = [c for c in cats if c.kind == "plant"]
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(
                    f"TRUNCATE {RapidTest._meta.db_table} CASCADE"
                    if connection.vendor == "postgresql"
                    else f"DELETE FROM {RapidTest._meta.db_table}"
                )
            if connection.vendor == "postgresql":
                _copy_rapid(connection, size, rnd, stations, plant, admin, when)
            else:
                _bulk_rapid(size, rnd, stations, plant, admin, when)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {RapidTest._meta.db_table}")
                cur.execute(f"ANALYZE {Sample._meta.db_table}")
        print(f"rapid tests: {size} in {time.perf_counter() - t0:.1f}s ({connection.vendor})")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # what autovacuum does on a live database; fresh tables have no statistics
    return {"admin": admin, "plan": plan}


def _rapid_values(i, rnd, stations, plant, tester_id, when):
    region, township = rnd.choice(stations)
    c = rnd.choice(plant)
    inh = rnd.randint(50, 800) / 10
    t = when()
    outcome = "positive" if inh >= 50 else "negative"
    return (
        region,
        township,
        c.pk,
        "crop",
        "",
        "enzyme",
        "",
        f"{inh:.2f}",
        "50.00",
        outcome,
        False,
        t,
        t + dt.timedelta(minutes=5),
        tester_id,
        "",
        "api",
        False,
        "",
    )


RAPID_COLUMNS = [
    "region_id",
    "township_id",
    "product_id",
    "sector",
    "lot",
    "method",
    "analyte",
    "inhibition",
    "threshold",
    "outcome",
    "false_positive_risk",
    "tested_at",
    "uploaded_at",
    "tester_id",
    "instrument",
    "source",
    "confirmed_positive",
    "t_line",
]


def _copy_rapid(connection, size, rnd, stations, plant, admin, when):
    from nongan.monitoring.models import RapidTest

    connection.ensure_connection()
    raw = connection.connection
    cols = ", ".join(RAPID_COLUMNS)
    with raw.cursor() as cur, cur.copy(f"COPY {RapidTest._meta.db_table} ({cols}) FROM STDIN") as copy:
        for i in range(size):
            copy.write_row(_rapid_values(i, rnd, stations, plant, admin.pk, when))


def _bulk_rapid(size, rnd, stations, plant, admin, when):
    from nongan.monitoring.models import RapidTest

    batch = []
    for i in range(size):
        v = dict(zip(RAPID_COLUMNS, _rapid_values(i, rnd, stations, plant, admin.pk, when), strict=True))
        batch.append(RapidTest(**v))
        if len(batch) == 5000:
            RapidTest.objects.bulk_create(batch)
            batch = []
    RapidTest.objects.bulk_create(batch)


# ------------------------------------------------------------------ measurement
def measure(data, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(data["admin"])
    targets = [
        ("progress page  /monitoring/plans/2026/", f"/monitoring/plans/{YEAR}/"),
        (
            "progress API   /api/v1/monitoring/plans/<id>/progress/",
            f"/api/v1/monitoring/plans/{data['plan'].pk}/progress/",
        ),
        ("baseline: one COUNT(*) over rapid tests", "/bench/count/"),
        ("baseline: fixed response", "/bench/fixed/"),
    ]
    print(f"\n{'what':<58} {'median ms':>10} {'p95 ms':>9} {'queries':>8}")
    for label, url in targets:
        r = client.get(url)  # warm-up
        assert r.status_code == 200, (url, r.status_code)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{label:<58} {statistics.median(times):>10.1f} {p95:>9.1f} {len(ctx.captured_queries):>8}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/monitoring/plans/{YEAR}/")
    body = io.StringIO()
    for q in ctx.captured_queries:
        body.write(f"  {q['time']}s  {q['sql'][:150]}\n")
    print("\nqueries of the progress page (session/auth lookups included):\n" + body.getvalue())


if __name__ == "__main__":
    main()
