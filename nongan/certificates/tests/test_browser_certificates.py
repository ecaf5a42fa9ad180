"""A township supervisor issues a certificate for a producer in a real Chromium; a consumer verifies it on a phone-sized screen."""

import pytest

from conftest import browser_login
from nongan.certificates.models import Certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_then_verify_on_a_phone(browser, live_server, users, batch):
    page = browser.new_page(locale="zh-CN")
    browser_login(page, live_server, "qk")  # the township supervisor acts for the producer
    page.goto(f"{live_server.url}/certificates/batches/{batch.code}/")
    page.click("summary:has-text('开具合格证')")
    page.fill("#id_is-quantity", "250")
    page.select_option("#id_is-unit", "kg")
    page.fill("#id_is-count", "1")
    page.click("form:has(input[value=issue]) button")
    page.wait_for_url("**/certificates/c/*/")
    c = Certificate.objects.get()
    assert c.quantity == 250
    assert page.locator("svg").count() >= 1
    assert "承诺达标合格证" in page.content()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    p = phone.new_page()
    p.goto(f"{live_server.url}/v/{c.number}?s={c.token}")
    status = p.locator("[data-testid=verify-status]").inner_text()
    assert "真实有效" in status
    assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    p.goto(f"{live_server.url}/v/")
    p.fill("input[name=number]", c.number[:-1] + ("0" if c.number[-1] != "0" else "1"))
    p.click("button[type=submit]")
    assert "有误" in p.locator("[data-testid=verify-error]").inner_text()
    phone.close()


def test_a_phone_records_its_place_with_the_location_button(browser, live_server, users, batch, ganyu):
    from nongan.certificates import services
    from nongan.certificates.models import Scan

    [c] = services.certificate_issue(
        actor=users.producer, batch=batch, quantity="500", unit="kg", count=1, basis="control"
    )
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        geolocation={"latitude": 34.84567, "longitude": 119.12345},
        permissions=["geolocation"],
    )
    p = phone.new_page()
    p.goto(f"{live_server.url}/v/{c.number}?s={c.token}")
    assert Scan.objects.count() == 1
    locate = p.locator("[data-scan-locate]")
    assert locate.is_visible()  # shown by nongan/verify.js: this browser has the Geolocation API
    locate.click()
    p.wait_for_selector("[data-testid=place-recorded]")
    scan = Scan.objects.get()  # the place went on the scan just made
    assert (str(scan.latitude), str(scan.longitude), scan.region) == ("34.85", "119.12", None)
    # The township list works too (and without the script).
    p.goto(
        f"{live_server.url}/v/{c.number}?s={c.token}",
    )
    p.select_option("#scan-town", ganyu.town["海头镇"].code)
    p.click("form[data-scan-place] button[type=submit]")
    p.wait_for_selector("[data-testid=place-recorded]")
    assert Scan.objects.count() == 2 and Scan.objects.filter(region=ganyu.town["海头镇"]).count() == 1
    phone.close()
