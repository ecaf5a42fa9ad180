"""Per-client rate limits on /v/ and the verify API, counted in the shared (database) cache; the client address
from a trusted proxy header only when one is configured; the batched scan log."""

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.utils import timezone

from nongan.certificates import pagestore, scanlog, services
from nongan.certificates.models import Scan
from nongan.certificates.services.scans import client_hash
from nongan.core import ratelimit


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.NONGAN_VERIFY_RATE = "3/60"
    settings.NONGAN_VERIFY_API_RATE = "2/60"


def test_the_limit_is_kept_in_the_shared_database_cache(settings, db):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    cache.set("probe", 1)
    with connection.cursor() as cur:  # a row in the table every worker reads: shared across processes
        cur.execute("SELECT COUNT(*) FROM nongan_cache")
        assert cur.fetchone()[0] >= 1


def test_public_page_answers_429_in_chinese_after_the_limit_and_logs_nothing_more(
    client, users, batch, issue
):
    [c] = issue(batch)
    for _ in range(3):
        assert client.get(f"/v/{c.number}?s={c.token}").status_code == 200
    r = client.get(f"/v/{c.number}?s={c.token}")
    assert r.status_code == 429
    assert "此设备查验合格证过于频繁" in r.content.decode()
    assert 1 <= int(r["Retry-After"]) <= 61
    assert Scan.objects.count() == 3
    # Another client is not affected.
    assert client.get(f"/v/{c.number}", REMOTE_ADDR="10.9.9.9").status_code == 200


def test_verify_api_answers_429_with_a_message(client, users, batch, issue):
    [c] = issue(batch)
    for _ in range(2):
        assert client.post("/api/v1/certificates-verify/", {"text": c.number}).status_code == 200
    r = client.post("/api/v1/certificates-verify/", {"text": c.number})
    assert r.status_code == 429
    assert r.json()["detail"].startswith("请求过于频繁")


def test_a_forwarded_header_counts_only_behind_a_configured_proxy(client, users, batch, issue, settings):
    [c] = issue(batch)
    url = f"/v/{c.number}"
    # No proxy configured: a client cannot dodge the limit by inventing X-Forwarded-For.
    for i in range(3):
        assert client.get(url, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.2.3.99").status_code == 429
    # Behind one trusted proxy: the address it appended is the client (what the client wrote before is not).
    settings.NONGAN_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    cache.clear()
    for _ in range(3):
        assert client.get(url, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.7").status_code == 429
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200
    settings.NONGAN_TRUSTED_PROXY_COUNT = 2  # two proxies: the second entry from the right
    assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.2").status_code == 200


def test_raised_limit_for_listed_addresses(rf, settings):
    settings.NONGAN_RATE_RAISED_FOR = ["192.0.2.1"]
    assert ratelimit.limit_for("192.0.2.1", "3/60") == (3000, 60)
    assert ratelimit.limit_for("192.0.2.2", "3/60") == (3, 60)


def test_deferred_scans_are_written_by_flush_and_not_lost(client, users, batch, issue, settings):
    settings.NONGAN_SCAN_FLUSH_SECONDS = 3600  # the background writer will not run during the test
    settings.NONGAN_VERIFY_RATE = "100/60"
    [c] = issue(batch)
    for _ in range(3):
        assert client.get(f"/v/{c.number}?s={c.token}").status_code == 200
    assert Scan.objects.count() == 0 and scanlog.pending() == 3
    town = services.scan_place_choices()[0][0]
    forged = c.token[:-4] + ("AAAA" if not c.token.endswith("AAAA") else "BBBB")
    assert client.get(f"/v/{c.number}?s={forged}&town={town}&lat=34.5678&lon=119.1234").status_code == 200
    assert Scan.objects.count() == 0 and scanlog.pending() == 4
    assert scanlog.flush() == 4  # what the exit hook and the background thread call
    assert Scan.objects.filter(certificate=c, result="genuine").count() == 3
    # written as the model would write it (COPY on PostgreSQL, INSERT elsewhere)
    last = Scan.objects.exclude(result="genuine").get()
    assert (last.number, last.result, last.signature, last.region.code) == (
        c.number,
        "bad_signature",
        "bad_signature",
        town,
    )
    assert (str(last.latitude), str(last.longitude), last.client) == (
        "34.57",
        "119.12",
        client_hash("127.0.0.1"),
    )
    assert abs((timezone.now() - last.time).total_seconds()) < 60
    c.refresh_from_db()
    assert c.scan_count == 4 and scanlog.pending() == 0


def test_the_rendered_page_is_reused_briefly_but_every_view_is_logged(client, users, batch, issue, settings):
    settings.NONGAN_VERIFY_PAGE_SECONDS = 60
    settings.NONGAN_VERIFY_RATE = "100/60"
    pagestore.clear()
    [c] = issue(batch)
    first = client.get(f"/v/{c.number}?s={c.token}").content
    assert client.get(f"/v/{c.number}?s={c.token}").content == first
    assert Scan.objects.filter(certificate=c).count() == 2
    assert pagestore.size() == 1
    pagestore.clear()


def test_pages_kept_for_reuse_never_evict_the_place_list(users, settings):
    """The reused pages are kept apart (2,000 by default): a stream of scans of different labels drops the oldest
    pages, never the township list the place picker is built from (kept in the "local" cache)."""
    from nongan.certificates import services

    settings.NONGAN_VERIFY_PAGE_SECONDS = 60
    caches["local"].clear()
    choices = services.scan_place_choices()
    assert len(choices) == 15
    for i in range(3000):
        assert pagestore.put(f"v:{i}", str(i), (b"page", 200, None), pagestore.begin())
    assert pagestore.size() == 2000
    assert pagestore.get("v:999") is None and pagestore.get("v:1000") == (b"page", 200, None)
    assert [k for k in caches["local"]._cache if "place" in k] != []
    pagestore.clear()


def test_a_large_limit_is_counted_in_steps_yet_enforced_exactly(db):
    from django.core.cache import cache

    for _ in range(400):
        assert ratelimit.hit("probe", "192.0.2.50", "1000/3600") == 0
    window = int(__import__("time").time() // 3600)
    shared = cache.get(f"rl:probe:{window}:192.0.2.50")
    assert shared is not None and 390 <= shared <= 400  # added in steps of 10
    for _ in range(600):
        assert ratelimit.hit("probe", "192.0.2.50", "1000/3600") == 0
    assert ratelimit.hit("probe", "192.0.2.50", "1000/3600") > 0  # the 1001st
