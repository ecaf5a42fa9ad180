"""At a phone's width (390 px) the main lists become cards with the deciding field first: nothing scrolls
sideways and the verdict, state, result or the sampler's action lies inside the screen."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390


@pytest.fixture
def lists(users, ganyu, shipped_standards):
    """One row on each list: a published sample, an open task for the sampler, a market check, a plan."""
    from nongan.certificates import services as certs
    from nongan.core.services import townships
    from nongan.monitoring import services as mon

    towns = list(townships(ganyu.district))
    mon.plan_save(
        actor=users.admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        title="赣榆区农产品质量安全监督抽检计划（全年）",
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=mon.split_evenly(800, towns),
        township_rapid=mon.split_evenly(7200, towns),
        focus_products=[ganyu.category("黄瓜"), ganyu.category("芹菜")],
        focus_analytes="毒死蜱；噻虫嗪",
    )
    sample = mon.sample_register(
        actor=users.sampler,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        quantity="2",
        quantity_unit="kg",
        place="大棚",
        sampled_at=timezone.now() - dt.timedelta(hours=3),
    )
    mon.sample_transition(actor=users.analyst, sample=sample, action="receive")
    mon.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "lod": "0.005"}],
        submit=True,
    )
    mon.sample_transition(actor=users.analyst2, sample=sample, action="verify")
    mon.sample_transition(actor=users.admin, sample=sample, action="publish")
    mon.task_create(
        actor=users.sampler,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        samplers=[users.sampler],
        due=timezone.localdate() + dt.timedelta(days=3),
    )
    certs.market_check_record(
        actor=users.market, region=ganyu.district, market="青口农贸市场", product_name="黄瓜", number=""
    )


def _phone(browser):
    return browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="zh-CN").new_page()


def _fits(page, selector):
    """The page does not scroll sideways and the first ``selector`` lies inside the screen's width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, page.url
    box = page.locator(selector).first.bounding_box()
    assert box is not None, (page.url, selector)
    assert 0 <= box["x"] and box["x"] + box["width"] <= WIDTH, (page.url, selector, box)
    return box


def test_the_deciding_column_is_on_screen_at_390_px(browser, live_server, users, lists):
    page = _phone(browser)
    page.goto(f"{live_server.url}/monitoring/public/")
    assert page.locator("[data-testid=verdict]").first.inner_text() == "合格"
    _fits(page, "[data-testid=verdict]")

    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/monitoring/samples/")
    assert page.locator("[data-testid=state]").first.inner_text() == "已公开"
    _fits(page, "[data-testid=state]")
    page.goto(f"{live_server.url}/monitoring/plans/")
    title = _fits(page, "[data-testid=plans] td.cell-first a")
    assert title["height"] < 3 * 24  # the title reads along the card, not one character a line
    page.goto(f"{live_server.url}/monitoring/plans/{timezone.localdate().year}/coverage/")
    assert page.locator("[data-testid=coverage-status]").count() == 4
    status = _fits(page, "[data-testid=coverage-status]")
    product = page.locator("[data-testid=coverage-table] td[data-label=产品]").first.bounding_box()
    assert status["y"] < product["y"]  # the coverage reads first in its card
    assert product["height"] < 2 * 24  # 产品 and 检测项目 read along the card, not one character a line

    page = _phone(browser)
    browser_login(page, live_server, "sampler")
    page.goto(f"{live_server.url}/monitoring/tasks/?mine=1&status=open")
    take = _fits(page, "[data-testid=task-actions] a")
    assert page.locator("[data-testid=task-actions] a").first.inner_text() == "去抽样"
    forms = page.locator("[data-testid=task-forms]").bounding_box()
    assert take["y"] + take["height"] <= 844  # on the first screen
    assert take["y"] < forms["y"]  # above the task-creation forms

    page = _phone(browser)
    browser_login(page, live_server, "market")
    page.goto(f"{live_server.url}/certificates/market-checks/")
    assert page.locator("[data-testid=result]").first.inner_text() == "无合格证"
    _fits(page, "[data-testid=result]")


def test_wide_screens_keep_the_table(browser, live_server, users, lists):
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/monitoring/samples/")
    assert page.locator("table.table-cards thead").is_visible()
    state = page.locator("[data-testid=state]").first
    assert state.evaluate("e => getComputedStyle(e).display") == "table-cell"


def test_the_sample_form_finds_the_producer_and_fetches_its_bases(browser, live_server, users, make_producer):
    from nongan.registry.models import Base
    from nongan.registry.services import base_save

    own = users.own_producer
    base_save(actor=None, base=Base(producer=own, name="东大棚", region=own.region))
    other = make_producer(name="青口镇番茄合作社", products=("番茄",))
    base_save(actor=None, base=Base(producer=other, name="西大棚", region=other.region))
    page = _phone(browser)
    browser_login(page, live_server, "sampler")
    page.goto(f"{live_server.url}/monitoring/samples/new/")
    assert page.locator("#id_base option").all_inner_texts() == ["---------"]
    page.fill("#producer-q", "绿源")
    page.wait_for_selector(f"#id_producer option[value='{own.pk}']", state="attached")
    page.select_option("#id_producer", str(own.pk))
    page.wait_for_selector("#id_base option:has-text('东大棚')", state="attached")
    assert page.locator("#id_base option").all_inner_texts() == ["---------", "东大棚"]
    assert page.locator("#id_product option").all_inner_texts() == ["---------", "黄瓜"]
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_list_prints_as_its_table_without_navigation(browser, live_server, users, lists):
    """Printed (even from a phone), a list is its table: no navigation, filters, buttons or pagination, the header
    row shown and each row a table row again, not a card."""
    page = _phone(browser)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/monitoring/samples/")
    assert page.locator("[data-testid=export]").first.is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('table.table-cards tr')).display") == "flex"
    page.emulate_media(media="print")
    for selector in ("nav.navbar", "[data-testid=export]", "form[method=get]", "ul.nav"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.locator("table.table-cards thead").is_visible()
    displays = page.evaluate(
        "[...document.querySelectorAll('table.table-cards tbody tr')].map(tr => getComputedStyle(tr).display)"
    )
    assert displays == ["table-row"]
    shown = page.evaluate(
        "[...document.querySelectorAll('table.table-cards tbody td, table.table-cards thead th')]"
        ".filter(c => getComputedStyle(c).display !== 'none').map(c => c.innerText.trim())"
    )
    assert shown[0] == "抽样单编号" and shown[7].startswith("CY")  # the batch tick column is left out
