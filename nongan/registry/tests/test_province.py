"""A province runs one installation for all its counties: each county's users see their county only."""

import pytest

from nongan.core.choices import Role
from nongan.core.services import regions_load, user_create
from nongan.registry.models import Producer

SECOND_COUNTY = """code,name,level,parent_code,is_demo
320703000000,连云区,district,320700000000,0
320703100000,高公岛街道,township,320703000000,1
320703100201,黄窝村,village,320703100000,1
"""


@pytest.fixture
def province(ganyu, make_producer, tmp_path):
    path = tmp_path / "lianyun.csv"
    path.write_text(SECOND_COUNTY, encoding="utf-8")
    assert regions_load(path=path) == {"created": 3, "updated": 0}
    from nongan.core.models import Region

    county2 = Region.objects.get(code="320703000000")
    village2 = Region.objects.get(code="320703100201")
    from nongan.registry.services import producer_create

    other = producer_create(
        actor=None,
        name="连云区黄窝村渔业合作社",
        type="household",
        legal_rep="李四",
        id_number="",
        phone="13900001111",
        region=village2,
    )
    mine = make_producer(name="赣榆区合作社")
    prov = user_create(
        actor=None,
        username="prov",
        password="x" * 12,
        role=Role.PROVINCE_ADMIN,
        jurisdiction=Region.objects.get(code="320000000000"),
    )
    ganyu_admin = user_create(
        actor=None, username="gy", password="x" * 12, role=Role.DISTRICT_ADMIN, jurisdiction=ganyu.district
    )
    lianyun_admin = user_create(
        actor=None, username="ly", password="x" * 12, role=Role.DISTRICT_ADMIN, jurisdiction=county2
    )
    return {"prov": prov, "gy": ganyu_admin, "ly": lianyun_admin, "other": other, "mine": mine}


def names(client, user):
    client.force_login(user)
    return {p["name"] for p in client.get("/api/v1/producers/?page_size=500").json()["results"]}


def test_each_county_sees_itself_and_the_province_sees_both(client, province):
    assert names(client, province["ly"]) == {"连云区黄窝村渔业合作社"}
    assert "连云区黄窝村渔业合作社" not in names(client, province["gy"])
    assert {"连云区黄窝村渔业合作社", "赣榆区合作社"} <= names(client, province["prov"])
    client.force_login(province["gy"])
    assert client.get(f"/registry/producers/{province['other'].pk}/").status_code == 404


def test_region_file_with_an_unknown_parent_changes_nothing(ganyu, tmp_path):
    from django.core.exceptions import ValidationError

    from nongan.core.models import Region

    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,level,parent_code,is_demo\n320799100000,某镇,township,320799000000,1\n", encoding="utf-8"
    )
    before = Region.objects.count()
    with pytest.raises(ValidationError) as exc:
        regions_load(path=path)
    assert exc.value.messages == ["第 2 行：上级 320799000000 未在文件中其上方出现"]
    assert Region.objects.count() == before
    assert Producer.objects.count() == 0
