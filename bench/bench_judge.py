"""Judgements per second of the standards engine, beside a plain dict lookup of the same triples.

    .venv/bin/python bench/bench_judge.py [--size 1000000] [--seed 1]

It needs a database and makes its own: a throwaway SQLite file in a temporary NONGAN_VAR, with
DJANGO_SETTINGS_MODULE=nongan.settings, `migrate`, then the product tree and the shipped standards
(`standards_load`). Nothing outside the temporary folder is touched; the folder is removed at the end.

The triples are (food, analyte, value) drawn at random from every food of the product tree and every
analyte of the shipped tables, with values spread around the limits; each is judged with unit mg/kg
on today's date. The baseline looks the same (food, analyte) up in a plain dict of limits and compares
the value: the floor any Python implementation pays per triple.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_database() -> str:
    var = tempfile.mkdtemp(prefix="nongan-bench-")
    os.environ["NONGAN_VAR"] = var
    os.environ["DJANGO_SETTINGS_MODULE"] = "nongan.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from nongan.registry.services import categories_load
    from nongan.standards.services import standards_load

    categories_load()
    standards_load()
    return var


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="number of triples (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    var = setup_database()
    try:
        from nongan.registry.models import ProductCategory
        from nongan.standards import engine
        from nongan.standards.engine import judge
        from nongan.standards.models import Analyte, MaxResidueLimit

        rng = random.Random(args.seed)
        foods = list(ProductCategory.objects.values_list("name", flat=True))
        analytes = list(Analyte.objects.values_list("name_zh", flat=True))
        values = [
            Decimal(v)
            for v in ("0", "0.001", "0.005", "0.01", "0.05", "0.1", "0.2", "0.5", "0.8", "1", "2", "5", "12")
        ]
        triples = [(rng.choice(foods), rng.choice(analytes), rng.choice(values)) for _ in range(args.size)]

        # Baseline: a dict of (food, analyte) → limit, a lookup and a comparison per triple.
        limits = {
            (m.food.name, m.analyte.name_zh): m.limit_mg_kg
            for m in MaxResidueLimit.objects.select_related("food", "analyte")
        }
        start = time.perf_counter()
        verdicts = 0
        for food, analyte, value in triples:
            limit = limits.get((food, analyte))
            if limit is not None and value <= limit:
                verdicts += 1
        base_s = time.perf_counter() - start

        engine.get_index()  # build the index outside the timed loop (it is built once per process)
        counts: dict[str, int] = {}
        start = time.perf_counter()
        for food, analyte, value in triples:
            j = judge(food=food, analyte=analyte, value=value, unit="mg/kg")
            counts[j.verdict] = counts.get(j.verdict, 0) + 1
        judge_s = time.perf_counter() - start

        # Cold: the first judgement of each (food, analyte) pair resolves it through the tree and the editions.
        engine.invalidate()
        start = time.perf_counter()
        index = engine.get_index()
        build_s = time.perf_counter() - start

        n = len(triples)
        print(f"triples: {n:,} ({len(foods)} foods × {len(analytes)} analytes, unit mg/kg, today's date)")
        print(f"verdicts: {counts}")
        print(f"baseline dict lookup : {n / base_s:>12,.0f} triples/s  ({base_s:.3f} s)")
        print(f"judge()              : {n / judge_s:>12,.0f} judgements/s  ({judge_s:.3f} s)")
        print(f"ratio judge/baseline : {base_s / judge_s:.3f}  (baseline is {judge_s / base_s:.1f}× faster)")
        print(f"index build          : {build_s * 1000:.1f} ms ({len(index.limits)} limit keys)")
    finally:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
