"""The workbench (`/`): every role lands on its to-do (nongan.core.todo, filled by the apps), overdue first with
the deadlines shown; staff also see their jurisdiction's figures; scoped; at 390 px without horizontal scroll."""

import datetime as dt

import pytest
from django.utils import timezone

from nongan.core import todo
from nongan.monitoring import services as monitoring
from nongan.registry.models import Certification
from nongan.registry.services import certification_save
from nongan.registry.tests.test_import import row, xlsx


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def keys(user) -> dict[str, int]:
    return {i.key: i.count for i in todo.items_for(user)}


def test_imports_waiting_or_failed_are_on_the_uploaders_and_administrators_to_do(client, users):
    client.force_login(users.qk)
    client.post("/registry/producers/import/", {"file": xlsx([row(1)])})  # checked: waits for qk
    client.post("/registry/producers/import/", {"file": xlsx([row(2, **{"手机号": "1"})])})  # rejected
    assert keys(users.qk) == {"core.imports_to_confirm": 1, "core.imports_failed": 1}
    assert keys(users.admin) == {"core.imports_failed": 1}  # only the uploader confirms
    assert keys(users.zw) == {} and keys(users.village) == {}
    # the list behind the items: the job waiting for confirmation first, the rejected one next
    page = client.get("/imports/").context["page_obj"]
    assert [j.status for j in page] == ["checked", "invalid"]
    assert [j.status for j in client.get("/imports/?status=failed").context["page_obj"]] == ["invalid"]
    client.force_login(users.zw)
    assert list(client.get("/imports/").context["page_obj"]) == []


def test_expiring_certifications_for_the_register_keepers_and_the_producer(client, users):
    certification_save(
        actor=users.qk,
        certification=Certification(
            producer=users.own_producer,
            kind="green",
            number="LB-2026-1",
            product_name="黄瓜",
            issued_on=days(-700),
            valid_until=days(20),
        ),
    )
    for who in ("qk", "village", "admin", "producer"):
        [item] = todo.items_for(getattr(users, who))
        assert (item.key, item.count, item.due, item.overdue) == (
            "registry.certifications_expiring",
            1,
            days(20),
            0,
        ), who
    assert keys(users.zw) == {} and keys(users.sampler) == {}
    client.force_login(users.admin)
    page = client.get("/registry/producers/?certification_expiring=true").context["page_obj"]
    assert [p.pk for p in page] == [users.own_producer.pk]


def test_the_page_puts_overdue_first_and_keeps_the_figures_for_staff(client, users, make_producer):
    monitoring.task_create(
        actor=users.admin, producer=users.own_producer, samplers=[users.sampler], due=days(4)
    )
    monitoring.task_create(
        actor=users.admin, producer=users.own_producer, samplers=[users.sampler], due=days(-3)
    )
    client.force_login(users.sampler)
    r = client.get("/")
    html = r.content.decode()
    assert [i.key for i in r.context["todo"]] == ["monitoring.my_tasks_overdue", "monitoring.my_tasks_later"]
    assert html.index('data-todo="monitoring.my_tasks_overdue"') < html.index(
        'data-todo="monitoring.my_tasks_later"'
    )
    d = days(-3)
    assert f"最早截止 {d.year}年{d.month}月{d.day}日" in html and "1 项已逾期" in html
    assert 'href="/monitoring/tasks/?mine=1&amp;status=open&amp;due=overdue"' in html
    assert 'data-testid="figures"' in html and r.context["stats"]["total"] == 1  # the jurisdiction's figures
    client.force_login(users.producer)  # a producer lands on its workbench, not the district's figures
    r = client.get("/")
    assert r.status_code == 200 and 'data-testid="figures"' not in r.content.decode()
    assert "暂无待办事项。" in r.content.decode() and "stats" not in r.context


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_workbench_fits_a_phone(browser, live_server, users):
    from conftest import browser_login

    monitoring.task_create(
        actor=users.admin, producer=users.own_producer, samplers=[users.sampler], due=days(-3)
    )
    monitoring.task_create(
        actor=users.admin, producer=users.own_producer, samplers=[users.sampler], due=days(0)
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    browser_login(page, live_server, "sampler")
    items = page.locator("[data-testid=todo] [data-todo]")
    assert items.count() == 2
    assert items.first.get_attribute("data-todo") == "monitoring.my_tasks_overdue"
    assert items.first.is_visible() and "已逾期" in items.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    items.first.click()
    page.wait_for_url("**/monitoring/tasks/?*due=overdue")
    context.close()
