"""Record numbers: one row-locked counter per series and scope key.

Every number the platform gives a record (registry numbers, round codes, sample codes, batch codes,
certificate numbers, and every series a new app adds) comes from here. A series is declared once, in
its app's ``numbering.py``::

    SAMPLE = numbering.register(
        numbering.Series("sample", pattern="CY{year}{n:05d}", key="{year}", model="monitoring.Sample", field="code")
    )

    code = SAMPLE.next(year=2026)                              # "CY202600042"
    numbers = CERTIFICATE.take(500, district="320707", year=2026)   # 500 numbers, one lock

``pattern`` is a ``str.format`` template ending in the serial ``{n…}``; ``key`` is the template of the
scope key (one counter per key: per year, per township, per district and year …). The parts are keyword
arguments of ``next``/``take``; ``{yy}`` is filled from ``year`` (two digits) when not given. A series
may append a check character computed over the rest (``check``: body → one character).

Allocation locks the counter row (``SELECT … FOR UPDATE``) inside the caller's transaction, which is
required: a number belongs to the transaction that stores it, so a rollback returns it and committed
numbers have no gaps and never repeat. The first use of a key creates its row race-free (insert that
ignores a conflict, then lock) and seeds it from the highest number already stored for that key, so
records written before the series had a counter (or loaded by hand) are never numbered again.
Keep the allocation late in the transaction (it serialises the series' writers until commit), and when
one transaction takes numbers of several keys, take them in sorted key order (no deadlocks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models.functions import Length

from .models import NumberCounter

__all__ = ["SERIES", "Series", "allocate", "register", "seed_counters"]

_SERIAL = re.compile(r"(?P<head>.*)\{n(?::(?P<spec>[^{}]*))?\}", re.S)


class Series:
    """How the numbers of one series look and where they are stored (for seeding a new counter)."""

    def __init__(
        self,
        name: str,
        *,
        pattern: str,
        key: str = "",
        model: str,
        field: str,
        check: Callable[[str], str] | None = None,
    ) -> None:
        m = _SERIAL.fullmatch(pattern)
        if not m or "{n" in m.group("head"):
            raise ImproperlyConfigured(
                f"Series {name}: the pattern must end in the serial {{n…}}: {pattern!r}"
            )
        if len(name) > NumberCounter._meta.get_field("series").max_length:
            raise ImproperlyConfigured(f"Series name too long: {name!r}")
        self.name = name
        self.pattern = pattern
        self.key_pattern = key
        self.model = model
        self.field = field
        self.check = check
        self._head = m.group("head")
        self._spec = m.group("spec") or "d"

    def __repr__(self) -> str:
        return f"<Series {self.name} {self.pattern!r}>"

    # ------------------------------------------------------------ formats
    @staticmethod
    def _parts(parts: dict) -> dict:
        if "year" in parts and "yy" not in parts:
            parts = {**parts, "yy": f"{int(parts['year']) % 100:02d}"}
        return parts

    def key(self, **parts) -> str:
        """The scope key of these parts (which counter they use)."""
        return self.key_pattern.format(**self._parts(parts))

    def prefix(self, **parts) -> str:
        """The text before the serial, e.g. "CY2026"."""
        return self._head.format(**self._parts(parts))

    def format(self, n: int, **parts) -> str:
        """Number ``n`` of the series, check character included."""
        return self._with_prefix(self.prefix(**parts), n)

    def _with_prefix(self, prefix: str, n: int) -> str:
        body = prefix + format(n, self._spec)
        return body + self.check(body) if self.check else body

    def serial(self, number: str, **parts) -> int | None:
        """The serial of a stored number of these parts (None when it is not one of this series)."""
        prefix = self.prefix(**parts)
        end = len(number) - (1 if self.check else 0)
        digits = number[len(prefix) : end]
        if not number.startswith(prefix) or not digits.isdigit():
            return None
        if self.check and self._with_prefix(prefix, int(digits)) != number:
            return None
        return int(digits)

    # ------------------------------------------------------------ numbers
    def next(self, **parts) -> str:
        """The next number (inside the transaction that stores it)."""
        return self.take(1, **parts)[0]

    def take(self, count: int, **parts) -> list[str]:
        """``count`` consecutive numbers under one lock (inside the transaction that stores them)."""
        prefix = self.prefix(**parts)
        serials = allocate(self, key=self.key(**parts), count=count, seed=lambda: self.highest(**parts))
        return [self._with_prefix(prefix, n) for n in serials]

    def highest(self, **parts) -> int:
        """The highest serial stored for these parts (0 if none): where a new counter starts."""
        prefix = self.prefix(**parts)
        model = apps.get_model(self.model)
        pattern = "^" + re.escape(prefix) + r"[0-9]+" + (".$" if self.check else "$")
        values = (
            model._base_manager.filter(
                **{f"{self.field}__startswith": prefix, f"{self.field}__regex": pattern}
            )
            .order_by(Length(self.field).desc(), f"-{self.field}")
            .values_list(self.field, flat=True)
        )
        for value in values[:50]:  # the first that really is one of ours (a wrong check character is not)
            n = self.serial(value, **parts)
            if n is not None:
                return n
        return 0


SERIES: dict[str, Series] = {}


def register(series: Series) -> Series:
    """Declare a series (once, in the app's ``numbering.py``, imported by its AppConfig.ready)."""
    known = SERIES.get(series.name)
    if known is not None and known is not series:
        raise ImproperlyConfigured(f"Number series {series.name!r} is declared twice.")
    SERIES[series.name] = series
    return series


def allocate(
    series: Series | str, *, key: str, count: int = 1, seed: Callable[[], int] | None = None
) -> list[int]:
    """Reserve ``count`` consecutive serials of ``series`` under ``key`` and return them.

    Must run inside the transaction that stores the numbers (``transaction.atomic``): the counter row
    stays locked until that transaction ends, and a rollback gives the numbers back. ``seed`` gives the
    starting point of a counter that does not exist yet (the highest serial already stored)."""
    name = series.name if isinstance(series, Series) else series
    if count < 1:
        raise ValueError("count must be at least 1")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Allocate numbers inside the transaction that stores them (transaction.atomic).")
    rows = NumberCounter.objects.select_for_update()
    counter = rows.filter(series=name, key=key).first()
    if counter is None:
        start = seed() if seed is not None else 0
        NumberCounter.objects.bulk_create(
            [NumberCounter(series=name, key=key, last=start)], ignore_conflicts=True
        )
        counter = rows.get(series=name, key=key)
    first = counter.last + 1
    NumberCounter.objects.filter(pk=counter.pk).update(last=counter.last + count)
    return list(range(first, first + count))


def seed_counters(counter_model, series: str, serials: Iterable[tuple[str, int]]) -> int:
    """Raise the counters of ``series`` to at least the highest serial per key in ``serials``
    ((key, serial) pairs, e.g. parsed from the numbers already stored). Never lowers a counter.
    For data migrations (pass the historical model); returns the number of counters written."""
    top: dict[str, int] = {}
    for key, n in serials:
        if n > top.get(key, 0):
            top[key] = n
    written = 0
    for key, n in sorted(top.items()):
        counter, created = counter_model.objects.get_or_create(series=series, key=key, defaults={"last": n})
        if created:
            written += 1
        elif counter.last < n:
            counter.last = n
            counter.save(update_fields=["last"])
            written += 1
    return written
