"""A draw in a real Chromium: the admin creates and runs a round; a member of the public checks it on a phone."""

import datetime as dt
import json

import pytest

from conftest import PASSWORD
from nongan.draws import algorithm
from nongan.draws.models import DrawRound

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_runs_a_round_and_the_public_verifies_it(browser, live_server, users, spread, tmp_path):
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/draws/new/")
    page.fill("#id_title", "浏览器测试抽样轮次")
    page.select_option("#id_is_scale", "1")
    page.fill("#id_ratio", "2")  # out of range first
    page.select_option("#id_strata", "township")
    page.check(f"input[name=inspectors][value='{users.sampler.pk}']")
    page.check(f"input[name=inspectors][value='{users.enforcement.pk}']")
    page.click("button[type=submit].btn-success")
    assert "大于0且不超过1" in page.locator("[data-field-error=ratio]").inner_text()
    assert DrawRound.objects.count() == 0
    page.fill("#id_ratio", "0.5")
    page.check(f"input[name=inspectors][value='{users.sampler.pk}']")
    page.check(f"input[name=inspectors][value='{users.enforcement.pk}']")
    page.click("button[type=submit].btn-success")
    page.wait_for_url("**/draws/*/")
    assert page.locator("[data-testid=round-status]").inner_text() == "草稿"

    page.click("[data-testid=action-freeze]")
    assert page.locator("[data-testid=round-status]").inner_text() == "名单已冻结"
    page.click("[data-testid=action-commit]")  # the server generates and seals the seed
    assert page.locator("[data-testid=round-status]").inner_text() == "种子已承诺"
    rnd = DrawRound.objects.get()
    # a day passes between the commitment and the draw
    DrawRound.objects.filter(pk=rnd.pk).update(committed_at=rnd.committed_at - dt.timedelta(hours=25))
    page.reload()
    page.select_option("#id_witness_1", str(users.sampler.pk))
    page.fill("#id_value_1", "7391")
    page.select_option("#id_witness_2", str(users.enforcement.pk))
    page.fill("#id_value_2", "海头0582")
    page.click("[data-testid=action-draw]")
    # Irreversible: a confirmation page first (no JavaScript needed); going back changes nothing.
    assert page.locator("[data-testid=confirm-message]").inner_text() == (
        "将揭示种子并以这些见证值确定抽取结果：此操作不能撤销，也不能重新抽取。"
    )
    page.click("[data-testid=confirm-back]")
    assert page.locator("[data-testid=round-status]").inner_text() == "种子已承诺"
    page.select_option("#id_witness_1", str(users.sampler.pk))
    page.fill("#id_value_1", "7391")
    page.select_option("#id_witness_2", str(users.enforcement.pk))
    page.fill("#id_value_2", "海头0582")
    page.click("[data-testid=action-draw]")
    page.click("[data-testid=confirm]")
    assert page.locator("[data-testid=round-status]").inner_text() == "已抽取"
    page.click("[data-testid=action-publish]")
    assert page.locator("[data-testid=confirm-message]").inner_text() == (
        "选中名单、种子和见证人将向所有人公开：公开后不能撤回。"
    )
    page.click("[data-testid=confirm]")
    assert page.locator("[data-testid=round-status]").inner_text() == "已公开"
    rnd = DrawRound.objects.get()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", accept_downloads=True)
    public = phone.new_page()
    public.goto(f"{live_server.url}/draws/public/{rnd.code}/")
    assert public.locator("[data-testid=seed-commitment]").inner_text() == rnd.seed_commitment
    assert (
        public.locator("[data-testid=verify-command]").inner_text()
        == f"python3 draw_verify.py {rnd.code}.json"
    )
    assert public.locator("[data-testid=selections] tbody tr").count() == 7
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    with public.expect_download() as info:
        public.click("[data-testid=download-json]")
    path = tmp_path / f"{rnd.code}.json"
    info.value.save_as(path)
    ok, problems, selections = algorithm.verify_export(json.loads(path.read_text(encoding="utf-8")))
    assert ok, problems
    assert len(selections) == 7
    phone.close()
