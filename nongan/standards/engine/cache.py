"""The index's lifecycle in this process: built on first use, dropped by an import here at once and rebuilt
when another process's import changed the revision token (looked for every ``CHECK_SECONDS``); today's date
in Shanghai, cheaply."""

from __future__ import annotations

import datetime as dt
import threading
import time
import zoneinfo

from django.db import transaction

from ..models import Edition
from .index import _Index, _read_token

# How often another process's import is looked for, in seconds (one tiny query).
CHECK_SECONDS = 1.0
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


_lock = threading.Lock()
_state = {"index": None, "checked": 0.0, "today": None, "today_until": 0.0}


def invalidate() -> None:
    """Drop the in-memory index now; the next judgement rebuilds it."""
    _state["index"] = None
    _state["checked"] = 0.0


def invalidate_on_commit() -> None:
    invalidate()
    transaction.on_commit(invalidate)


def get_index() -> _Index:
    index = _state["index"]
    now = time.monotonic()
    if index is not None and now - _state["checked"] < CHECK_SECONDS:
        return index
    with _lock:
        index = _state["index"]
        if index is not None and index.token != _read_token():
            index = None
        if index is None:
            index = _Index()
            _state["index"] = index
        _state["checked"] = time.monotonic()
        return index


def _today() -> dt.date:
    now = time.monotonic()
    if now < _state["today_until"]:
        return _state["today"]
    today = dt.datetime.now(SHANGHAI).date()
    _state["today"], _state["today_until"] = today, now + 1.0
    return today


def editions_in_force(on_date: dt.date, family: str | None = None):
    """The Edition rows in force on a date (all families, or one)."""
    active = get_index().active(on_date)
    ids = [eid for fam, eids in active.items() if family is None or fam == family for eid in eids]
    return list(Edition.objects.filter(pk__in=ids))
