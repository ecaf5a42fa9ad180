"""Every page is served with a strict Content-Security-Policy (no inline script, no event handler attribute, no
eval, no inline style), and the main pages of every app work under it in a real Chromium: no violation is reported,
the charts draw, the htmx search runs, the print button counts a print with a POST."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Listens for violations in every page, before the page's own scripts run (Playwright injects it, so the
# policy does not apply to it).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
window.print = function () { window.__printed = (window.__printed || 0) + 1; };
"""


@pytest.fixture
def site(users, ganyu, make_producer, shipped_standards):
    """A little of everything: a certificate, a monitoring plan with a sample, a published draw round."""
    from nongan.certificates import services as certs
    from nongan.core.services import townships
    from nongan.monitoring import services as mon

    batch = certs.batch_create(
        actor=None,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=30),
        unit="kg",
    )
    [cert] = certs.certificate_issue(actor=None, batch=batch, quantity="50", unit="kg", count=1)
    towns = list(townships(ganyu.district))
    plan = mon.plan_save(
        actor=users.admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=mon.split_evenly(800, towns),
        township_rapid=mon.split_evenly(7200, towns),
    )
    sample = mon.sample_register(
        actor=users.sampler,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        quantity="2",
        quantity_unit="kg",
        place="大棚",
        sampled_at=timezone.now() - dt.timedelta(hours=1),
    )
    return {"batch": batch, "cert": cert, "plan": plan, "sample": sample}


def test_every_response_carries_the_policy(client, users):
    client.force_login(users.admin)
    for url in ("/", "/registry/", "/login/", "/v/", "/api/docs/", "/monitoring/public/"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", url
        assert "unsafe-inline" not in directives["style-src"] and "unsafe-eval" not in policy, url
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    # the Swagger UI start-up script is a file of its own
    script = client.get("/api/docs/?script=")
    assert (
        script["Content-Type"].startswith("application/javascript")
        and "SwaggerUIBundle" in script.content.decode()
    )
    # Redoc alone may style inline (it writes its CSS at run time); scripts stay 'self'
    redoc = client.get("/api/redoc/")["Content-Security-Policy"]
    assert "script-src 'self';" in redoc + ";" and "style-src 'self' 'unsafe-inline'" in redoc


def test_templates_have_no_inline_script_handler_or_style():
    import re
    from pathlib import Path

    import nongan

    bad = []
    for path in Path(nongan.__file__).parent.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"\son[a-z]+\s*=",
            r"\sstyle\s*=",
            r"<style(?![^>]*nonce=)",
        ):
            bad += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert bad == []


def test_main_pages_report_no_violation(browser, live_server, users, site):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", password="Nongan-test-2026")
    context = browser.new_context(locale="zh-CN")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    cert, batch = site["cert"], site["batch"]
    year = timezone.localdate().year
    pages = {
        "admin": [
            "/",
            "/registry/",
            f"/registry/producers/{users.own_producer.pk}/",
            f"/registry/producers/{users.own_producer.pk}/edit/",
            "/registry/staff/",
            "/standards/",
            "/standards/limits/",
            "/standards/judge/",
            "/monitoring/",
            f"/monitoring/plans/{year}/",
            "/monitoring/samples/",
            f"/monitoring/samples/{site['sample'].code}/",
            "/monitoring/samples/new/",
            "/monitoring/rapid/",
            "/monitoring/follow-ups/",
            "/draws/",
            "/draws/new/",
            "/draws/conflicts/",
            "/certificates/",
            f"/certificates/c/{cert.number}/",
            f"/certificates/batches/{batch.code}/",
            "/certificates/coverage/",
            f"/certificates/trace/?number={cert.number}",
            f"/certificates/labels/?batch={batch.code}&size=70x50",
            "/ledger/",
            "/token/",
            "/account/password/",
            "/users/",
            f"/users/{users.qk.pk}/",
            "/api/docs/",
            "/api/redoc/",
            "/api/v1/producers/",
            "/api/v1/producers/?format=api&page=1",
            f"/api/v1/producers/{users.own_producer.pk}/",
            "/api/v1/auth/tokens/",
            "/api/v1/monitoring/samples/",
        ],
        None: [
            "/login/",
            "/v/",
            f"/v/{cert.number}?s={cert.token}",
            "/draws/public/",
            "/monitoring/public/",
        ],
    }
    for url in pages[None]:
        page.goto(live_server.url + url, wait_until="networkidle")
        assert page.evaluate("window.__csp") == [], url
    browser_login(page, live_server, "admin")
    assert page.evaluate("document.querySelectorAll('#chart-towns canvas').length") == 1  # ECharts drew
    for url in pages["admin"]:
        page.goto(live_server.url + url, wait_until="networkidle")
        violations = page.evaluate("window.__csp")
        if url == "/api/redoc/":
            # Redoc's bundle hard-codes its attribution logo on its CDN; the policy blocks it (nothing is loaded
            # from a CDN) and Redoc hides the broken image. Nothing else may be blocked there.
            page.wait_for_selector("redoc .menu-content", timeout=20000)
            violations = [v for v in violations if v != "img-src https://cdn.redoc.ly/redoc/logo-mini.svg :0"]
        assert violations == [], (url, violations)
        if url == "/certificates/coverage/":
            assert page.evaluate("document.querySelectorAll('#months canvas').length") == 1
        if url == "/api/docs/":
            page.wait_for_selector(".swagger-ui .opblock", timeout=20000)  # Swagger UI rendered the schema
        if url == f"/monitoring/plans/{year}/":
            widths = page.evaluate(
                "[...document.querySelectorAll('.progress-bar[data-width]')].map(e => e.style.width)"
            )
            assert widths and all(w.endswith("%") for w in widths)
    # htmx still searches as one types (a trigger without eval)
    page.goto(live_server.url + "/registry/", wait_until="networkidle")
    page.fill("#producer-q", "绿源")
    expect(page.locator("[data-testid=result-count]")).to_contain_text("1")  # (no eval: the page's CSP)
    assert page.evaluate("window.__csp") == []
    # the print button counts the print with a POST, then prints
    page.goto(f"{live_server.url}/certificates/labels/?n={cert.number}", wait_until="networkidle")
    cert.refresh_from_db()
    assert cert.print_count == 0  # opening the page changed nothing
    page.click("[data-testid=print]")
    expect(page.locator("[data-testid=print]")).to_have_attribute("data-print-status", "counted")
    assert page.evaluate("window.__printed") == 1
    assert page.locator("[data-testid=print]").get_attribute("data-print-status") == "counted"
    cert.refresh_from_db()
    assert cert.print_count == 1
    # the Django admin (a superuser's)
    root = Client()
    root.force_login(get_user_model().objects.get(username="root"))
    page.context.add_cookies(
        [{"name": "sessionid", "value": root.cookies["sessionid"].value, "url": live_server.url}]
    )
    for url in (
        "/django-admin/",
        "/django-admin/core/user/",
        f"/django-admin/core/user/{users.qk.pk}/change/",
    ):
        page.goto(live_server.url + url, wait_until="networkidle")
        assert page.evaluate("window.__csp") == [], url
    assert [m for m in console if "cdn.redoc.ly/redoc/logo-mini.svg" not in m] == []
    context.close()
