"""The rendered public pages /v/<number> each process keeps for reuse, and how it learns that one is out of date.

Every page is reused for ``NONGAN_VERIFY_PAGE_SECONDS`` (default 5; 0 renders every view). On PostgreSQL each
process also listens on the channel ``nongan_public_page``: triggers (migration 0011) notify it when a change
of what a page shows is committed — the certificate's number when its public columns change (status,
revocation, counterfeit flag, contradiction, content), ``*`` when an issuer's name, type or head, a region, or
the verdict of a test a certificate names as its basis changes, ``keys`` when a signing key's window or state
changes (rotation, compromise: the process's key records are forgotten too). While the listener is connected, a page
(answer 200) is reused for up to ``NONGAN_VERIFY_PAGE_LISTEN_SECONDS`` (default 60) and dropped as soon as such
a notice arrives; a page whose rendering began before a notice about it is never stored. When the listener is
not connected (SQLite, a pooler without LISTEN, a lost connection) the short window applies to every page.

What a reused page may show late is its scan history and count (a scan changes nothing else, and notifies
nothing): at most the window. Every view is still logged (``scanlog``).
"""

import logging
import threading
import time
from collections import OrderedDict

from django.conf import settings

log = logging.getLogger(__name__)

CHANNEL = "nongan_public_page"
EVERYTHING = "*"
KEYS = "keys"  # a signing key's window or state changed: the key records kept by the process go too

_lock = threading.Lock()
# key → (stored at (monotonic), listener epoch it was rendered in (0: none), certificate number, page)
_pages: OrderedDict = OrderedDict()
# The last notice per certificate number (monotonic time; EVERYTHING for all pages).
_notices: dict[str, float] = {}
# [current epoch (0 while not connected), epochs started so far]
_listener = [0, 0]
_thread: list[threading.Thread] = []
_stop = threading.Event()


def _short() -> float:
    return float(getattr(settings, "NONGAN_VERIFY_PAGE_SECONDS", 0) or 0)


def _long() -> float:
    return max(_short(), float(getattr(settings, "NONGAN_VERIFY_PAGE_LISTEN_SECONDS", 0) or 0))


def _capacity() -> int:
    return int(getattr(settings, "NONGAN_VERIFY_PAGE_ENTRIES", 2000))


def enabled() -> bool:
    return _short() > 0


def listening() -> bool:
    return _listener[0] != 0


def begin() -> tuple[float, int]:
    """The moment a page's rendering begins (pass it to ``put``); starts the listener when it should run."""
    if not _thread and enabled() and getattr(settings, "NONGAN_VERIFY_PAGE_LISTEN", True):
        _start_listener()
    return time.monotonic(), _listener[0]


def get(key: str):
    """The page stored under ``key`` while it is fresh, else None."""
    entry = _pages.get(key)
    if entry is None:
        return None
    stored, epoch, _number, page = entry
    window = _long() if epoch and epoch == _listener[0] and page[1] == 200 else _short()
    if time.monotonic() - stored <= window:
        return page
    with _lock:
        if _pages.get(key) is entry:
            del _pages[key]
    return None


def put(key: str, number: str, page, begun: tuple[float, int]) -> bool:
    """Store ``page`` (body, status, scan) of certificate ``number`` unless a notice about it (or about every
    page) arrived after its rendering began. Returns whether it was stored."""
    started, epoch = begun
    with _lock:
        if _notices.get(number, 0.0) >= started or _notices.get(EVERYTHING, 0.0) >= started:
            return False
        # Long reuse only for a page rendered entirely while this listener connection was up.
        _pages[key] = (time.monotonic(), epoch if epoch == _listener[0] else 0, number, page)
        _pages.move_to_end(key)
        while len(_pages) > _capacity():
            _pages.popitem(last=False)
    return True


def notice(payload: str) -> None:
    """A committed change of what pages show: drop the pages of certificate ``payload`` (every page for ``*``)."""
    now = time.monotonic()
    with _lock:
        if (
            len(_notices) >= 10_000
        ):  # bounded: forgetting numbers is safe once everything is marked as changed
            _notices.clear()
            payload = EVERYTHING
        if payload == KEYS:
            payload = EVERYTHING
            from .services.keys import forget_key_records

            forget_key_records()
        _notices[payload] = now
        if payload == EVERYTHING:
            _pages.clear()
            return
        for key in [k for k, entry in _pages.items() if entry[2] == payload]:
            del _pages[key]


def clear() -> None:
    with _lock:
        _pages.clear()
        _notices.clear()


def size() -> int:
    return len(_pages)


# ---------------------------------------------------------------- the listener (PostgreSQL)
def _start_listener() -> None:
    from django.db import connections

    with _lock:
        if _thread:
            return
        if connections["default"].vendor != "postgresql":  # no LISTEN: not asked again in this process
            _thread.append(None)
            return
        t = threading.Thread(target=_listen_forever, name="nongan-page-listener", daemon=True)
        _thread.append(t)
    t.start()


def _connect():
    import psycopg
    from django.db import connections

    params = connections["default"].get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
        params.pop(name, None)
    return psycopg.connect(**params, autocommit=True, connect_timeout=10)


def stop_listener() -> None:
    """End this process's listener (tests: a connection left open would keep the test database from being
    dropped). Pages fall back to the short window; the next ``begin`` starts a new listener."""
    if not _thread:
        return
    _stop.set()
    if _thread[0] is not None:
        _thread[0].join(timeout=10)
    _thread.clear()
    _stop.clear()


def _listen_forever() -> None:
    pause = 1.0
    while not _stop.is_set():
        conn = None
        try:
            conn = _connect()
            conn.execute(f"LISTEN {CHANNEL}")
            with _lock:
                _listener[1] += 1
                _listener[0] = _listener[1]
            pause = 1.0
            while not _stop.is_set():
                for note in conn.notifies(timeout=1.0):
                    notice(note.payload)
        except Exception:  # noqa: BLE001 — keep listening; pages fall back to the short window meanwhile
            log.warning("the public page listener lost its connection; retrying", exc_info=True)
        finally:
            _listener[0] = 0
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass
        if _stop.wait(pause):
            return
        pause = min(pause * 2, 30.0)
