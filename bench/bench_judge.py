"""Judgements per second of the standards engine, beside a plain dict lookup of the same triples.

    .venv/bin/python bench/bench_judge.py [--size 1000000] [--seed 1] [--synthetic 10000] [--vet 2000]

It needs a database and makes its own: a throwaway SQLite file in a temporary NONGAN_VAR, with
DJANGO_SETTINGS_MODULE=nongan.settings, `migrate`, then the product tree and the shipped standards
(`standards_load`: the GB 2763-2026 excerpt, the sample rows, the merged lists). ``--synthetic N`` (default
10,000) adds a synthetic full-size table: N limits of made-up analytes on random foods in an edition of their own
family in force today, so the index and the judgements carry a table of the official size; ``--vet N`` (default
2,000) adds N synthetic veterinary drug limits (made-up drugs × species × tissue, in μg/kg) to GB 31650-2019, and
the run judges as many random (drug, species, tissue, value) results, the 公告第250号 substances among the drugs,
beside a plain dict lookup of (drug, species, tissue). The index build is
timed and its memory measured (tracemalloc) with all of it loaded. Nothing outside the temporary folder is
touched; the folder is removed at the end.

The triples are (food, analyte, value) drawn at random from every food of the product tree and every
analyte of the shipped tables, with values spread around the limits; each is judged with unit mg/kg
on today's date. The baseline looks the same (food, analyte) up in a plain dict of limits and compares
the value: the floor any Python implementation pays per triple.
"""

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
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


def synthetic_table(n: int, seed: int) -> None:
    """n limits of made-up analytes (合成农药0001 …) on random foods, in a full edition of their own family."""
    if n <= 0:
        return
    from nongan.registry.models import ProductCategory
    from nongan.standards.models import Analyte, Edition, MaxResidueLimit

    rng = random.Random(seed)
    edition = Edition.objects.create(
        code="GB 99999-2026", family="GB 99999", kind="full", in_force=dt.date(2026, 1, 1), source="synthetic"
    )
    analytes = Analyte.objects.bulk_create(
        Analyte(name_zh=f"合成农药{i:04d}", name_en=f"synthetic-{i:04d}") for i in range(max(1, n // 20))
    )
    foods = list(ProductCategory.objects.all())
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(n, len(analytes) * len(foods)):
        pairs.add((rng.randrange(len(analytes)), rng.randrange(len(foods))))
    MaxResidueLimit.objects.bulk_create(
        (
            MaxResidueLimit(
                edition=edition,
                analyte=analytes[a],
                food=foods[f],
                limit_mg_kg=Decimal(rng.choice(("0.01", "0.05", "0.1", "0.5", "1", "2", "5"))),
                source_file="synthetic",
            )
            for a, f in pairs
        ),
        batch_size=1000,
    )


def synthetic_vet_table(n: int, seed: int) -> list[tuple[str, str, str]]:
    """n veterinary limits of made-up drugs (合成兽药0001 …) on random (species, tissue) pairs the species has."""
    if n <= 0:
        return []
    from nongan.standards.choices import SPECIES_TISSUES
    from nongan.standards.models import Analyte, Edition, VetDrugLimit

    rng = random.Random(seed)
    edition = Edition.objects.get(code="GB 31650-2019")
    drugs = Analyte.objects.bulk_create(
        Analyte(name_zh=f"合成兽药{i:04d}", name_en=f"synthetic-vet-{i:04d}", kind="vet_drug")
        for i in range(max(1, n // 10))
    )
    cells = [(sp, ti) for sp, tissues in SPECIES_TISSUES.items() for ti in tissues]
    keys: set[tuple[int, str, str]] = set()
    while len(keys) < min(n, len(drugs) * len(cells)):
        keys.add((rng.randrange(len(drugs)), *rng.choice(cells)))
    rows = []
    for d, sp, ti in keys:
        ug = Decimal(rng.choice(("10", "50", "100", "200", "500", "1000")))
        rows.append(
            VetDrugLimit(
                edition=edition,
                analyte=drugs[d],
                species=sp,
                tissue=ti,
                limit_mg_kg=ug / 1000,
                limit_published=ug,
                source_file="synthetic",
            )
        )
    VetDrugLimit.objects.bulk_create(rows, batch_size=1000)
    return [(drugs[d].name_zh, sp, ti) for d, sp, ti in keys]


def bench_vet(keys, size: int, seed: int) -> None:
    """Veterinary judgements (species, tissue) against a plain dict of (drug, species, tissue) → limit."""
    from nongan.standards.choices import SPECIES_TISSUES, Species
    from nongan.standards.engine import judge
    from nongan.standards.models import BannedSubstance, VetDrugLimit

    rng = random.Random(seed)
    drugs = sorted({k[0] for k in keys}) + list(
        BannedSubstance.objects.filter(ban_scope="food-producing animals").values_list(
            "analyte__name_zh", flat=True
        )
    )
    species = [s for s in SPECIES_TISSUES if s not in (Species.ALL, Species.RUMINANT)]
    values = [Decimal(v) for v in ("0", "0.5", "5", "20", "80", "150", "400", "1200")]
    results = []
    for _ in range(size):
        sp = rng.choice(species)
        results.append((rng.choice(drugs), sp, rng.choice(SPECIES_TISSUES[sp]), rng.choice(values)))
    limits = {
        (a, sp, ti): lim
        for a, sp, ti, lim in VetDrugLimit.objects.values_list(
            "analyte__name_zh", "species", "tissue", "limit_mg_kg"
        )
    }
    start = time.perf_counter()
    for drug, sp, ti, value in results:
        limit = limits.get((drug, sp, ti))
        if limit is not None and value / 1000 <= limit:
            pass
    base_s = time.perf_counter() - start
    counts: dict[str, int] = {}
    start = time.perf_counter()
    for drug, sp, ti, value in results:
        j = judge(analyte=drug, species=sp, tissue=ti, value=value, unit="μg/kg")
        counts[j.rule] = counts.get(j.rule, 0) + 1
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    for drug, sp, ti, value in results:
        judge(analyte=drug, species=sp, tissue=ti, value=value, unit="μg/kg")
    warm_s = time.perf_counter() - start
    n = len(results)
    print(f"vet results: {n:,} ({len(drugs)} drugs incl. the 公告第250号 list, species × tissue, μg/kg)")
    print(f"vet rules: {dict(sorted(counts.items()))}")
    print(f"vet baseline dict    : {n / base_s:>12,.0f} lookups/s  ({base_s:.3f} s)")
    print(f"vet judge()          : {n / cold_s:>12,.0f} judgements/s  ({cold_s:.3f} s)")
    print(f"vet judge() warm     : {n / warm_s:>12,.0f} judgements/s  ({warm_s:.3f} s, every key resolved)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="number of triples (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--synthetic", type=int, default=10_000, help="synthetic limits added (default 10,000)"
    )
    parser.add_argument(
        "--vet", type=int, default=2_000, help="synthetic veterinary limits added (default 2,000)"
    )
    parser.add_argument(
        "--vet-size", type=int, default=200_000, help="veterinary results judged (default 200,000)"
    )
    args = parser.parse_args()

    var = setup_database()
    try:
        synthetic_table(args.synthetic, args.seed)
        vet_keys = synthetic_vet_table(args.vet, args.seed)
        from nongan.registry.models import ProductCategory
        from nongan.standards import engine
        from nongan.standards.engine import judge
        from nongan.standards.models import Analyte, MaxResidueLimit, VetDrugLimit

        rng = random.Random(args.seed)
        foods = list(ProductCategory.objects.values_list("name", flat=True))
        analytes = list(
            Analyte.objects.exclude(name_zh__startswith="合成兽药").values_list("name_zh", flat=True)
        )
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
        # Warm: the same triples again, every (food, analyte, date) already resolved.
        start = time.perf_counter()
        for food, analyte, value in triples:
            judge(food=food, analyte=analyte, value=value, unit="mg/kg")
        warm_s = time.perf_counter() - start

        # Cold: the index is built once per process (and after every change of the standards).
        engine.invalidate()
        start = time.perf_counter()
        index = engine.get_index()
        build_s = time.perf_counter() - start
        engine.invalidate()  # again, traced (tracemalloc slows the build, so it is timed without it)
        tracemalloc.start()
        index = engine.get_index()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows = MaxResidueLimit.objects.count()
        vet_rows = VetDrugLimit.objects.count()

        n = len(triples)
        print(f"triples: {n:,} ({len(foods)} foods × {len(analytes)} analytes, unit mg/kg, today's date)")
        print(f"verdicts: {counts}")
        print(f"baseline dict lookup : {n / base_s:>12,.0f} triples/s  ({base_s:.3f} s)")
        print(f"judge()              : {n / judge_s:>12,.0f} judgements/s  ({judge_s:.3f} s)")
        print(
            f"judge() warm         : {n / warm_s:>12,.0f} judgements/s  ({warm_s:.3f} s, every pair resolved)"
        )
        print(f"ratio judge/baseline : {base_s / judge_s:.3f}  (baseline is {judge_s / base_s:.1f}× faster)")
        print(
            f"index build          : {build_s * 1000:.1f} ms for {rows:,} limit rows + {vet_rows:,} vet rows "
            f"({len(index.limits):,} keys, {len(index.food_ids):,} food names, {len(index.analyte_ids):,} analyte names)"
        )
        print(
            f"index memory         : {current / 2**20:.1f} MiB held, {peak / 2**20:.1f} MiB peak while building"
        )
        if args.vet_size:
            bench_vet(vet_keys, args.vet_size, args.seed)
    finally:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
