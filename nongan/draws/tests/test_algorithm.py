"""The pure draw function: allocation, determinism, exclusions, load balance, and tamper detection (no database)."""

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nongan.draws import algorithm as A

ROOT = Path(__file__).resolve().parents[3]


def cands(spec):
    """spec: {stratum: n} → candidates with codes S-0001…"""
    out = []
    for s, n in spec.items():
        for i in range(n):
            out.append({"code": f"{s}-{i:04d}", "stratum": s, "name": f"主体{s}{i}"})
    return out


POOL = [{"id": i, "name": f"检查员{i}"} for i in (11, 12, 13, 14, 15)]


def test_allocate_ratio_rounds_up_per_stratum():
    assert A.allocate({"a": 100, "b": 7, "c": 1}, ratio="0.05") == {"a": 5, "b": 1, "c": 1}
    assert A.allocate({"a": 10}, ratio="1") == {"a": 10}


def test_allocate_count_largest_remainder_exact():
    # 10 over 50/30/20 → 5/3/2 exactly; 7 over 50/30/20 → quotas 3.5/2.1/1.4 → 3/2/1 + one to a (largest remainder .5)
    assert A.allocate({"a": 50, "b": 30, "c": 20}, count=10) == {"a": 5, "b": 3, "c": 2}
    assert A.allocate({"a": 50, "b": 30, "c": 20}, count=7) == {"a": 4, "b": 2, "c": 1}
    # equal remainders: the larger stratum wins, then the smaller key
    assert A.allocate({"a": 1, "b": 1}, count=1) == {"a": 1, "b": 0}
    assert A.allocate({"a": 1, "b": 3}, count=2) == {"a": 0, "b": 2}


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"ratio": "0"}, "ratio"),
        ({"ratio": "1.01"}, "ratio"),
        ({"ratio": "-0.1"}, "ratio"),
        ({"count": 0}, "count"),
        ({"count": 11}, "count"),
        ({}, "count"),
    ],
)
def test_allocate_rejects_bad_numbers(kw, code):
    with pytest.raises(A.DrawError) as exc:
        A.allocate({"a": 6, "b": 4}, **kw)
    assert exc.value.code == code


def test_draw_is_deterministic_and_follows_the_documented_scores():
    c = cands({"t1": 20, "t2": 10})
    sel1, h1 = A.draw(c, POOL, [], "seed-seed-seed-01", ratio="0.2")
    sel2, h2 = A.draw(list(reversed(c)), list(reversed(POOL)), [], "seed-seed-seed-01", ratio="0.2")
    assert sel1 == sel2 and h1 == h2
    assert [(s["stratum"], s["rank"]) for s in sel1] == [
        ("t1", 1),
        ("t1", 2),
        ("t1", 3),
        ("t1", 4),
        ("t2", 1),
        ("t2", 2),
    ]
    # recompute the object choice by hand from the documented formula
    e = hashlib.sha256(b"nongan-draw/2|seed-seed-seed-01||[]").hexdigest()
    ch = hashlib.sha256(
        json.dumps(
            sorted([x["code"], x["stratum"], x["name"]] for x in c), ensure_ascii=False, separators=(",", ":")
        ).encode()
    ).hexdigest()
    assert ch == h1["candidate_hash"]
    t2 = sorted(
        (hashlib.sha256(f"{e}|{ch}|{x['code']}".encode()).hexdigest(), x["code"])
        for x in c
        if x["stratum"] == "t2"
    )
    assert [s["code"] for s in sel1 if s["stratum"] == "t2"] == [code for _s, code in t2[:2]]
    # another seed gives another draw
    sel3, _ = A.draw(c, POOL, [], "seed-seed-seed-02", ratio="0.2")
    assert [s["code"] for s in sel3] != [s["code"] for s in sel1]


def test_beacon_changes_the_draw():
    c = cands({"t": 40})
    a, _ = A.draw(c, POOL, [], "seed-seed-seed-01", count=5)
    b, _ = A.draw(c, POOL, [], "seed-seed-seed-01", beacon="2026312 7 4 9", count=5)
    assert [s["code"] for s in a] != [s["code"] for s in b]


def test_inspectors_respect_exclusions_and_balance_load():
    c = cands({"t": 30})
    excl = [{"inspector": 11, "producer": x["code"], "kind": "relative"} for x in c[:15]]
    sel, _ = A.draw(c, POOL, excl, "seed-seed-seed-01", count=10, per_object=2, fmt=A.FORMAT_V1)
    assert len(sel) == 10
    load = {i["id"]: 0 for i in POOL}
    for s in sel:
        assert len(s["inspectors"]) == 2 == len(set(s["inspectors"]))
        if s["code"] in {x["code"] for x in c[:15]}:
            assert 11 not in s["inspectors"]
        for i in s["inspectors"]:
            load[i] += 1
    assert sum(load.values()) == 20
    assert max(load.values()) - min(load.values()) <= 1


def test_too_few_eligible_inspectors_is_an_error():
    c = cands({"t": 3})
    excl = [{"inspector": i, "producer": "t-0000", "kind": "same_village"} for i in (11, 12, 13, 14)]
    with pytest.raises(A.DrawError) as exc:
        A.draw(c, POOL, excl, "seed-seed-seed-01", ratio="1")
    assert exc.value.code == "inspectors"
    assert exc.value.params == {"code": "t-0000", "n": 1, "need": 2}
    with pytest.raises(A.DrawError):
        A.draw(c, POOL, [], "seed-seed-seed-01", ratio="1", per_object=1)
    with pytest.raises(A.DrawError):
        A.draw([], POOL, [], "seed-seed-seed-01", ratio="1")


def _export(seed="public-seed-000001", fmt=A.FORMAT_V1, entropy=()):
    c = cands({"320707101000": 12, "320707102000": 8})
    excl = [{"inspector": 12, "producer": c[0]["code"], "kind": "relative"}]
    sel, h = A.draw(c, POOL, excl, seed, ratio="0.25", per_object=2, entropy=entropy, fmt=fmt)
    return {
        "format": fmt,
        "entropy": list(entropy),
        "round": {"code": "SJ2026-0001"},
        "parameters": {"count": None, "ratio": "0.25", "strata": "township", "inspectors_per_object": 2},
        "candidates": c,
        "candidate_hash": h["candidate_hash"],
        "inspectors": POOL,
        "exclusions": excl,
        "inspector_hash": h["inspector_hash"],
        "seed_commitment": A.sha256(seed),
        "beacon": {"source": "", "value": ""},
        "seed": seed,
        "selections": sel,
        "selection_hash": h["selection_hash"],
    }


def test_verify_export_matches_and_detects_tampering():
    good = _export()
    ok, problems, sel = A.verify_export(good)
    assert ok and problems == [] and len(sel) == 5

    removed = copy.deepcopy(good)
    removed["candidates"].pop(5)
    ok, problems, _ = A.verify_export(removed)
    assert not ok
    assert problems[0].startswith("candidate list does not match candidate_hash")

    seed = copy.deepcopy(good)
    seed["seed"] = "public-seed-000002"
    ok, problems, _ = A.verify_export(seed)
    assert not ok
    assert "SHA-256(seed) does not equal the published seed_commitment" in problems

    changed = copy.deepcopy(good)
    picked = {s["code"] for s in changed["selections"]}
    other = next(
        x["code"] for x in changed["candidates"] if x["code"] not in picked and x["stratum"] == "320707101000"
    )
    swapped = changed["selections"][0]["code"]
    changed["selections"][0]["code"] = other
    ok, problems, _ = A.verify_export(changed)
    assert not ok
    assert f"published object {other} is not in the re-run draw" in problems
    assert f"re-run draw selects {swapped}, which is missing from the published list" in problems

    inspector = copy.deepcopy(good)
    s0 = inspector["selections"][0]
    s0["inspectors"] = [i["id"] for i in POOL if i["id"] not in s0["inspectors"]][:2]
    ok, problems, _ = A.verify_export(inspector)
    assert not ok and problems[0].startswith(f"object {s0['code']}: published")

    excl = copy.deepcopy(good)
    excl["exclusions"] = []
    ok, problems, _ = A.verify_export(excl)
    assert not ok and problems[0] == "inspector pool or exclusions do not match inspector_hash"

    unrevealed = copy.deepcopy(good)
    unrevealed["seed"] = ""
    ok, problems, _ = A.verify_export(unrevealed)
    assert not ok and problems == ["the seed has not been revealed yet; nothing to re-run"]


def test_published_script_is_the_algorithm_and_runs_standalone(tmp_path):
    script = ROOT / "docs" / "draw_verify.py"
    assert script.read_text(encoding="utf-8") == (ROOT / "nongan" / "draws" / "algorithm.py").read_text(
        encoding="utf-8"
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_export(), ensure_ascii=False), encoding="utf-8")
    witnessed = _export(
        fmt=A.FORMAT, entropy=[{"inspector": 11, "value": "7391"}, {"inspector": 12, "value": "qk"}]
    )
    good2 = tmp_path / "good2.json"
    good2.write_text(json.dumps(witnessed, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-I", str(script), str(good2)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0 and "MATCH" in run.stdout, run.stdout
    witnessed["entropy"][0]["value"] = "7392"  # another witness value: another draw
    good2.write_text(json.dumps(witnessed, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-I", str(script), str(good2)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 1 and "MISMATCH" in run.stdout
    bad_data = _export()
    bad_data["selections"][1]["rank"] = 9
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_data, ensure_ascii=False), encoding="utf-8")
    # -I: isolated mode, no site-packages, so only the standard library is available
    run = subprocess.run(
        [sys.executable, "-I", str(script), str(good)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert "MATCH" in run.stdout and "MISMATCH" not in run.stdout
    run = subprocess.run(
        [sys.executable, "-I", str(script), str(bad)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 1
    assert "MISMATCH" in run.stdout
