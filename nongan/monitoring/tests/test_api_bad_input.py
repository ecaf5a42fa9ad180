"""Bad input found by the API fuzz test (tests/test_api_fuzz.py): each answers 400 with field errors, not 500."""

import re

import pytest


@pytest.fixture
def api(client, users):
    client.force_login(users.admin)
    return client


@pytest.mark.parametrize("year", ["0.0", "0", "2026.5", "10000", "99999999999999999999", "-1"])
def test_sample_list_refuses_a_year_that_is_no_year(api, make_sample, year):
    make_sample()
    r = api.get("/api/v1/monitoring/samples/", {"year": year})
    assert r.status_code == 400
    assert list(r.json()) == ["year"]
    assert re.search("[\u4e00-\u9fff]", r.json()["year"][0])  # a Chinese message


def test_sample_list_by_year(api, make_sample):
    s = make_sample()
    r = api.get("/api/v1/monitoring/samples/", {"year": s.sampled_at.year})
    assert [row["code"] for row in r.json()["results"]] == [s.code]
    assert api.get("/api/v1/monitoring/samples/", {"year": 2001}).json()["results"] == []
