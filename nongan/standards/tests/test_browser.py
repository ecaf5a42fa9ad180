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


def test_admin_imports_an_official_table_sees_the_diff_and_confirms(
    browser, live_server, standards, users, tmp_path
):
    import openpyxl

    # GB 2763-2021 as printed: 腐霉利 (韭菜 0.2 loaded from the sample, now 0.5) and 黄瓜 (new); the whole edition
    table = tmp_path / "gb2763-2021.xlsx"
    wb = openpyxl.Workbook()
    for row in [
        ["食品类别/名称", "最大残留限量(mg/kg)"],
        ["4.1 腐霉利(procymidone)"],
        ["蔬菜"],
        ["韭菜", "0.5"],
        ["黄瓜", "2*"],
        ["*该限量为临时限量。"],
    ]:
        wb.active.append(row)
    wb.save(table)

    page = browser.new_page(locale="zh-CN")
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/standards/import/")
    page.select_option("#id_kind", "official")
    page.select_option("#id_edition", "GB 2763-2021")
    page.check("#id_complete")
    page.set_input_files("#id_file", str(table))
    page.click("button[type=submit].btn-success")
    page.wait_for_selector("#import-progress[data-status=checked]")
    notes = page.locator("[data-testid=import-notes]").inner_text()
    assert "GB 2763-2021：文件中有 1 种农药、2 行限量。" in notes
    assert "新增限量 1 条；数值变更 1 条；未变 0 条。" in notes
    assert "GB 2763-2021 将不再标为“部分加载”" in notes
    diff = page.locator("[data-testid=import-diff]").inner_text()
    assert "腐霉利 · 韭菜\t限量（mg/kg）\t0.2\t0.5" in diff
    assert "腐霉利 · 黄瓜\t限量（mg/kg）\t\t2*" in diff

    page.click("button[data-action=confirm]")
    page.wait_for_selector("#import-progress[data-status=done]")
    assert (
        "新增限量 1 条，变更 1 条，删除 0 条，未变 0 条。"
        in page.locator("[data-testid=import-message]").inner_text()
    )

    page.goto(f"{live_server.url}/standards/judge/")
    page.fill("#id_food", "韭菜")
    page.fill("#id_analyte", "腐霉利")
    page.fill("#id_value", "0.4")
    page.fill("#id_date", "2022-06-01")
    page.click("[data-testid=judge]")
    page.wait_for_selector("[data-testid=judgement]")
    text = page.locator("[data-testid=judgement]").inner_text()
    assert "合格" in text and "0.5 mg/kg" in text
