"""Registry speed: the producer list page and API list with 100,000 producers, and a 10,000-row import.

    .venv/bin/python bench/bench_registry.py [--producers 100000] [--import-rows 10000] [--requests 60]

Uses PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/nongan_bench, created if missing).
Requests go through Django's test client in-process, so the figures are the application's own time; the
baseline is a bare Django view returning a fixed response, measured in the same run the same way.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nongan_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nongan.settings")
os.environ.setdefault("NONGAN_TASKS", "immediate")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(client, url, n, **extra):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **extra)  # warm
    times, queries = [], set()
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            r = client.get(url, **extra)
            times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
        queries.add(len(ctx.captured_queries))
    return statistics.median(times), percentile(times, 0.95), sorted(queries)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--producers", type=int, default=100_000)
    ap.add_argument("--import-rows", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=60)
    args = ap.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import include, path

    call_command("migrate", verbosity=0)
    from nongan.core.choices import Role
    from nongan.core.models import Region, User
    from nongan.core.services import regions_load, user_create
    from nongan.registry.models import Producer
    from nongan.registry.services import categories_load

    regions_load()
    categories_load()
    have = Producer.objects.count()
    if have < args.producers:
        print(f"creating {args.producers - have} producers …", flush=True)
        t = time.perf_counter()
        # The demo generator, in chunks, with a different seed per chunk.
        from nongan.registry.imports import apply_producer_rows

        chunk = 20_000
        made = have
        seed = 1
        while made < args.producers:
            n = min(chunk, args.producers - made)
            rows = demo_rows(seed, n)
            apply_producer_rows(rows, actor=None)
            made += n
            seed += 1
        print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
    total = Producer.objects.count()

    user = User.objects.filter(username="bench-admin").first() or user_create(
        actor=None,
        username="bench-admin",
        password="x" * 12,
        role=Role.DISTRICT_ADMIN,
        jurisdiction=Region.objects.get(code="320707000000"),
    )

    def bare(request):
        return HttpResponse(b"ok")

    import types

    urlconf = types.ModuleType("bench_urls")
    urlconf.urlpatterns = [path("bench/bare/", bare), path("", include("nongan.urls"))]
    sys.modules["bench_urls"] = urlconf
    client = Client()
    client.force_login(user)
    town = Region.objects.get(code="320707106000")  # 海头镇
    with override_settings(ROOT_URLCONF="bench_urls"):
        base = timed(client, "/bench/bare/", args.requests)
        page = timed(client, f"/registry/?township={town.code}", args.requests)
        page_last = timed(client, f"/registry/?township={town.code}&page=20", args.requests)
        search = timed(client, "/registry/?q=hyz", args.requests)
        api = timed(client, f"/api/v1/producers/?township={town.code}", args.requests)
    print(f"\nproducers in the database: {total:,} (PostgreSQL), 50 per page, filtered by township 海头镇")
    print(f"{'request':<42}{'median ms':>10}{'p95 ms':>10}{'queries':>10}")
    for label, (med, p95, q) in [
        ("baseline: bare Django view", base),
        ("list page, township filter", page),
        ("list page, township filter, page 20", page_last),
        ("list page, search 'hyz'", search),
        ("API list, township filter", api),
    ]:
        print(f"{label:<42}{med:>10.1f}{p95:>10.1f}{','.join(map(str, q)):>10}")

    # ---- import of N rows
    from openpyxl import Workbook, load_workbook

    from nongan.core.excel import raw_rows, sheet_rows
    from nongan.registry.imports import PRODUCER_SHEET, validate_producer_rows

    rows = demo_rows(999, args.import_rows, credit_offset=7_000_000)
    wb = Workbook()
    ws = wb.active
    ws.append([str(c.label) for c in PRODUCER_SHEET.columns])
    names = {r.pk: r.name for r in Region.objects.all()}
    for r in rows:
        region = r["region"]
        town_name = names[region.parent_id]
        ws.append(
            [
                r["name"],
                r["type"],
                r["credit_code"] or "",
                r["legal_rep"],
                r["id_number"],
                r["phone"],
                town_name,
                region.name,
                r["address"],
                "是" if r["is_scale"] else "否",
                r["tier"],
                r["tier_reason"],
                "黄瓜",
                "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    t = time.perf_counter()
    n = sum(1 for _ in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    t_openpyxl = time.perf_counter() - t
    from django.db import transaction

    from nongan.registry.imports import apply_producer_rows

    t = time.perf_counter()
    cell_errors: list[dict] = []
    it = sheet_rows(raw_rows(io.BytesIO(data), "xlsx"), PRODUCER_SHEET, cell_errors)
    clean, errors = validate_producer_rows(list(it), user)
    t_validate = time.perf_counter() - t
    assert not errors, errors[:3]
    t2 = time.perf_counter()
    with transaction.atomic():
        apply_producer_rows(clean, user)
        transaction.set_rollback(True)  # leave the database as it was
    t_apply = time.perf_counter() - t2
    print(f"\nimport of {n - 1:,} rows ({len(data) / 1e6:.1f} MB .xlsx)")
    print(f"  baseline: openpyxl alone reads the file   {t_openpyxl:6.2f} s")
    print(f"  read + validate every row                  {t_validate:6.2f} s")
    print(f"  apply (insert, product lines, audit)       {t_apply:6.2f} s")
    print(
        f"  end to end                                 {t_validate + t_apply:6.2f} s  "
        f"({(t_validate + t_apply) / t_openpyxl:.1f}× openpyxl alone)"
    )


def demo_rows(seed, n, credit_offset=0):
    """Rows like the demo district's, for bulk loading."""
    import random

    from nongan.core.models import Region
    from nongan.core.validators import uscc_check_char
    from nongan.registry.demo import id_number, person, phone
    from nongan.registry.models import ProductCategory

    rnd = random.Random(seed)
    villages = list(Region.objects.filter(level="village").select_related("parent"))
    cats = list(ProductCategory.objects.filter(depth__gte=1).values_list("pk", flat=True))
    rows = []
    for i in range(n):
        v = rnd.choice(villages)
        kind = rnd.choice(["household", "scale_grower", "family_farm", "cooperative"])
        credit = None
        if kind == "cooperative":
            body = f"93320707M{(seed * 1_000_000 + i + credit_offset) % 10**8:08d}"
            credit = body + uscc_check_char(body)
        head = person(rnd)
        rows.append(
            {
                "name": f"{head}{kind[:2]}{seed}-{i}",
                "type": kind,
                "credit_code": credit,
                "legal_rep": head,
                "id_number": id_number(rnd),
                "phone": phone(rnd),
                "region": v,
                "address": f"{v.name}{i}号",
                "is_scale": kind != "household",
                "tier": "B",
                "tier_reason": "",
                "products": [rnd.choice(cats)],
                "established": None,
            }
        )
    return rows


if __name__ == "__main__":
    main()
