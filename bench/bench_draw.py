"""Benchmark of the double-random draw.

1. The pure function (nongan.draws.algorithm.draw) over N candidates in 15 strata (default 100,000), 5% drawn,
   30 inspectors, 2 per object, beside a baseline of random.sample over the same list (per stratum), and the
   offline re-verification of the exported round.
2. End to end with the database (freeze → commit → draw → verify) at a smaller size (--db-size, default 5,000;
   0 skips it), on a throw-away SQLite file.

    .venv/bin/python bench/bench_draw.py [--size 100000] [--db-size 5000]
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nongan.draws import algorithm  # noqa: E402


def timed(fn, repeat=3):
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def pure(size: int) -> None:
    rng = random.Random(320707)
    strata = [f"3207071{i:02d}000" for i in range(15)]
    candidates = [
        {"code": f"320707{i:09d}", "stratum": rng.choice(strata), "name": f"赣榆区测试合作社{i}"}
        for i in range(size)
    ]
    inspectors = [{"id": 1000 + i, "name": f"检查员{i}"} for i in range(30)]
    exclusions = [
        {
            "inspector": 1000 + rng.randrange(30),
            "producer": candidates[rng.randrange(size)]["code"],
            "kind": "relative",
        }
        for _ in range(size // 100)
    ]
    seed = "bench-seed-0123456789abcdef"

    t_hash, _ = timed(lambda: algorithm.candidate_hash(candidates))
    t_draw, (selections, hashes) = timed(
        lambda: algorithm.draw(candidates, inspectors, exclusions, seed, ratio="0.05", per_object=2)
    )

    by_stratum: dict[str, list[str]] = {}
    for c in candidates:
        by_stratum.setdefault(c["stratum"], []).append(c["code"])
    quota = algorithm.allocate({s: len(v) for s, v in by_stratum.items()}, ratio="0.05")

    def baseline():
        r = random.Random(seed)
        return [code for s in sorted(by_stratum) for code in r.sample(by_stratum[s], quota[s])]

    t_base, base = timed(baseline)
    export = {
        "format": algorithm.FORMAT,
        "round": {"code": "BENCH"},
        "parameters": {"count": None, "ratio": "0.05", "strata": "township", "inspectors_per_object": 2},
        "candidates": candidates,
        "candidate_hash": hashes["candidate_hash"],
        "inspectors": inspectors,
        "exclusions": exclusions,
        "inspector_hash": hashes["inspector_hash"],
        "seed_commitment": algorithm.sha256(seed),
        "beacon": {"source": "", "value": ""},
        "seed": seed,
        "selections": selections,
        "selection_hash": hashes["selection_hash"],
    }
    t_verify, (ok, _problems, _s) = timed(lambda: algorithm.verify_export(export), repeat=1)
    print(
        f"pure function, {size:,} candidates in {len(by_stratum)} strata, 5% drawn ({len(selections):,} objects), "
        f"30 inspectors × 2 per object, {len(exclusions):,} exclusions"
    )
    print(f"  candidate hash (canonical JSON + SHA-256) : {t_hash:8.3f} s")
    print(f"  draw (objects + inspectors)               : {t_draw:8.3f} s")
    print(
        f"  verify_export (re-run + compare)          : {t_verify:8.3f} s   -> {'MATCH' if ok else 'MISMATCH'}"
    )
    print(
        f"  baseline random.sample per stratum        : {t_base:8.3f} s   ({len(base):,} objects, not verifiable)"
    )


def end_to_end(size: int) -> None:
    os.environ.setdefault("NONGAN_VAR", tempfile.mkdtemp(prefix="nongan-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nongan.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from nongan.core.choices import Role
    from nongan.core.models import Region
    from nongan.core.services import regions_load, user_create
    from nongan.draws import services
    from nongan.draws.export import verify_round
    from nongan.registry.models import Producer
    from nongan.registry.services import categories_load

    regions_load()
    categories_load()
    district = Region.objects.get(code="320707000000")
    villages = list(Region.objects.filter(level="village", path__startswith=district.path))
    rng = random.Random(1)
    t = time.perf_counter()
    Producer.objects.bulk_create(
        [
            Producer(
                code=f"B{i:09d}",
                name=f"测试合作社{i}",
                type="cooperative",
                legal_rep="王建国",
                phone="13812345678",
                region=rng.choice(villages),
                is_scale=True,
            )
            for i in range(size)
        ],
        batch_size=2000,
    )
    t_seed = time.perf_counter() - t
    admin = user_create(
        actor=None, username="benchadmin", password="x" * 12, role=Role.DISTRICT_ADMIN, jurisdiction=district
    )
    pool = [
        user_create(
            actor=None, username=f"insp{i}", password="x" * 12, role=Role.SAMPLER, jurisdiction=district
        )
        for i in range(20)
    ]
    steps = []
    t = time.perf_counter()
    rnd = services.round_create(
        actor=admin,
        title="bench",
        region=district,
        year=2026,
        inspectors=pool,
        filter_spec={"is_scale": True},
        ratio="0.05",
        strata="township",
    )
    steps.append(("create", time.perf_counter() - t))
    for name, fn, kw in (
        ("freeze", services.round_freeze, {}),
        ("commit", services.round_commit_seed, {"seed": "bench-seed-0123456789"}),
        ("draw", services.round_draw, {"seed": "bench-seed-0123456789"}),
    ):
        t = time.perf_counter()
        rnd = fn(actor=admin, rnd=rnd, **kw)
        steps.append((name, time.perf_counter() - t))
    t = time.perf_counter()
    ok, _problems, data = verify_round(rnd)
    steps.append(("verify from DB + ledger", time.perf_counter() - t))
    print(
        f"end to end with the database (SQLite), {size:,} producers ({t_seed:.2f} s to insert), "
        f"{len(data['selections']):,} drawn: {'MATCH' if ok else 'MISMATCH'}"
    )
    for name, secs in steps:
        print(f"  {name:<26}: {secs:8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--db-size", type=int, default=5_000)
    args = parser.parse_args()
    pure(args.size)
    if args.db_size:
        end_to_end(args.db_size)


if __name__ == "__main__":
    main()
