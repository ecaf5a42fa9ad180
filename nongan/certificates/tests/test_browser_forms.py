"""The certificates app's forms in a real Chromium, at a phone's width (390 px) and a laptop's (1366 px)."""

import pytest

from conftest import PASSWORD
from nongan.certificates import qrsign
from nongan.certificates.models import HarvestEvent, KeyTargetProposal, MarketCheck, ProductionBatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1366)


def _page(browser, live_server, username, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login]")
    page.wait_for_url(lambda url: "/login/" not in url)  # a producer lands on its own page
    return context, page


def test_harvest_date_defaults_to_today_in_the_date_input(browser, live_server, users, batch, today):
    for n, width in enumerate(WIDTHS, start=1):
        context, page = _page(browser, live_server, "producer", width)
        page.goto(f"{live_server.url}/certificates/batches/{batch.code}/")
        page.click("summary:has-text('记录采收')")
        # The browser keeps the default only if it is ISO; 2026/12/01 would leave the input empty.
        assert page.input_value("#id_hv-date") == today.isoformat()
        page.fill("#id_hv-quantity", "120")
        page.click("form:has(input[value=harvest]) button")
        page.wait_for_url(f"**/certificates/batches/{batch.code}/")
        assert HarvestEvent.objects.filter(batch=batch).count() == n
        assert HarvestEvent.objects.filter(batch=batch).latest("pk").date == today
        context.close()


def test_producer_batch_form_offers_only_its_registered_products(browser, live_server, users, ganyu, today):
    # The producer account's cooperative is registered for one product (黄瓜); the catalogue has many more.
    for width in WIDTHS:
        context, page = _page(browser, live_server, "producer", width)
        page.goto(f"{live_server.url}/certificates/batches/new/")
        options = page.locator("#id_product option").all_inner_texts()
        assert [o for o in options if o.strip("-")] == ["黄瓜"]
        assert page.input_value("#id_producer") == str(users.own_producer.pk)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
    assert ProductionBatch.objects.count() == 0


def test_market_check_flow_scan_show_confirm(browser, live_server, users, batch, issue):
    [cert] = issue(batch, quantity="100")
    typo = cert.number[:-2] + ("1" if cert.number[-2] != "1" else "2") + cert.number[-1]
    for n, width in enumerate(WIDTHS, start=1):
        context, page = _page(browser, live_server, "market", width)
        page.goto(f"{live_server.url}/certificates/market-checks/")
        # A mistyped number stops at the first step, with the check character named; nothing is saved.
        page.fill("#id_number", typo)
        page.click("[data-testid=check-look]")
        assert page.locator("[data-field-error=number]").inner_text() == (
            f"合格证编号 {typo} 与其校验码不符，可能输错了某一位。请核对后重新输入；本次未保存。"
        )
        assert MarketCheck.objects.count() == n - 1
        # The scanned QR text: the certificate is shown before anything is saved.
        page.fill("#id_number", f"{live_server.url}/v/{cert.number}?s={cert.token}")
        page.click("[data-testid=check-look]")
        assert page.locator("[data-testid=check-result]").inner_text() == "合格证有效"
        assert page.locator("[data-testid=check-number]").inner_text() == cert.number
        assert page.locator("[data-testid=check-issuer]").inner_text() == users.own_producer.name
        assert page.locator("[data-testid=check-product]").inner_text() == "黄瓜 100 kg"
        assert page.locator("[data-testid=check-state]").inner_text() == "有效"
        assert MarketCheck.objects.count() == n - 1
        # The market is remembered from the checker's last check (none the first time).
        assert page.input_value("#id_market") == ("" if n == 1 else "青口农贸市场")
        page.fill("#id_market", "青口农贸市场")
        page.fill("#id_quantity", "40")
        page.click("[data-testid=check-save]")
        page.wait_for_url("**/certificates/market-checks/")
        check = MarketCheck.objects.latest("pk")
        assert (check.result, check.certificate, check.seller, check.market, check.checker) == (
            "valid",
            cert,
            users.own_producer,
            "青口农贸市场",
            users.market,
        )
        assert MarketCheck.objects.count() == n
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
    assert KeyTargetProposal.objects.count() == 0
    assert qrsign.number_is_valid(cert.number) and not qrsign.number_is_valid(typo)
