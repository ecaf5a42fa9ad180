"""The producer form's region in a real Chromium at 390 px and 1366 px: the township first, then its villages
(not one drop-down of every village of the district)."""

import pytest

from conftest import PASSWORD
from nongan.core.models import Region
from nongan.core.validators import uscc_check_char
from nongan.registry.models import Producer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_admin_picks_the_township_then_the_village(browser, live_server, users, ganyu):
    town = ganyu.town["青口镇"]
    villages = list(Region.objects.filter(parent=town, level="village").order_by("path"))
    village = villages[2]
    townships = Region.objects.filter(parent=ganyu.district, level="township").count()
    for n, width in enumerate((390, 1366), start=1):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", PASSWORD)
        page.click("[data-testid=login]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/registry/producers/new/")
        assert page.locator("#id_region option").count() == 1  # nothing to choose before the township
        assert page.locator("[data-region-town] option").count() == townships + 1
        page.select_option("[data-region-town]", "青口镇")
        assert page.locator("#id_region option").all_inner_texts() == [
            "---------",
            "青口镇（全镇）",
            *[v.name for v in villages],
        ]
        page.fill("#id_name", f"赣榆区青口镇选村测试合作社{n}")
        page.select_option("#id_type", "cooperative")
        body = f"93320707MA1XYW12{n}"
        page.fill("#id_credit_code", body + uscc_check_char(body))
        page.fill("#id_legal_rep", "周测试")
        page.fill("#id_phone", "13911112222")
        page.select_option("#id_region", label=village.name)
        page.click("[data-testid=save]")
        page.wait_for_url("**/registry/producers/*/")
        producer = Producer.objects.get(name=f"赣榆区青口镇选村测试合作社{n}")
        assert producer.region == village
        # Editing shows the township and the village chosen, the list of that township only.
        page.goto(f"{live_server.url}/registry/producers/{producer.pk}/edit/")
        assert page.input_value("[data-region-town]") == "青口镇"
        assert page.input_value("#id_region") == str(village.pk)
        assert page.locator("#id_region option").count() == len(villages) + 2
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
