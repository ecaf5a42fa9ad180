"""The standards pages in a real Chromium (Debian's, driven by Playwright)."""

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_imports_a_table_sees_errors_then_judges(browser, live_server, standards, users, tmp_path):
    page = browser.new_page(locale="zh-CN")
    browser_login(page, live_server, "admin")

    page.goto(f"{live_server.url}/standards/")
    assert page.locator('[data-testid="current-GB 2763-2026"]').inner_text() == "现行"

    bad = tmp_path / "limits.csv"
    bad.write_text("农药,食品,限量,标准\n噻虫嗪,火星菜,0.5,GB 2763-2026\n", encoding="utf-8")
    page.goto(f"{live_server.url}/standards/import/")
    page.select_option("#id_kind", "mrl")
    page.set_input_files("#id_file", str(bad))
    page.click("button[type=submit].btn-success")
    page.wait_for_selector("#import-progress")
    assert page.locator("#import-progress").get_attribute("data-status") == "invalid"
    assert "“火星菜”不是农产品分类中的食品或类别。" in page.content()
    with page.expect_download() as download:
        page.click("text=下载错误报告（.xlsx）")
    assert download.value.suggested_filename.startswith("import-errors-")

    page.goto(f"{live_server.url}/standards/judge/")
    page.fill("#id_food", "韭菜")
    page.fill("#id_analyte", "腐霉利")
    page.fill("#id_value", "0.8")
    page.fill("#id_date", "2023-01-01")
    page.click("[data-testid=judge]")
    page.wait_for_selector("[data-testid=judgement]")
    text = page.locator("[data-testid=judgement]").inner_text()
    assert "不合格" in text and "GB 2763-2021" in text and "0.2 mg/kg" in text
