"""The import pipeline on the largest accepted producer file: time and peak memory of its check and its apply,
beside openpyxl alone reading the same file (the baseline), measured in the same run.

    .venv/bin/python bench/bench_imports.py [--rows 200000]

Uses PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/nongan_bench_imports, created if
missing). The file is the largest the pipeline accepts: ``excel.MAX_ROWS`` rows (fewer if it would pass
``NONGAN_MAX_UPLOAD_BYTES``). Each phase runs in a forked child process; its memory figure is the child's peak
resident size (``getrusage``) minus its resident size when the phase started, i.e. what the phase added to the
process.
"""

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nongan_bench_imports")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nongan.settings")
os.environ.setdefault("NONGAN_TASKS", "immediate")
os.environ.setdefault("DEBUG", "false")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_child(fn):
    """Run fn() in a forked child; returns (seconds, MB added at peak, fn's result as text)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        from django.db import connections

        for c in connections.all():
            c.inner_connection = None  # never share the parent's socket
            c.connection = None
        start = rss_mb()
        t = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t
        os.write(w, f"{seconds}\t{peak_mb() - start}\t{out}".encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    seconds, mb, out = data.decode().split("\t", 2)
    return float(seconds), float(mb), out


def main():
    from bench_registry import demo_rows, ensure_database

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=0, help="data rows (default: the pipeline's maximum)")
    args = ap.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from openpyxl import Workbook, load_workbook

    call_command("migrate", verbosity=0)
    from nongan.core import excel, imports
    from nongan.core.choices import Role
    from nongan.core.models import ImportJob, Region, User
    from nongan.core.services import regions_load, user_create
    from nongan.registry.imports import PRODUCER_SHEET, PRODUCERS
    from nongan.registry.services import categories_load

    regions_load()
    categories_load()
    user = User.objects.filter(username="bench-imports").first() or user_create(
        actor=None,
        username="bench-imports",
        password="Qz7-harvest-Lianyungang",
        role=Role.DISTRICT_ADMIN,
        jurisdiction=Region.objects.get(code=settings.NONGAN_ROOT_REGION),
    )
    n = args.rows or PRODUCERS.max_rows
    seed = int(time.time()) % 1000  # fresh credit codes on every run
    rows = demo_rows(seed, n, credit_offset=seed * 7919)
    names = {r.pk: r.name for r in Region.objects.filter(level="township")}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(PRODUCER_SHEET.title))
    ws.append([str(c.label) for c in PRODUCER_SHEET.columns])
    for r in rows:
        region = r["region"]
        ws.append(
            [
                r["name"],
                r["type"],
                r["credit_code"] or "",
                r["legal_rep"],
                r["id_number"],
                r["phone"],
                names[region.parent_id],
                region.name,
                r["address"],
                "是" if r["is_scale"] else "否",
                r["tier"],
                "",
                "黄瓜",
                "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    del rows, wb, buf
    limit = settings.NONGAN_MAX_UPLOAD_BYTES
    print(
        f"file: {n:,} producer rows, {len(data) / 1048576:.1f} MB .xlsx (upload limit {limit / 1048576:.0f} MB)"
    )
    assert len(data) <= limit, "the file is over the upload limit: pass fewer --rows"

    def baseline():
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        return f"{count - 1} rows"

    def check():
        settings.NONGAN_IMPORT_SYNC_ROWS = 10**9  # run the stage here, not in the worker
        job = imports.job_upload(actor=user, kind="producers", upload=SimpleUploadedFile("big.xlsx", data))
        assert job.status == "checked", (job.status, job.message, job.errors[:3])
        return f"{job.pk}\t{job.summary['new']} new"

    def apply(pk):
        def run():
            settings.NONGAN_IMPORT_SYNC_ROWS = 10**9
            job = ImportJob.objects.get(pk=pk)
            job = imports.job_confirm(actor=user, job=job)
            assert job.status == "done", (job.status, job.message, job.errors[:3])
            return f"{job.created_count} created"

        return run

    t_base, mb_base, out_base = in_child(baseline)
    t_count, mb_count, out_count = in_child(lambda: f"{excel.count_rows(io.BytesIO(data), 'xlsx')} rows")
    t_check, mb_check, out_check = in_child(check)
    pk, out_check = out_check.split("\t")
    t_apply, mb_apply, out_apply = in_child(apply(int(pk)))
    print(f"{'phase':<52}{'seconds':>9}{'MB added':>10}   result")
    print(f"{'baseline: openpyxl read-only reads every row':<52}{t_base:>9.1f}{mb_base:>10.0f}   {out_base}")
    print(f"{'excel.count_rows (streamed count)':<52}{t_count:>9.1f}{mb_count:>10.0f}   {out_count}")
    print(
        f"{'upload + check (whole file, nothing written)':<52}{t_check:>9.1f}{mb_check:>10.0f}   {out_check}"
    )
    print(
        f"{'confirm + apply (read, check again, insert, audit)':<52}{t_apply:>9.1f}{mb_apply:>10.0f}   {out_apply}"
    )
    print(
        f"check + apply: {t_check + t_apply:.1f} s = {(t_check + t_apply) / t_base:.1f}× the baseline's time; "
        f"peak memory added {max(mb_check, mb_apply):.0f} MB (baseline {mb_base:.0f} MB)"
    )


if __name__ == "__main__":
    main()
