import pytest

from nongan.core.accounts import token_create
from nongan.core.models import AuditLog
from nongan.core.validators import uscc_check_char
from nongan.registry.models import Producer


@pytest.fixture
def api(client, users):
    _token, key = token_create(actor=users.qk, user=users.qk)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def good(ganyu, **kw):
    body = "93320707MA1ABC123"
    data = {
        "name": "接口合作社",
        "type": "cooperative",
        "credit_code": body + uscc_check_char(body),
        "legal_rep": "孙七",
        "phone": "13700001111",
        "region": ganyu.village("青口镇", 1).code,
        "products": ["V05001"],
        "is_scale": True,
    }
    data.update(kw)
    return data


def test_token_auth_create_and_read(api, ganyu, users):
    r = api.post("/api/v1/producers/", good(ganyu), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["name"], body["township"], body["products"], body["code"]) == (
        "接口合作社",
        "320707100000",
        ["V05001"],
        "320707100000002",
    )
    p = Producer.objects.get(pk=body["id"])
    assert AuditLog.objects.filter(object_id=str(p.pk), actor=users.qk, action="create").count() == 1
    assert "id_number" not in api.get(f"/api/v1/producers/{p.pk}/").json()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"is_scale": "maybe"}, {"is_scale": ["必须是有效的布尔值。"]}),
        ({"phone": 123}, {"phone": ["请输入以 1 开头的 11 位大陆手机号，例如 13812345678。"]}),
        ({"region": "999999999999"}, {"region": ["区划代码 999999999999 不存在。"]}),
        ({"type": "alien"}, {"type": ["“alien” 不是合法选项。"]}),
        (
            {"credit_code": "93320707MA1ABC1230"},
            {"credit_code": ["统一社会信用代码的校验码不正确（GB 32100）。"]},
        ),
        ({"products": ["nope"]}, {"products": ["产品类别代码 nope 不存在。"]}),
    ],
)
def test_bad_payloads_get_400_with_field_errors_and_save_nothing(api, ganyu, changes, errors):
    before = Producer.objects.count()
    r = api.post("/api/v1/producers/", good(ganyu, **changes), content_type="application/json")
    assert r.status_code == 400
    assert r.json() == errors
    assert Producer.objects.count() == before


def test_duplicate_credit_code_via_api(api, ganyu):
    assert api.post("/api/v1/producers/", good(ganyu), content_type="application/json").status_code == 201
    r = api.post("/api/v1/producers/", good(ganyu, name="二号"), content_type="application/json")
    assert (r.status_code, r.json()) == (400, {"credit_code": ["该统一社会信用代码已登记。"]})


def test_filters_match_the_list_page(api, users, make_producer):
    make_producer(name="青口镇养猪大户", products=("猪肉",), type="scale_grower", is_scale=False)
    r = api.get("/api/v1/producers/", {"category": "L", "type": "scale_grower"}).json()
    assert [p["name"] for p in r["results"]] == ["青口镇养猪大户"]
    r = api.get("/api/v1/producers/", {"q": "qkz", "is_scale": "true"}).json()
    assert [p["name"] for p in r["results"]] == [users.own_producer.name]


def test_schema_and_local_docs(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text and "/api/v1/producers/" in text
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()


def test_session_auth_works_for_the_browser(client, users):
    client.force_login(users.zw)
    assert client.get("/api/v1/producers/").json()["count"] == 0


def test_regions_and_categories(api):
    towns = api.get("/api/v1/regions/", {"level": "township"}).json()
    assert len(towns) == 15 and towns[0] == {
        "code": "320707100000",
        "name": "青口镇",
        "level": "township",
        "parent": "320707000000",
        "pinyin": "qingkouzhen",
        "initials": "qkz",
        "is_demo": False,
    }
    cats = api.get("/api/v1/product-categories/").json()
    assert {
        "code": "V05001",
        "name": "黄瓜",
        "parent": "V05",
        "kind": "plant",
        "depth": 2,
        "aliases": "",
        "certificate_scope": True,
    } in cats
