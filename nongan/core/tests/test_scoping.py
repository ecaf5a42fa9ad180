"""The choke point's helpers for rules along a line of regions (no app parses region paths itself)."""

from nongan.core import ledger
from nongan.core.models import LedgerEntry, User
from nongan.core.scoping import ancestor_codes, containing_regions, region_line_q, scoped, scoped_line


def test_the_regions_containing_a_village(ganyu):
    village = ganyu.village("青口镇")
    assert ancestor_codes(village) == [
        "320000000000",
        "320700000000",
        "320707000000",
        "320707100000",
        village.code,
    ]
    assert [r.name for r in containing_regions(village)] == [
        "江苏省",
        "连云港市",
        "赣榆区",
        "青口镇",
        village.name,
    ]


def test_the_line_of_a_township_is_what_contains_it_and_what_lies_inside_it(users, ganyu):
    line = User.objects.filter(region_line_q("jurisdiction", ganyu.town["青口镇"]))
    assert set(line.values_list("username", flat=True)) == {
        "admin",
        "qk",
        "village",
        "sampler",
        "analyst",
        "analyst2",
        "enforcement",
        "market",
    }  # not zw (柘汪镇) nor the producer account (no jurisdiction)


def test_scoped_line_is_the_line_of_the_users_jurisdiction(users, ganyu):
    qs = User.objects.filter(jurisdiction__isnull=False)
    seen = set(scoped_line(users.qk, qs, lookup="jurisdiction").values_list("username", flat=True))
    # the district's staff (a region containing 青口镇), 青口镇's own and its village's; not 柘汪镇's
    assert seen == {"admin", "qk", "village", "sampler", "analyst", "analyst2", "enforcement", "market"}
    assert scoped_line(users.producer, qs, lookup="jurisdiction").count() == 0
    assert scoped_line(None, qs, lookup="jurisdiction").count() == 0


def test_the_ledger_is_scoped_by_its_region_path(users, ganyu):
    ledger.append(kind="t", ref="a", payload={}, actor=None, region=ganyu.village("青口镇"))
    ledger.append(kind="t", ref="b", payload={}, actor=None, region=ganyu.village("柘汪镇"))
    ledger.append(kind="t", ref="c", payload={}, actor=None, region=None)
    refs = lambda u: sorted(scoped(u, LedgerEntry.objects.all()).values_list("ref", flat=True))  # noqa: E731
    assert refs(users.admin) == ["a", "b"]
    assert refs(users.qk) == ["a"]
    assert refs(users.producer) == []
