"""The monitoring app's forms in a real Chromium, at a phone's width (390 px) and a laptop's (1366 px)."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, commit_and_draw
from nongan.monitoring import services
from nongan.monitoring.models import Sample, SamplingTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1366)


def _page(browser, live_server, username, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


@pytest.fixture
def drawn(users, make_producer):
    """A drawn round of the district: two producers, each with two inspectors (sampler, enforcement)."""
    from nongan.draws import services as draws

    for i in range(2):
        make_producer(name=f"青口镇抽检合作社{i}", village_index=i + 1)
    rnd = draws.round_create(
        actor=users.admin,
        title="例行监测抽样",
        purpose="sampling",
        region=users.admin.jurisdiction,
        year=2026,
        inspectors=[users.sampler, users.enforcement],
        filter_spec={"is_scale": True},
        ratio="0.5",
        strata="township",
        inspectors_per_object=2,
    )
    return commit_and_draw(users.admin, draws.round_freeze(actor=users.admin, rnd=rnd))


def test_the_two_task_forms_share_no_id(browser, live_server, users):
    for width in WIDTHS:
        context, page = _page(browser, live_server, "sampler", width)
        page.goto(f"{live_server.url}/monitoring/tasks/")
        ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
        assert len(ids) == len(set(ids))
        assert (page.locator("#id_task-due").count(), page.locator("#id_draw-due").count()) == (1, 1)
        assert page.locator("#id_due").count() == 0
        # the producer search fills the prefixed producer field
        page.fill("#producer-q", "绿源")
        expect(page.locator("#id_task-producer option")).to_have_count(2)  # (no eval: the page's CSP)
        assert page.locator("#id_task-producer option").all_inner_texts()[1:] == [
            f"{users.own_producer.name} · {users.own_producer.code}"
        ]
        context.close()


def test_tasks_from_a_draw_are_asked_by_round_code(browser, live_server, users, drawn):
    drawn_count = drawn.selections.count()
    for n, width in enumerate(WIDTHS, start=1):
        context, page = _page(browser, live_server, "sampler", width)
        page.goto(f"{live_server.url}/monitoring/tasks/")
        assert page.locator("#id_draw-round option").all_inner_texts() == ["---------", str(drawn)]
        page.select_option("#id_draw-round", drawn.code)
        page.click("[data-testid=tasks-from-draw]")
        page.wait_for_url("**/monitoring/tasks/")
        if n == 1:
            assert page.locator(".alert-success").inner_text() == (
                f"已由抽取结果 {drawn.code} 生成 {drawn_count} 个抽样任务。"
            )
            assert page.locator(f"td:has-text('{drawn.code}')").count() == drawn_count  # the source column
        assert SamplingTask.objects.filter(draw_round_id=drawn.pk).count() == drawn_count
        context.close()


def test_a_repeated_generation_warns_that_nothing_new_was_made(browser, live_server, users, drawn):
    made = services.tasks_from_draw(actor=users.sampler, round_id=drawn.pk)
    for width in WIDTHS:
        context, page = _page(browser, live_server, "sampler", width)
        page.goto(f"{live_server.url}/monitoring/tasks/")
        page.select_option("#id_draw-round", drawn.code)
        page.click("[data-testid=tasks-from-draw]")
        page.wait_for_url("**/monitoring/tasks/")
        assert page.locator(".alert-success").count() == 0
        assert page.locator(".alert-warning").inner_text() == (
            f"没有生成新任务：{drawn.code} 抽中的每个主体都已有抽样任务。"
        )
        assert SamplingTask.objects.filter(draw_round_id=drawn.pk).count() == len(made)
        context.close()


def test_sampling_form_records_both_drawn_samplers(browser, live_server, users, drawn):
    tasks = services.tasks_from_draw(actor=users.sampler, round_id=drawn.pk)
    assert len(tasks) >= 2 and all(
        set(t.samplers.values_list("username", flat=True)) == {"sampler", "enforcement"} for t in tasks
    )
    for task, width in zip(tasks, WIDTHS, strict=False):
        context, page = _page(browser, live_server, "sampler", width)
        page.goto(f"{live_server.url}/monitoring/samples/new/?task={task.pk}")
        chosen = page.eval_on_selector_all(
            "#id_co_samplers option:checked", "os => os.map(o => o.textContent)"
        )
        assert chosen == ["enforcement"]  # the other drawn inspector, preselected
        page.select_option("#id_product", label="黄瓜")  # a draw's task names no product
        page.fill("#id_quantity", "2")
        page.fill("#id_place", "3号大棚")
        page.click("button[type=submit].btn-success")
        page.wait_for_url("**/monitoring/samples/*/")
        assert page.locator("[data-testid=samplers]").inner_text() == "sampler、enforcement"
        sample = Sample.objects.get(task=task)
        assert (sample.sampler, list(sample.co_samplers.all())) == (users.sampler, [users.enforcement])
        context.close()


def test_publishing_a_sample_asks_for_confirmation_first(browser, live_server, users, make_sample, judge):
    for width in WIDTHS:
        s = make_sample()
        services.sample_transition(actor=users.analyst, sample=s, action="receive")
        services.results_enter(
            actor=users.analyst,
            sample=s,
            rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}],
            submit=True,
        )
        services.sample_transition(actor=users.analyst2, sample=Sample.objects.get(pk=s.pk), action="verify")
        context, page = _page(browser, live_server, "admin", width)
        page.goto(f"{live_server.url}/monitoring/samples/{s.code}/")
        page.click("button[data-action=publish]")
        assert page.locator("[data-testid=confirm-message]").inner_text() == (
            "判定结论和检测结果将对外公开并写入存证账本：公开后不能撤销（只能说明理由作废，作废记录仍可见）。"
        )
        page.click("[data-testid=confirm-back]")  # going back changes nothing
        assert Sample.objects.get(pk=s.pk).state == "verified"
        page.click("button[data-action=publish]")
        page.locator("[data-testid=confirm-message]").wait_for()  # the confirm page has loaded
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click("[data-testid=confirm]")
        page.wait_for_url(f"**/monitoring/samples/{s.code}/")
        assert Sample.objects.get(pk=s.pk).state == "published"
        context.close()


def test_batch_receive_ticks_all_rows_and_reports(browser, live_server, users, make_sample):
    """The header box ticks every row (nongan.js: no inline script under the CSP), the batch form receives
    them, one message reports it."""
    for width in WIDTHS:
        samples = [make_sample(), make_sample()]
        context, page = _page(browser, live_server, "analyst", width)
        page.goto(f"{live_server.url}/monitoring/samples/?state=registered")
        page.check("[data-tick-all=sample-batch]")
        expect(page.locator("input[name=ids]:checked")).to_have_count(2)
        page.select_option("#id_batch_action", "receive")
        page.click("[data-testid=sample-batch] button")
        expect(page.locator(".alert")).to_contain_text("已接收 2 个")
        assert page.url.endswith("/monitoring/samples/?state=registered")
        assert [Sample.objects.get(pk=s.pk).state for s in samples] == ["received", "received"]
        context.close()
