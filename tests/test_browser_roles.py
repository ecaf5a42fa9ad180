"""Each role does its main job on a phone (390 × 844), starting from its workbench at ``/``: it follows a to-do
item or its main link, does the job to the end and sees the exact outcome. On every page the document does not
scroll sideways and the deciding field (verdict, state, result, action button) lies inside the screen.

The records the roles work on are made once (``district``), through the services, the way the roles before them
would have left them; the walks then run one after another on one live server."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from conftest import browser_login

from .test_every_word_chinese import ALLOWED_WORDS, STAFF, Findings, _msgids, _stored_values, page_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 390, 844


@pytest.fixture
def district(users, ganyu, shipped_standards):
    """The district as the roles find it in the morning: this year's plan with its shares (青口镇's first village
    holds 30 of the township's share, the others none); an open task for the sampler; a registered sample for the
    lab to receive; a sample whose results wait for verification; a verified one to publish; an unqualified one
    whose follow-up is overdue; a production batch of the producer's cooperative."""
    from nongan.certificates import services as certs
    from nongan.core.services import townships
    from nongan.monitoring import services as mon
    from nongan.monitoring.models import UnqualifiedFollowUp

    qk, v0 = ganyu.town["青口镇"], ganyu.village("青口镇", 0)
    towns = list(townships(ganyu.district))
    plan = mon.plan_save(
        actor=users.admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        title="赣榆区农产品质量安全例行监测计划",
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=mon.split_evenly(800, towns),
        township_rapid=mon.split_evenly(7200, towns),
    )
    mon.village_shares_save(actor=users.admin, plan=plan, township=qk, quantitative={v0: 30}, rapid={})
    own, cucumber = users.own_producer, ganyu.category("黄瓜")

    def sample(hours, results=None, verify=False):
        s = mon.sample_register(
            actor=users.sampler,
            producer=own,
            product=cucumber,
            quantity="2",
            quantity_unit="kg",
            place="大棚",
            sampled_at=timezone.now() - dt.timedelta(hours=hours),
        )
        if results is not None:
            mon.sample_transition(actor=users.analyst, sample=s, action="receive")
            rows = [{"analyte": "毒死蜱", "value": results, "unit": "mg/kg", "lod": "0.005"}]
            mon.results_enter(actor=users.analyst, sample=s, rows=rows, submit=True)
        if verify:
            mon.sample_transition(actor=users.analyst2, sample=s, action="verify")
        s.refresh_from_db()
        return s

    failed = sample(90 * 24, results="5", verify=True)
    follow_up = UnqualifiedFollowUp.objects.get(sample=failed)
    # the notice went out 40 days ago: the follow-up is past its 30 days
    UnqualifiedFollowUp.objects.filter(pk=follow_up.pk).update(
        noticed_at=timezone.now() - dt.timedelta(days=40)
    )
    task = mon.task_create(
        actor=users.admin,
        producer=own,
        product=cucumber,
        samplers=[users.sampler],
        due=timezone.localdate() + dt.timedelta(days=3),
    )
    shared = mon.task_create(  # two samplers on it; the district takes one off
        actor=users.admin,
        producer=own,
        product=cucumber,
        samplers=[users.sampler, users.enforcement],
        due=timezone.localdate() + dt.timedelta(days=10),
    )
    batch = certs.batch_create(
        actor=users.producer,
        producer=own,
        product=cucumber,
        started=timezone.localdate() - dt.timedelta(days=60),
        plot="3号大棚",
        unit="kg",
    )
    # the staff's logins and names as the bureau's are (pinyin, Chinese): the shared accounts' English logins
    # would hide the same words left untranslated
    from nongan.core.models import User

    for key, (username, full_name) in STAFF.items():
        User.objects.filter(pk=getattr(users, key).pk).update(username=username, full_name=full_name)
    return {
        "plan": plan,
        "task": task,
        "shared": shared,
        "registered": sample(5),
        "submitted": sample(30, results="0.01"),
        "verified": sample(50, results="0.01", verify=True),
        "failed": failed,
        "follow_up": follow_up,
        "batch": batch,
    }


def _phone(browser, live_server, username):
    page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN").new_page()
    page.set_default_timeout(10_000)
    browser_login(page, live_server, STAFF[username][0])
    _fits(page)
    return page


SEEN: list[tuple[str, str]] = []  # (where, html) of every page the walks met, read for English afterwards


def _fits(page, deciding: str | None = None):
    """No sideways scrolling; the first ``deciding`` element lies inside the screen (its width, and once
    scrolled to, its height). The page is kept to be read for untranslated words."""
    SEEN.append((page.url, page.content()))
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH, (page.url, width)
    if deciding is None:
        return None
    element = page.locator(deciding).first
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None, (page.url, deciding)
    assert 0 <= box["x"] and box["x"] + box["width"] <= WIDTH, (page.url, deciding, box)
    assert 0 <= box["y"] and box["y"] + box["height"] <= HEIGHT, (page.url, deciding, box)
    return element


def _todo(page, key: str):
    """Follow the workbench's to-do item ``key``."""
    item = page.locator(f"[data-todo='{key}']")
    _fits(page, f"[data-todo='{key}']")
    item.click()
    page.wait_for_load_state()
    _fits(page)


def walk_sampler(page, live_server, users, d):
    from nongan.monitoring.models import Sample, SamplingTask

    _todo(page, "monitoring.my_tasks_later")
    take = _fits(page, "[data-testid=task-actions] a")
    assert take.inner_text() == "去抽样"
    take.click()
    page.wait_for_url("**/monitoring/samples/new/?task=*")
    _fits(page, "button[type=submit].btn-success")
    page.fill("#id_quantity", "2")
    page.fill("#id_place", "3号大棚")
    _fits(page, "button[type=submit].btn-success").click()
    page.wait_for_url(re.compile(r".*/monitoring/samples/[^/]+/$"))
    assert _fits(page, "[data-testid=state]").inner_text() == "已登记"
    sample = Sample.objects.get(task=d["task"])
    assert page.url.endswith(f"/monitoring/samples/{sample.code}/")
    assert (sample.sampler, sample.producer) == (users.sampler, users.own_producer)
    assert SamplingTask.objects.get(pk=d["task"].pk).status == "sampled"


def walk_analyst(page, live_server, users, d):
    from nongan.monitoring.models import LabResult, Sample

    code = d["registered"].code
    _todo(page, "monitoring.samples_to_receive")
    _fits(page, f"a:has-text('{code}')").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    _fits(page, "button[data-action=receive]").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    assert _fits(page, "[data-testid=state]").inner_text() == "实验室已接收"
    _fits(page, "a:has-text('录入检测结果')").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/results/")
    page.fill("[name$='-0-analyte']", "毒死蜱")
    value = _fits(page, "[name$='-0-value']")
    value.fill("0.01")
    page.fill("[name$='-0-lod']", "0.005")
    page.check("#submit")
    _fits(page, "form button.btn-success").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    assert _fits(page, "[data-testid=state]").inner_text() == "结果已提交"
    result = LabResult.objects.get(sample__code=code)
    assert (result.analyst, str(result.value.normalize())) == (users.analyst, "0.01")
    assert Sample.objects.get(code=code).state == "results_submitted"


def walk_verifier(page, live_server, users, d):
    from nongan.monitoring.models import Sample

    code = d["submitted"].code
    _todo(page, "monitoring.results_to_verify")
    _fits(page, f"a:has-text('{code}')").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    _fits(page, "button[data-action=verify]").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    assert _fits(page, "[data-testid=state]").inner_text() == "已审核"
    assert _fits(page, "[data-testid=verdict]").inner_text() == "合格"
    sample = Sample.objects.get(code=code)
    assert sample.state == "verified" and sample.results.get().verified_by == users.analyst2


def walk_admin(page, live_server, users, d):
    from nongan.monitoring.models import Sample

    code = d["verified"].code
    # the district's figures first
    assert _fits(page, "[data-testid=samples-done]").inner_text() == "5 / 800"
    _todo(page, "monitoring.samples_to_publish")
    _fits(page, f"a:has-text('{code}')").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    _fits(page, "button[data-action=publish]").click()
    _fits(page, "[data-testid=confirm]").click()
    page.wait_for_url(f"**/monitoring/samples/{code}/")
    assert _fits(page, "[data-testid=state]").inner_text() == "已公开"
    assert Sample.objects.get(code=code).state == "published"
    # a sampler taken off a task: beside the name on the task list, with a reason
    from nongan.monitoring.models import SamplingTask

    page.goto(f"{live_server.url}/monitoring/tasks/?status=open")
    which = f"[data-testid=task-unassign]:has(input[name=sampler][value='{users.sampler.pk}'])"
    remove = page.locator(which).first
    _fits(page, f"{which} summary").click()
    remove.locator("input[name=reason]").fill("抽样员病假")
    button = remove.locator("button")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    button.click()
    page.wait_for_url("**/monitoring/tasks/?status=open")
    assert _fits(page, ".alert-success").inner_text().strip() == (
        f"已将 {STAFF['sampler'][1]} 从 {users.own_producer.name} 的抽样任务中移出。"
    )
    task = SamplingTask.objects.get(pk=d["shared"].pk)
    assert list(task.samplers.all()) == [users.enforcement] and task.status == "open"


def walk_township(page, live_server, users, d):
    # 青口镇's own figures: its samples against its share, never the district's
    done = _fits(page, "[data-testid=samples-done]")
    assert done.inner_text() == "5 / 54"
    done.click()
    page.wait_for_url("**/monitoring/")
    _fits(page, "[data-testid=total-done]")
    assert page.locator("[data-testid=total-done]").inner_text() == "5 / 54"
    assert page.locator("[data-share=none]").count() >= 1  # the villages without a share: 无分配
    assert page.locator("[data-share=none]").first.inner_text() == "无分配"
    page.goto(f"{live_server.url}/")
    _todo(page, "monitoring.follow_ups")
    _fits(page, f"a[href$='/monitoring/follow-ups/{d['follow_up'].pk}/']").click()
    page.wait_for_url(f"**/monitoring/follow-ups/{d['follow_up'].pk}/")
    _fits(page)
    assert d["failed"].code in page.content()


def walk_village(page, live_server, users, d):
    assert _fits(page, "[data-testid=samples-done]").inner_text() == "5 / 30"
    _fits(page, "[data-testid=stat-total]").click()
    page.wait_for_url(f"{live_server.url}/registry/")
    _fits(page, f"a:has-text('{users.own_producer.name}')")
    assert page.locator("[data-testid=result-count]").inner_text() == "共 1 个生产经营主体"


def walk_producer(page, live_server, users, d):
    from nongan.certificates.models import Certificate

    _fits(page, "[data-testid=issue-certificates]").click()
    page.wait_for_url("**/certificates/batches/")
    _fits(page, f"a:has-text('{d['batch'].code}')").click()
    page.wait_for_url(f"**/certificates/batches/{d['batch'].code}/")
    page.click("summary:has-text('开具合格证')")
    page.fill("#id_is-quantity", "250")
    page.select_option("#id_is-unit", "kg")
    page.fill("#id_is-count", "1")
    _fits(page, "form:has(input[value=issue]) button").click()
    page.wait_for_url("**/certificates/c/*/")
    cert = Certificate.objects.get()
    assert page.url.endswith(f"/certificates/c/{cert.number}/")
    assert (cert.quantity, cert.producer) == (250, users.own_producer)
    _fits(page, "img[src$='qr.svg'], svg")
    d["certificate"] = cert


def walk_market(page, live_server, users, d):
    from nongan.certificates.models import MarketCheck

    cert = d["certificate"]
    page.goto(f"{live_server.url}/certificates/market-checks/")
    page.fill("#id_number", cert.number)
    _fits(page, "[data-testid=check-look]").click()
    assert _fits(page, "[data-testid=check-result]").inner_text() == "合格证有效"
    assert page.locator("[data-testid=check-number]").inner_text() == cert.number
    page.fill("#id_market", "青口农贸市场")
    _fits(page, "[data-testid=check-save]").click()
    page.wait_for_url("**/certificates/market-checks/")
    assert _fits(page, "[data-testid=result]").inner_text() == "合格证有效"
    check = MarketCheck.objects.get()
    assert (check.certificate, check.result, check.market) == (cert, "valid", "青口农贸市场")


def walk_enforcement(page, live_server, users, d):
    from nongan.monitoring.models import UnqualifiedFollowUp

    pk = d["follow_up"].pk
    _todo(page, "monitoring.follow_ups")
    _fits(page, f"a[href$='/monitoring/follow-ups/{pk}/']").click()
    page.wait_for_url(f"**/monitoring/follow-ups/{pk}/")
    page.fill("#id_trace_note", "已核查生产记录，确认不合格批次的用药记录。")
    page.fill("#id_measures", "责令召回并监督销毁不合格批次。")
    page.fill("#id_case_number", "赣农(农)立〔2026〕18号")
    _fits(page, "form button.btn-success").click()
    page.wait_for_url(f"**/monitoring/follow-ups/{pk}/")
    assert _fits(page, ".alert-success").inner_text().strip() == "处置情况已保存。"
    fu = UnqualifiedFollowUp.objects.get(pk=pk)
    assert (fu.case_number, fu.measures) == ("赣农(农)立〔2026〕18号", "责令召回并监督销毁不合格批次。")


WALKS = [
    ("sampler", walk_sampler),
    ("analyst", walk_analyst),
    ("analyst2", walk_verifier),
    ("admin", walk_admin),
    ("qk", walk_township),
    ("village", walk_village),
    ("producer", walk_producer),
    ("market", walk_market),
    ("enforcement", walk_enforcement),
]


def test_each_role_does_its_main_job_from_its_workbench_on_a_phone(browser, live_server, users, district):
    from nongan.core.models import User

    SEEN.clear()
    failures = []
    for username, walk in WALKS:
        page = _phone(browser, live_server, username)
        try:
            walk(page, live_server, users, district)
        except Exception as e:  # noqa: BLE001 - every role walks; the failures are reported together
            failures.append(f"{username} at {page.url}: {type(e).__name__}: {e}")
        finally:
            page.context.close()
    assert not failures, "\n\n".join(failures)
    # every page met reads in Chinese (the every-word test's reading: catalog msgids, raw values, English words)
    untranslated, translated = _msgids()
    names = set(User.objects.values_list("username", flat=True))
    findings = Findings(untranslated, translated, _stored_values(), ALLOWED_WORDS | names, names)
    for where, html in SEEN:
        findings.check(where, page_text(html)[0])
    assert findings.report() == ""
