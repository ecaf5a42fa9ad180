"""The home dashboard shows the registry, this year's monitoring and the certificate coverage, in scope."""

from django.utils import timezone

from nongan.core.services import townships
from nongan.monitoring import services as monitoring


def test_dashboard_without_a_plan_shows_the_registry_and_certificate_coverage(client, users):
    client.force_login(users.qk)
    r = client.get("/")
    assert r.context["stats"]["total"] == 1
    assert "progress" not in r.context
    assert r.context["coverage"] == {"total": 1, "issued": 0, "share": 0.0, "flagged": 0}
    assert 'data-testid="coverage">0.0%<' in r.content.decode()


def test_dashboard_shows_this_years_plan_progress(client, users, ganyu):
    towns = list(townships(ganyu.district))
    monitoring.plan_save(
        actor=users.admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=monitoring.split_evenly(800, towns),
        township_rapid=monitoring.split_evenly(7200, towns),
    )
    client.force_login(users.admin)
    r = client.get("/")
    progress = r.context["progress"]
    assert (progress.total.done, progress.total.planned) == (0, 800)
    assert 'data-testid="samples-done">0 / 800<' in r.content.decode()
    client.force_login(users.qk)  # a township sees its own township's share of the plan
    assert client.get("/").context["progress"].total.planned == 800 // 15 + (1 if 800 % 15 else 0)


def test_dashboard_coverage_agrees_with_the_coverage_page(
    client, users, ganyu, make_producer, shipped_standards
):
    import datetime as dt

    from nongan.certificates import selectors as certificates
    from nongan.certificates import services as issuing

    make_producer(name="另一合作社", town="柘汪镇")  # a scale producer that has not issued
    batch = issuing.batch_create(
        actor=users.producer,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=60),
        plot="1号棚",
        unit="kg",
    )
    issuing.certificate_issue(actor=users.producer, batch=batch, quantity="100", unit="kg", count=1)
    client.force_login(users.admin)
    headline = client.get("/").context["coverage"]
    page = certificates.coverage(users.admin)
    assert headline == {k: page[k] for k in ("total", "issued", "share", "flagged")}
    assert headline == {"total": 2, "issued": 1, "share": 50.0, "flagged": 0}
