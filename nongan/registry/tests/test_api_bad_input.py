"""Bad input found by the API fuzz test (tests/test_api_fuzz.py): 4xx with field errors, never 500.

A NUL character cannot even be looked up in PostgreSQL (psycopg raises DataError), so every lookup refuses it
before it reaches the database; on SQLite the same requests must give the same answers."""

import pytest

from nongan.registry.models import Producer


@pytest.fixture
def api(client, users):
    client.force_login(users.admin)
    return client


@pytest.mark.parametrize(
    "url", ["/api/v1/regions/320707000000%00/", "/api/v1/product-categories/%00/", "/api/v1/regions/%00/"]
)
def test_detail_with_a_nul_in_the_code_is_not_found(api, url):
    assert api.get(url).status_code == 404


def test_region_detail_still_found(api):
    assert api.get("/api/v1/regions/320707000000/").json()["name"] == "赣榆区"


@pytest.mark.parametrize(
    ("field", "value"), [("region", "320707100001\x00"), ("products", ["V05001\x00"]), ("region", "\x00")]
)
def test_producer_post_with_a_nul_in_a_code(api, ganyu, field, value):
    before = Producer.objects.count()
    body = {
        "name": "接口合作社",
        "type": "household",
        "legal_rep": "孙七",
        "phone": "13700001111",
        "region": ganyu.village("青口镇", 1).code,
        "products": ["V05001"],
        field: value,
    }
    r = api.post("/api/v1/producers/", body, content_type="application/json")
    assert r.status_code == 400
    assert field in r.json()
    assert Producer.objects.count() == before
