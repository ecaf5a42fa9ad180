"""Properties of the pure draw function, over generated inputs (hypothesis)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from nongan.draws import algorithm as A

sizes_st = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(1, 60), min_size=1)


@given(sizes=sizes_st, data=st.data())
def test_count_allocation_is_exact_and_within_strata(sizes, data):
    total = sum(sizes.values())
    count = data.draw(st.integers(1, total))
    k = A.allocate(sizes, count=count)
    assert sum(k.values()) == count
    assert all(0 <= k[s] <= sizes[s] for s in sizes)
    # proportional: never more than one away from the exact quota
    assert all(abs(k[s] - count * sizes[s] / total) < 1 for s in sizes)


@given(sizes=sizes_st, ratio=st.sampled_from(["0.01", "0.05", "0.1", "0.333", "0.5", "1"]))
def test_ratio_allocation_rounds_up(sizes, ratio):
    k = A.allocate(sizes, ratio=ratio)
    for s, n in sizes.items():
        assert 1 <= k[s] <= n
        assert k[s] - 1 < float(ratio) * n <= k[s] + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    sizes=sizes_st,
    n_inspectors=st.integers(2, 8),
    per_object=st.integers(2, 3),
    seed=st.text(min_size=16, max_size=40),
    shuffle=st.randoms(use_true_random=False),
    n_excl=st.integers(0, 30),
)
def test_draw_is_order_free_respects_exclusions_and_balances(
    sizes, n_inspectors, per_object, seed, shuffle, n_excl
):
    if per_object > n_inspectors:
        per_object = n_inspectors
    cands = [
        {"code": f"{s}{i:03d}", "stratum": s, "name": f"n{s}{i}"} for s, n in sizes.items() for i in range(n)
    ]
    pool = [{"id": 100 + i, "name": f"i{i}"} for i in range(n_inspectors)]
    rng = random.Random(seed)
    excl = [
        {
            "inspector": 100 + rng.randrange(n_inspectors),
            "producer": rng.choice(cands)["code"],
            "kind": "other",
        }
        for _ in range(n_excl)
    ]
    try:
        sel, hashes = A.draw(cands, pool, excl, seed, ratio="0.3", per_object=per_object)
    except A.DrawError as exc:
        assert exc.code == "inspectors"
        return
    shuffled_c, shuffled_p, shuffled_x = cands[:], pool[:], excl[:]
    shuffle.shuffle(shuffled_c)
    shuffle.shuffle(shuffled_p)
    shuffle.shuffle(shuffled_x)
    assert A.draw(shuffled_c, shuffled_p, shuffled_x, seed, ratio="0.3", per_object=per_object) == (
        sel,
        hashes,
    )
    banned = {(x["inspector"], x["producer"]) for x in excl}
    load = {p["id"]: 0 for p in pool}
    for s in sel:
        assert len(set(s["inspectors"])) == per_object
        assert not any((i, s["code"]) in banned for i in s["inspectors"])
        for i in s["inspectors"]:
            load[i] += 1
    if not excl:
        assert max(load.values()) - min(load.values()) <= 1
