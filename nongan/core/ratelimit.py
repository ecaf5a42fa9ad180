"""Per-client rate limits kept in the shared cache (``CACHES["default"]``: the database cache table, or Redis
with ``NONGAN_CACHE_URL``), so every worker process counts against the same limit.

The client is its address: ``REMOTE_ADDR``, or, only when ``NONGAN_TRUSTED_PROXY_HEADER`` names the header a
trusted reverse proxy sets (e.g. ``X-Forwarded-For``), the address that proxy saw: the
``NONGAN_TRUSTED_PROXY_COUNT``-th entry from the right (default 1: the last proxy's view). A client cannot
choose its own address by sending the header when no proxy is configured.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    header = getattr(settings, "NONGAN_TRUSTED_PROXY_HEADER", "")
    if header:
        meta = "HTTP_" + header.upper().replace("-", "_")
        hops = [h.strip() for h in request.META.get(meta, "").split(",") if h.strip()]
        count = max(1, int(getattr(settings, "NONGAN_TRUSTED_PROXY_COUNT", 1)))
        if len(hops) >= count:
            return hops[-count][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/60" → (60 requests, per 60 seconds)."""
    count, _slash, seconds = str(rate).partition("/")
    return int(count), int(seconds or 60)


def limit_for(address: str, rate: str) -> tuple[int, int]:
    count, seconds = parse_rate(rate)
    if address and address in getattr(settings, "NONGAN_RATE_RAISED_FOR", ()):
        count *= int(getattr(settings, "NONGAN_RATE_RAISED_FACTOR", 1000))
    return count, seconds


# Counts not yet added to the shared counter, per (scope, window, address), in this process.
_local: dict[tuple, list] = {}
_local_lock = threading.Lock()


def hit(scope: str, address: str, rate: str) -> int:
    """Count one request of ``address`` in ``scope``; returns 0 when allowed, else the seconds to wait.
    A fixed window per client: ``rate`` requests per window, counted in the shared cache.

    Exact for ordinary limits: each request is added to the shared counter at once. For a client with a large
    limit (a raised address) the process adds its requests in steps of up to 1 % of the limit while the
    client is below half of it, so a busy scanning station costs one shared update per step, not per request."""
    count, seconds = limit_for(address, rate)
    if count <= 0:
        return 0
    now = time.time()
    window = int(now // seconds)
    key = f"rl:{scope}:{window}:{address}"
    step = count // 100
    if step > 1:
        with _local_lock:
            entry = _local.get(key)
            if entry is None:
                if len(_local) > 10_000:
                    _local.clear()
                entry = _local[key] = [0, 0]  # [unsynced requests, shared count last seen]
            entry[0] += 1
            if entry[0] < step and entry[1] + entry[0] * 2 < count // 2:
                return 0
            delta, entry[0] = entry[0], 0
        used = _add(key, delta, seconds)
        with _local_lock:
            entry[1] = used
    else:
        used = _add(key, 1, seconds)
    if used > count:
        return max(1, int((window + 1) * seconds - now) + 1)
    return 0


def _add(key: str, delta: int, seconds: int) -> int:
    if cache.add(key, delta, timeout=seconds + 1):
        return delta
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        cache.add(key, delta, timeout=seconds + 1)
        return delta
