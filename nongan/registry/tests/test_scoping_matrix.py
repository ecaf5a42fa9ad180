"""Role × endpoint matrix: who may list, read, export and edit which producers."""

import io

import pytest
from openpyxl import load_workbook

from nongan.registry.models import Producer


@pytest.fixture
def world(users, make_producer):
    qk_p = users.own_producer  # 青口镇, first village
    qk_other_village = make_producer(name="青口镇别村合作社", town="青口镇", village_index=3)
    zw_p = make_producer(name="柘汪镇海产合作社", town="柘汪镇")
    return {"qk": qk_p, "qk2": qk_other_village, "zw": zw_p}


def login(client, user):
    client.force_login(user)
    return client


# Which of the three producers each role may see.
VISIBLE = {
    "admin": {"qk", "qk2", "zw"},
    "qk": {"qk", "qk2"},
    "zw": {"zw"},
    "village": {"qk"},
    "producer": {"qk"},
    "sampler": {"qk", "qk2", "zw"},
}
EDITORS = {"admin", "qk", "zw", "village"}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_list_page_api_and_export_show_exactly_the_jurisdiction(client, users, world, role):
    login(client, getattr(users, role))
    expected = {world[k].name for k in VISIBLE[role]}
    page = client.get("/registry/?page_size=500")
    assert page.status_code == 200
    assert {p.name for p in page.context["page_obj"].object_list} == expected
    api = client.get("/api/v1/producers/").json()
    assert {p["name"] for p in api["results"]} == expected
    assert api["count"] == len(expected)
    wb = load_workbook(io.BytesIO(client.get("/registry/producers/export.xlsx").content))
    names = {row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)}
    assert names == expected


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("key", ["qk", "qk2", "zw"])
def test_detail_page_and_api_detail(client, users, world, role, key):
    login(client, getattr(users, role))
    pk = world[key].pk
    expected = 200 if key in VISIBLE[role] else 404
    assert client.get(f"/registry/producers/{pk}/").status_code == expected
    assert client.get(f"/api/v1/producers/{pk}/").status_code == expected
    assert client.get(f"/registry/producers/{pk}/?tab=history").status_code == expected


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("key", ["qk", "zw"])
def test_edit_page_and_api_update(client, users, world, role, key):
    login(client, getattr(users, role))
    p = world[key]
    if role not in EDITORS:
        expected = 403
    elif key in VISIBLE[role]:
        expected = 200
    else:
        expected = 404
    assert client.get(f"/registry/producers/{p.pk}/edit/").status_code == expected
    # The API does not even confirm that an invisible producer exists.
    api_expected = 404 if key not in VISIBLE[role] else expected
    r = client.patch(f"/api/v1/producers/{p.pk}/", {"address": "改过的地址"}, content_type="application/json")
    assert r.status_code == api_expected
    p.refresh_from_db()
    assert (p.address == "改过的地址") == (expected == 200)


def test_township_user_cannot_move_a_producer_into_another_township(client, users, world, ganyu):
    login(client, users.qk)
    p = world["qk"]
    r = client.patch(
        f"/api/v1/producers/{p.pk}/",
        {"region": ganyu.village("柘汪镇").code},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json() == {"region": ["该地区不在您的管辖范围内。"]}
    p.refresh_from_db()
    assert p.region.parent.name == "青口镇"


def test_producer_account_cannot_create(client, users, world):
    login(client, users.producer)
    before = Producer.objects.count()
    assert client.get("/registry/producers/new/").status_code == 403
    r = client.post("/api/v1/producers/", {"name": "x"}, content_type="application/json")
    assert r.status_code in (400, 403)
    assert Producer.objects.count() == before


def test_filters_cannot_widen_the_scope(client, users, world, ganyu):
    login(client, users.qk)
    r = client.get("/api/v1/producers/", {"township": ganyu.town["柘汪镇"].code})
    # An out-of-scope township is not a valid choice for this user: nothing from 柘汪镇 leaks.
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert r.json()["results"] == [] or all(
            x["township"] != ganyu.town["柘汪镇"].code for x in r.json()["results"]
        )
