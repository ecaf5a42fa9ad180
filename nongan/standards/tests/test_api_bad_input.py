"""Bad input found by the API fuzz test (tests/test_api_fuzz.py): 4xx with field errors, never 500.

A NUL character cannot even be looked up in PostgreSQL, so lookups refuse it before the database does."""

import pytest


@pytest.fixture
def api(client, users):
    client.force_login(users.admin)
    return client


def test_edition_with_a_nul_in_the_code_is_not_found(api, standards):
    assert api.get("/api/v1/standards/editions/GB%202763-2021%00/").status_code == 404
    assert api.get("/api/v1/standards/editions/GB%202763-2021/").status_code == 200


@pytest.mark.parametrize("field", ["food", "analyte", "unit", "value", "lod", "loq", "date"])
def test_judge_with_a_nul_in_a_field(api, standards, field):
    body = {"food": "韭菜", "analyte": "腐霉利", "value": "0.8", "unit": "mg/kg", "date": "2023-06-01"}
    body[field] = body.get(field, "0.01") + "\x00"
    r = api.post("/api/v1/standards/judge/", body, content_type="application/json")
    assert r.status_code == 400
    assert field in r.json()
