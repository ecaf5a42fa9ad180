"""Bad input found by the API fuzz test (tests/test_api_fuzz.py): each answers 400 with field errors, not 500."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from nongan.monitoring.models import RapidTest, Sample


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


def _rapid(ganyu, **kw):
    item = {
        "station": ganyu.town["青口镇"].code,
        "product": "黄瓜",
        "method": "enzyme",
        "inhibition": "62",
        "tested_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
    }
    item.update(kw)
    return item


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("retest_of", "²"),  # a digit to str.isdigit(), not to int()
        ("retest_of", "99999999999999999999999"),  # beyond any primary key
        ("tested_at", "2026-02-30T10:00:00"),  # well-formed, but no such day
        ("tested_at", "0159-03-28T16:42:04-09:05"),  # long before any rapid test
        ("tested_at", "1999-12-31T23:00:00+08:00"),
    ],
)
def test_rapid_test_post_refuses_impossible_values(api, ganyu, field, value):
    r = api.post(
        "/api/v1/monitoring/rapid-tests/", _rapid(ganyu, **{field: value}), content_type="application/json"
    )
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert re.search("[\u4e00-\u9fff]", r.json()[field][0])
    assert not RapidTest.objects.exists()


def test_rapid_test_post_accepts_a_test_in_2000(api, ganyu):
    r = api.post(
        "/api/v1/monitoring/rapid-tests/",
        _rapid(ganyu, tested_at="2000-01-01T08:00:00+08:00"),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content


@pytest.mark.parametrize("sampled_at", ["0159-03-28T16:42:04-09:05", "1999-12-31T23:59:00+08:00"])
def test_sample_post_refuses_a_sampling_time_before_2000(api, users, sampled_at):
    r = api.post(
        "/api/v1/monitoring/samples/",
        {
            "producer": users.own_producer.code,
            "product": "黄瓜",
            "quantity": "2",
            "quantity_unit": "kg",
            "place": "大棚",
            "sampled_at": sampled_at,
        },
        content_type="application/json",
    )
    assert r.status_code == 400
    assert list(r.json()) == ["sampled_at"]
    assert re.search("[\u4e00-\u9fff]", r.json()["sampled_at"][0])
    assert not Sample.objects.exists()


# A NUL character cannot even be looked up in PostgreSQL (psycopg raises DataError): refused before that.
@pytest.mark.parametrize(
    "field", ["station", "producer", "product", "lot", "analyte", "instrument", "method"]
)
def test_rapid_test_post_with_a_nul(api, ganyu, users, field):
    item = _rapid(ganyu, producer=users.own_producer.code, lot="L1", analyte="有机磷", instrument="RT-1")
    item[field] = item[field] + "\x00"
    r = api.post("/api/v1/monitoring/rapid-tests/", item, content_type="application/json")
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert not RapidTest.objects.exists()


@pytest.mark.parametrize("field", ["producer", "product"])
def test_sample_post_with_a_nul_in_a_reference(api, users, field):
    body = {
        "producer": users.own_producer.code,
        "product": "黄瓜",
        "quantity": "2",
        "quantity_unit": "kg",
        "place": "大棚",
        "sampled_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
    }
    body[field] += "\x00"
    r = api.post("/api/v1/monitoring/samples/", body, content_type="application/json")
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert not Sample.objects.exists()


def test_sample_detail_with_a_nul_in_the_code_is_not_found(api, make_sample):
    s = make_sample()
    assert api.get(f"/api/v1/monitoring/samples/{s.code}%00/").status_code == 404
    assert api.get(f"/api/v1/monitoring/samples/{s.code}/").status_code == 200
