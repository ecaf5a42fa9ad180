"""One masking rule for persons' names on every public page (core.validators.public_producer_name): households,
individual scale growers and family farms on /v/<number>, the results disclosure and the published draws."""

import datetime as dt

import pytest
from django.utils import timezone

from nongan.core.validators import public_producer_name


@pytest.mark.parametrize(
    "name, kind, person, shown",
    [
        ("赣榆区王大明家庭农场", "family_farm", "王大明", "赣榆区王**家庭农场"),
        ("赣榆区青口镇王大明家庭农场", "family_farm", "", "赣榆区青口镇王**家庭农场"),
        ("王大明家庭农场", "family_farm", "", "王**家庭农场"),
        ("郭杰（紫菜养殖大户）", "scale_grower", "郭杰", "郭*（紫菜养殖大户）"),
        ("郭杰（紫菜养殖大户）", "scale_grower", "", "郭*（紫菜养殖大户）"),
        ("张三丰", "household", "张三丰", "张**"),
        ("张三丰", "household", "", "张**"),
        ("青口镇绿源蔬菜专业合作社", "cooperative", "王建国", "青口镇绿源蔬菜专业合作社"),
        ("连云港海韵农业科技有限公司", "enterprise", "", "连云港海韵农业科技有限公司"),
        ("", "household", "", ""),
    ],
)
def test_the_one_rule(name, kind, person, shown):
    assert public_producer_name(name, kind=kind, person=person) == shown


def test_every_public_page_uses_it(make_producer):
    from nongan.draws.services import public_name as draws_name
    from nongan.monitoring.selectors import public_name as disclosure_name

    farm = make_producer(name="赣榆区王大明家庭农场", type="family_farm", legal_rep="王大明")
    grower = make_producer(
        name="郭杰（紫菜养殖大户）", type="scale_grower", legal_rep="郭杰", credit_code=None
    )
    for p, shown in ((farm, "赣榆区王**家庭农场"), (grower, "郭*（紫菜养殖大户）")):
        assert disclosure_name(p) == draws_name(p) == shown


def test_certificate_page_masks_a_family_farm(client, users, make_producer, ganyu, shipped_standards):
    from nongan.certificates import services as certs

    farm = make_producer(
        name="赣榆区王大明家庭农场", type="family_farm", legal_rep="王大明", phone="13912345678"
    )
    batch = certs.batch_create(
        actor=None,
        producer=farm,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=30),
        unit="kg",
    )
    [c] = certs.certificate_issue(actor=None, batch=batch, quantity="10", unit="kg", count=1)
    html = client.get(f"/v/{c.number}").content.decode()
    assert "王大明" not in html and "13912345678" not in html
    assert "赣榆区王**家庭农场" in html and "139****5678" in html
