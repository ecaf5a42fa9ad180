"""End to end in a real Chromium (Debian's, driven by Playwright): log in, create a producer, find it."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_township_supervisor_creates_a_producer_and_finds_it(browser, live_server, users, ganyu):
    page = browser.new_page(locale="zh-CN")
    browser_login(page, live_server, "qk")
    assert page.locator("[data-testid=stat-total]").inner_text() == "1"
    page.goto(f"{live_server.url}/registry/producers/new/")
    assert page.title() == "新增生产经营主体 · 农安"
    page.fill("#id_name", "赣榆区青口镇浏览器测试合作社")
    page.select_option("#id_type", "cooperative")
    page.fill("#id_credit_code", "93320707MA1XYW1230")  # wrong check character first
    page.fill("#id_legal_rep", "周测试")
    page.fill("#id_phone", "13911112222")
    page.select_option("#id_region", label=ganyu.village("青口镇", 2).name)
    page.click("[data-testid=save]")
    assert (
        page.locator("[data-field-error=credit_code]").inner_text()
        == "统一社会信用代码的校验码不正确（GB 32100）。"
    )
    from nongan.core.validators import uscc_check_char

    page.fill("#id_credit_code", "93320707MA1XYW123" + uscc_check_char("93320707MA1XYW123"))
    page.click("[data-testid=save]")
    page.wait_for_url("**/registry/producers/*/")
    assert page.locator("[data-testid=producer-name]").inner_text() == "赣榆区青口镇浏览器测试合作社"
    page.click("[data-testid=tab-history]")
    assert "周测试" in page.locator("[data-testid=history]").inner_text()
    page.goto(f"{live_server.url}/registry/")
    page.fill("input[name=q]", "llqcs")  # pinyin initials of 浏览器测试
    expect(page.locator("[data-testid=result-count]")).to_contain_text("1")  # (no eval: the page's CSP)
    assert page.locator("#producer-table tbody tr").count() == 1


def test_phone_layout_and_other_township_is_invisible(browser, live_server, users, ganyu):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    browser_login(page, live_server, "zw")
    page.goto(f"{live_server.url}/registry/producers/{users.own_producer.pk}/")
    assert "404" in page.title() or page.locator("text=Not Found").count() >= 0
    page.goto(f"{live_server.url}/registry/")
    assert page.locator("[data-testid=result-count]").inner_text() == "共 0 个生产经营主体"
    # The navigation collapses behind the menu button on a phone.
    assert page.locator(".navbar-toggler").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
