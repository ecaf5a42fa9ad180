"""The public pages each process reuses (certificates.pagestore): the short window without a listener, the long one
while PostgreSQL notifies committed changes, and a change of what a page shows reaching the page at once."""

import datetime as dt
import time

import pytest
from django.apps import apps
from django.utils import translation

from conftest import on_postgresql
from nongan.certificates import pagestore, selectors, services
from nongan.certificates.models import Certificate, Scan, SigningKey

PAGE = (b"page", 200, None)


@pytest.fixture
def store(settings, monkeypatch):
    """An empty store with a clock the test moves, no listener thread, 5 s / 60 s windows."""
    settings.NONGAN_VERIFY_PAGE_SECONDS = 5
    settings.NONGAN_VERIFY_PAGE_LISTEN_SECONDS = 60
    settings.NONGAN_VERIFY_PAGE_LISTEN = False
    now = [1000.0]
    monkeypatch.setattr(pagestore.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(pagestore, "_listener", [0, 0])
    pagestore.clear()
    yield now
    pagestore.clear()


def _listener_up(epoch: int) -> None:
    pagestore._listener[:] = [epoch, epoch]


def test_without_a_listener_every_page_is_reused_for_the_short_window_only(store):
    assert pagestore.put("a", "A", PAGE, pagestore.begin())
    store[0] += 5
    assert pagestore.get("a") == PAGE
    store[0] += 0.5
    assert pagestore.get("a") is None
    assert pagestore.size() == 0


def test_while_listening_a_page_is_reused_for_the_long_window_until_a_notice_about_it(store):
    _listener_up(3)
    for key, number in (("a", "A"), ("a-other-token", "A"), ("b", "B")):
        assert pagestore.put(key, number, PAGE, pagestore.begin())
    assert pagestore.put("missing", "C", (b"not found", 404, None), pagestore.begin())
    store[0] += 30
    assert [pagestore.get(k) for k in ("a", "a-other-token", "b")] == [PAGE] * 3
    assert pagestore.get("missing") is None  # a 404 (the number may be issued any time): the short window
    pagestore.notice("A")
    assert [pagestore.get(k) for k in ("a", "a-other-token", "b")] == [None, None, PAGE]
    store[0] += 30.5
    assert pagestore.get("b") is None  # past the long window


def test_a_notice_about_every_page_drops_every_page(store):
    _listener_up(1)
    for i in range(5):
        pagestore.put(str(i), f"N{i}", PAGE, pagestore.begin())
    pagestore.notice(pagestore.EVERYTHING)
    assert pagestore.size() == 0


def test_a_key_change_drops_every_page_and_the_key_records_kept(store):
    from nongan.certificates.services import keys

    _listener_up(1)
    pagestore.put("a", "A", PAGE, pagestore.begin())
    keys._KEYS_CACHE.update(keys={"k": object()}, at=store[0])
    pagestore.notice(pagestore.KEYS)
    assert pagestore.size() == 0 and keys._KEYS_CACHE["keys"] is None


def test_a_page_whose_rendering_began_before_a_notice_about_it_is_not_stored(store):
    _listener_up(1)
    begun = pagestore.begin()
    store[0] += 0.01
    pagestore.notice("A")  # committed while the page of A was being rendered from the older row
    assert pagestore.put("a", "A", PAGE, begun) is False
    assert pagestore.put("b", "B", PAGE, begun) is True
    store[0] += 0.01
    pagestore.notice(pagestore.EVERYTHING)
    assert pagestore.put("b2", "B", PAGE, begun) is False
    store[0] += 0.01
    assert pagestore.put("b3", "B", PAGE, pagestore.begin()) is True


def test_a_page_rendered_before_the_listener_connected_or_after_it_reconnected_keeps_the_short_window(store):
    begun = pagestore.begin()  # not listening yet: a change before LISTEN would never be noticed
    _listener_up(1)
    pagestore.put("early", "A", PAGE, begun)
    pagestore.put("late", "B", PAGE, pagestore.begin())
    _listener_up(2)  # the connection was lost and made again: notices in between are lost
    store[0] += 6
    assert pagestore.get("early") is None and pagestore.get("late") is None


def test_the_triggers_watch_exactly_the_columns_the_page_reads():
    migration = __import__(
        "nongan.certificates.migrations.0011_public_page_notices", fromlist=["CERTIFICATE_COLUMNS"]
    )
    meta = Certificate._meta
    page_columns = [meta.get_field(name).column for name in selectors.PAGE_FIELDS]
    assert sorted(migration.CERTIFICATE_COLUMNS) == sorted(set(page_columns) - {"id", "scan_count"})
    tables = {apps.get_model(label)._meta.db_table for label in ("registry.Producer", "core.Region")}
    tables |= {
        apps.get_model(label)._meta.db_table for label in ("monitoring.Sample", "monitoring.RapidTest")
    }
    assert {t for t, _c in migration.OTHERS} == tables


# ---------------------------------------------------------------- PostgreSQL: notices at commit
def _wait(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_committed_change_reaches_a_page_kept_for_ten_minutes_at_once(
    client, settings, users, batch, issue
):
    settings.NONGAN_VERIFY_PAGE_SECONDS = 600
    settings.NONGAN_VERIFY_PAGE_LISTEN_SECONDS = 600
    settings.NONGAN_VERIFY_RATE = "1000/60"
    settings.NONGAN_VERIFY_PAGE_LISTEN = True
    pagestore.clear()
    pagestore.begin()  # starts this process's listener
    try:
        _page_follows_committed_changes(client, users, batch, issue)
    finally:
        pagestore.stop_listener()
        pagestore.clear()
    assert not pagestore.listening()


def _page_follows_committed_changes(client, users, batch, issue):
    assert _wait(pagestore.listening)
    c, other = issue(batch, count=2)
    url = f"/v/{c.number}?s={c.token}"
    first = client.get(url).content.decode()
    assert "verify-suspicious" not in first and users.own_producer.name in first
    # Each view is logged (here inside the request: scan_count rises) yet the page is reused: a scan notifies nothing.
    assert client.get(url).content.decode() == first
    Certificate.objects.filter(pk=other.pk).update(suspicious_reason="标记")  # a notice after those scans
    assert _wait(lambda: other.number in pagestore._notices)
    assert client.get(url).content.decode() == first and Scan.objects.filter(certificate=c).count() == 3

    Certificate.objects.filter(pk=c.pk).update(suspicious=True, suspicious_reason="市场发现复制标签")
    assert _wait(lambda: pagestore.size() == 0, 5)
    page = client.get(url).content.decode()
    assert "verify-suspicious" in page and "市场发现复制标签" in page

    type(users.own_producer).objects.filter(pk=users.own_producer.pk).update(name="赣榆区新名字合作社")
    assert _wait(lambda: pagestore.size() == 0, 5)
    assert "赣榆区新名字合作社" in client.get(url).content.decode()

    # a key marked compromised before this certificate was signed: the page turns at once in every process
    SigningKey.objects.filter(kid=c.kid).update(compromised_at=c.signed_at - dt.timedelta(seconds=1))
    assert _wait(lambda: pagestore.size() == 0, 5)
    page = client.get(url).content.decode()
    with translation.override("zh-hans"):
        assert services.key_refused_message() in page and "真实有效" not in page
