"""Fixtures of the draws tests: a small registry spread over three townships and a round builder."""

import pytest

from conftest import commit_and_draw
from nongan.core.choices import Role
from nongan.core.services import user_create
from nongan.draws import services


@pytest.fixture
def spread(ganyu, make_producer, users):
    """12 scale producers: 5 in 青口镇 (besides users.own_producer), 4 in 柘汪镇, 3 in 班庄镇; plus 2 households."""
    made = []
    for town, n in (("青口镇", 5), ("柘汪镇", 4), ("班庄镇", 3)):
        for i in range(n):
            made.append(make_producer(name=f"{town}合作社{i + 1}", town=town, village_index=i))
    made.append(
        make_producer(name="张三丰", town="青口镇", village_index=1, type="household", is_scale=False)
    )
    made.append(make_producer(name="李四", town="柘汪镇", village_index=1, type="household", is_scale=False))
    return made


@pytest.fixture
def inspectors(ganyu, users):
    """A pool of four: the district sampler, enforcement officer, analyst, and the 青口镇 supervisor."""
    return [users.sampler, users.enforcement, users.analyst, users.qk]


@pytest.fixture
def make_round(users, ganyu, inspectors):
    def make(**kw):
        data = {
            "actor": users.admin,
            "title": "2026年第一批双随机检查",
            "purpose": "inspection",
            "region": ganyu.district,
            "year": 2026,
            "inspectors": inspectors,
            "filter_spec": {"is_scale": True},
            "ratio": "0.5",
            "strata": "township",
            "inspectors_per_object": 2,
        }
        data.update(kw)
        return services.round_create(**data)

    return make


@pytest.fixture
def drawn_round(make_round, spread, users):
    rnd = make_round()
    rnd = services.round_freeze(actor=users.admin, rnd=rnd)
    rnd = commit_and_draw(users.admin, rnd)
    return rnd


@pytest.fixture
def extra_inspector(ganyu):
    def make(username, role=Role.SAMPLER, region=None):
        return user_create(
            actor=None,
            username=username,
            password="Nongan-test-2026",
            role=role,
            full_name=username,
            jurisdiction=region or ganyu.district,
        )

    return make
