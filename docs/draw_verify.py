#!/usr/bin/env python3
"""The double-random draw (双随机抽取) of Nongan, as a pure function anyone can re-run.

Standard library only, no Django: the same file is published as ``docs/draw_verify.py`` and served at
``/draws/public/draw_verify.py``, so a member of the public can check a published draw offline:

    python3 draw_verify.py SJ2026-0001.json

It prints MATCH or MISMATCH (with the reasons) and exits 0 on a match, 1 on a mismatch, 2 on bad input.

Definitions (format "nongan-draw/1"; every hash is SHA-256, lowercase hex, over UTF-8 bytes):

* canonical JSON: ``json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``.
* candidate_hash = SHA-256(canonical JSON of ``[[code, stratum, name], …]`` sorted by code).
* inspector_hash = SHA-256(canonical JSON of ``{"exclusions": [[inspector_id, producer_code, kind], …] sorted,
  "inspectors": [[inspector_id, name], …] sorted by id}``).
* seed_commitment = SHA-256(seed). The seed is published only after the commitment.
* effective seed E = SHA-256("nongan-draw/1|" + seed + "|" + beacon), where beacon is the public value named
  when the seed was committed (e.g. a lottery number drawn later), or "" when none was named.
* objects: in each stratum, score(code) = SHA-256(E + "|" + candidate_hash + "|" + code); the k lowest
  scores are drawn (ties broken by code) and ranked 1…k. k per stratum: with a ratio r, k = ceil(r × n);
  with a total count c, c is shared in proportion to the strata sizes by the largest-remainder method
  (remainders compared exactly; ties go to the larger stratum, then the smaller stratum key).
* inspectors: objects are served in (stratum, rank) order; each gets the ``per_object`` eligible
  inspectors (pool minus the exclusions of that object) with the lowest (load so far,
  SHA-256(E + "|" + inspector_hash + "|" + code + "|" + inspector_id)), so the work is spread evenly.
  Fewer eligible inspectors than ``per_object`` for any object is an error: no draw.
* selection_hash = SHA-256(canonical JSON of ``[[code, stratum, rank, [inspector ids]], …]``).
"""

import hashlib
import json
import math
import sys
from fractions import Fraction

FORMAT = "nongan-draw/1"


class DrawError(ValueError):
    """The inputs do not allow a draw; ``code`` names the reason, ``params`` the details."""

    def __init__(self, reason, message, **params):
        super().__init__(message % params if params else message)
        self.code = reason
        self.params = params


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def candidate_hash(candidates):
    """candidates: iterable of dicts with code, stratum, name."""
    rows = sorted([c["code"], c["stratum"], c["name"]] for c in candidates)
    return sha256(canonical(rows))


def inspector_hash(inspectors, exclusions):
    """inspectors: dicts with id, name; exclusions: dicts with inspector, producer, kind."""
    return sha256(
        canonical(
            {
                "exclusions": sorted([int(e["inspector"]), e["producer"], e["kind"]] for e in exclusions),
                "inspectors": sorted([int(i["id"]), i["name"]] for i in inspectors),
            }
        )
    )


def effective_seed(seed, beacon=""):
    return sha256(FORMAT + "|" + seed + "|" + (beacon or ""))


def allocate(sizes, count=None, ratio=None):
    """How many objects to draw per stratum: {stratum: k}."""
    total = sum(sizes.values())
    if ratio is not None:
        r = Fraction(str(ratio))
        if not 0 < r <= 1:
            raise DrawError(
                "ratio", "The ratio must be greater than 0 and at most 1, not %(ratio)s.", ratio=ratio
            )
        return {s: math.ceil(r * n) for s, n in sizes.items()}
    if count is None or int(count) < 1:
        raise DrawError("count", "Give a count of at least 1 or a ratio.")
    count = int(count)
    if count > total:
        raise DrawError(
            "count",
            "%(count)d objects asked for, but the pool holds only %(total)d.",
            count=count,
            total=total,
        )
    quotas = {s: Fraction(count * n, total) for s, n in sizes.items()}
    k = {s: math.floor(q) for s, q in quotas.items()}
    rest = count - sum(k.values())
    order = sorted(sizes, key=lambda s: (-(quotas[s] - k[s]), -sizes[s], s))
    for s in order[:rest]:
        k[s] += 1
    return k


def draw(candidates, inspectors, exclusions, seed, beacon="", count=None, ratio=None, per_object=2):
    """The draw: a pure function of its arguments. Returns (selections, hashes).

    selections: [{"code", "stratum", "rank", "inspectors": [ids]}] in (stratum, rank) order.
    """
    if int(per_object) < 2:
        raise DrawError("per_object", "At least 2 inspectors per object are required.")
    c_hash = candidate_hash(candidates)
    i_hash = inspector_hash(inspectors, exclusions)
    e = effective_seed(seed, beacon)
    strata = {}
    for c in candidates:
        strata.setdefault(c["stratum"], []).append(c["code"])
    if not strata:
        raise DrawError("empty", "The candidate list is empty.")
    quota = allocate({s: len(codes) for s, codes in strata.items()}, count=count, ratio=ratio)
    prefix = e + "|" + c_hash + "|"
    selections = []
    for stratum in sorted(strata):
        scored = sorted((sha256(prefix + code), code) for code in strata[stratum])
        for rank, (_score, code) in enumerate(scored[: quota[stratum]], start=1):
            selections.append({"code": code, "stratum": stratum, "rank": rank, "inspectors": []})
    pool = sorted({int(i["id"]) for i in inspectors})
    excluded = {(int(x["inspector"]), x["producer"]) for x in exclusions}
    load = dict.fromkeys(pool, 0)
    for sel in selections:
        eligible = [i for i in pool if (i, sel["code"]) not in excluded]
        if len(eligible) < int(per_object):
            raise DrawError(
                "inspectors",
                "Object %(code)s has only %(n)d eligible inspectors; %(need)d are required.",
                code=sel["code"],
                n=len(eligible),
                need=int(per_object),
            )
        key = e + "|" + i_hash + "|" + sel["code"] + "|"
        chosen = sorted(eligible, key=lambda i: (load[i], sha256(key + str(i)), i))[: int(per_object)]
        for i in chosen:
            load[i] += 1
        sel["inspectors"] = chosen
    hashes = {
        "candidate_hash": c_hash,
        "inspector_hash": i_hash,
        "selection_hash": selection_hash(selections),
    }
    return selections, hashes


def selection_hash(selections):
    return sha256(
        canonical(
            [[s["code"], s["stratum"], s["rank"], [int(i) for i in s["inspectors"]]] for s in selections]
        )
    )


def verify_export(data):
    """Re-run the draw from an exported round. Returns (ok, problems, selections)."""
    problems = []
    if data.get("format") != FORMAT:
        return False, [f"unknown format {data.get('format')!r} (expected {FORMAT!r})"], []
    candidates = data.get("candidates") or []
    inspectors = data.get("inspectors") or []
    exclusions = data.get("exclusions") or []
    params = data.get("parameters") or {}
    if candidate_hash(candidates) != data.get("candidate_hash"):
        problems.append(
            "candidate list does not match candidate_hash (a candidate was added, removed or changed)"
        )
    if inspector_hash(inspectors, exclusions) != data.get("inspector_hash"):
        problems.append("inspector pool or exclusions do not match inspector_hash")
    seed = data.get("seed")
    if not seed:
        problems.append("the seed has not been revealed yet; nothing to re-run")
        return False, problems, []
    if sha256(seed) != data.get("seed_commitment"):
        problems.append("SHA-256(seed) does not equal the published seed_commitment")
    try:
        selections, hashes = draw(
            candidates,
            inspectors,
            exclusions,
            seed,
            beacon=(data.get("beacon") or {}).get("value") or "",
            count=params.get("count"),
            ratio=params.get("ratio"),
            per_object=params.get("inspectors_per_object", 2),
        )
    except (ValueError, TypeError, KeyError) as exc:
        problems.append(f"the draw cannot be re-run: {exc}")
        return False, problems, []
    published = [
        {
            "code": s["code"],
            "stratum": s["stratum"],
            "rank": int(s["rank"]),
            "inspectors": [int(i) for i in s["inspectors"]],
        }
        for s in data.get("selections") or []
    ]
    if published != selections:
        mine = {s["code"]: s for s in selections}
        theirs = {s["code"]: s for s in published}
        for code in sorted(set(theirs) - set(mine)):
            problems.append(f"published object {code} is not in the re-run draw")
        for code in sorted(set(mine) - set(theirs)):
            problems.append(f"re-run draw selects {code}, which is missing from the published list")
        for code in sorted(set(mine) & set(theirs)):
            if mine[code] != theirs[code]:
                problems.append(
                    f"object {code}: published {canonical(theirs[code])}, re-run gives {canonical(mine[code])}"
                )
        if not problems:
            problems.append("the published selections are in a different order than the re-run draw")
    if data.get("selection_hash") and data["selection_hash"] != hashes["selection_hash"]:
        problems.append("selection_hash differs from the hash of the re-run selections")
    return not problems, problems, selections


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 draw_verify.py <exported-round.json>", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"cannot read {argv[0]}: {exc}", file=sys.stderr)
        return 2
    ok, problems, selections = verify_export(data)
    print(
        f"round {(data.get('round') or {}).get('code', '?')}: {len(data.get('candidates') or [])} candidates, "
        f"{len(selections)} objects drawn"
    )
    if ok:
        print("MATCH: the published draw is exactly what (candidate list, seed, parameters) give.")
        return 0
    print("MISMATCH:")
    for p in problems:
        print("  - " + p)
    return 1


if __name__ == "__main__":
    sys.exit(main())
