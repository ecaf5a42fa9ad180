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


def test_the_ledger_reads_as_cards_on_a_phone(browser, live_server, users, ganyu):
    """At 390 px the ledger's rows are cards, kind first, in Chinese, and nothing scrolls sideways: neither the
    entries nor the problems the check finds. At 1366 px it is the table."""
    from nongan.core import ledger
    from nongan.core.models import LedgerEntry

    ledger.append(kind="certificate.issue", ref="3207072600000031I", payload={"n": 1}, region=ganyu.district)
    ledger.append(
        kind="draw.published", ref="SJ2026-0001", payload={"n": 2}, actor=users.admin, region=ganyu.district
    )
    LedgerEntry.objects.filter(seq=1).update(payload='{"n":9}')  # edited behind the application
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/ledger/")
    page.click("text=校验整条链")
    problems = page.locator("[data-testid=ledger-problems]")
    expect(problems).to_contain_text("账本条目 #1：内容与其哈希不符（该条目被修改过）")
    assert not page.locator("[data-testid=ledger] thead").is_visible()
    first = page.locator("[data-testid=ledger] tbody tr").first
    cells = first.locator("td")
    # the kind comes first in the card (ordered by CSS), above the number and the time
    kind_box, seq_box = cells.nth(2).bounding_box(), cells.nth(0).bounding_box()
    assert cells.nth(2).inner_text() == "公布抽取结果" and kind_box["y"] < seq_box["y"]
    assert cells.nth(4).get_attribute("data-label") == "操作人" and cells.nth(4).inner_text() == "admin"
    assert page.locator("[data-testid=ledger]").inner_text().count("系统") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    wide = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = wide.new_page()
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/ledger/")
    assert page.locator("[data-testid=ledger] thead").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    wide.close()
