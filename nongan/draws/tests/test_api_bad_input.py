"""Bad input found by the API fuzz test (tests/test_api_fuzz.py): each answers 400 with field errors, not 500."""

import re

import pytest

from nongan.draws.models import DrawRound


@pytest.fixture
def api(client, users):
    client.force_login(users.admin)
    return client


def body(ganyu, users, **kw):
    data = {
        "title": "接口轮次",
        "purpose": "sampling",
        "year": 2026,
        "region": ganyu.district.code,
        "filter_spec": {"is_scale": True},
        "ratio": "0.5",
        "strata": "township",
        "inspectors": [users.sampler.pk, users.enforcement.pk],
    }
    data.update(kw)
    return data


@pytest.mark.parametrize(
    ("filter_spec", "field"),
    [
        ("x", "filter_spec"),
        (5, "filter_spec"),
        ([["types", "cooperative"]], "filter_spec"),
        ({"types": 5}, "types"),
        ({"types": [["cooperative"]]}, "types"),
        ({"types": [1, "cooperative"]}, "types"),
        ({"tiers": {"A": 1}}, "tiers"),
        ({"tiers": [None, "A"]}, "tiers"),
    ],
)
def test_round_create_refuses_a_filter_that_is_no_filter(api, ganyu, users, filter_spec, field):
    r = api.post(
        "/api/v1/draws/", body(ganyu, users, filter_spec=filter_spec), content_type="application/json"
    )
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert re.search("[\u4e00-\u9fff]", r.json()[field][0])
    assert not DrawRound.objects.exists()


def test_round_create_with_a_list_filter(api, ganyu, users):
    spec = {"types": ["cooperative", "enterprise"], "tiers": ["A"], "is_scale": True}
    r = api.post("/api/v1/draws/", body(ganyu, users, filter_spec=spec), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["filter_spec"] == spec


# A NUL character cannot even be looked up in PostgreSQL (psycopg raises DataError): refused before that.
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "320707000000\x00"}, "region"),
        ({"filter_spec": {"township": "320707100000\x00"}}, "township"),
        ({"filter_spec": {"village": "\x00"}}, "village"),
        ({"filter_spec": {"category": "V05001\x00"}}, "category"),
    ],
)
def test_round_create_with_a_nul_in_a_code(api, ganyu, users, change, field):
    r = api.post("/api/v1/draws/", body(ganyu, users, **change), content_type="application/json")
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert not DrawRound.objects.exists()
