"""A sliding-window counter in Django's cache, for the doors django-axes does not guard
(sign-up, uploads, the public verify page and revocation feed) and for the per-address login
limit.

A window is counted in ``SLICES`` slices, each a counter under its own cache key: an attempt
counts against the limit until the slice it fell in is more than a window old, so never more
than ``limit`` attempts get through in any stretch of ``window`` seconds (a fixed window let a
spray go on across its boundary: twice the limit in a moment). An attempt is forgotten between
``window`` and ``window * (1 + 1/SLICES)`` seconds after it was made. Only ``add``, ``incr``,
``decr`` and ``get_many`` are used, so any Django cache backend works.

With the default per-process memory cache each gunicorn worker counts on its own; set
``CACHE_URL`` to Redis in production for one count across workers.

When the cache cannot be reached (Redis restarting) the limiter fails **open**: the attempt is
allowed, not counted, and a warning is logged (at most once a minute per process). A rate limit
that turned every upload into a 500 while Redis was away would do more harm than the few
uncounted attempts; django-axes's per-username lockout, kept in the database, still stands.
"""

import contextlib
import logging
import math
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

SLICES = 10
WARN_EVERY_SECONDS = 60
_warned_at = float("-inf")


def client_address(request) -> str:
    """The client's address, as ``web.client.ClientAddressMiddleware`` (first in the chain)
    settled it from ``PASSDESK_TRUSTED_PROXIES``: a forwarded-for header from anyone but our
    own proxy is the client's to invent, and has been dropped by then."""
    return request.META.get("REMOTE_ADDR") or "?"


def _now() -> float:
    """The clock the slices are cut from (tests pin it, so no slice ends mid-test)."""
    return time.time()


def _slices(key: str, window: int, now: float) -> tuple[float, int, list[str]]:
    """(slice width, index of the current slice, keys newest first: the current slice and the
    ``SLICES`` before it)."""
    width = window / SLICES
    current = int(now // width)
    keys = [f"passdesk:rate:{key}:{window}:{current - back}" for back in range(SLICES + 1)]
    return width, current, keys


def _cache_unavailable(error: Exception) -> None:
    global _warned_at
    now = time.monotonic()
    if now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning("rate limits are not counted, the cache is unavailable: %r", error)


def count(key: str, window: int) -> int:
    """How many attempts were counted for ``key`` in the last ``window`` seconds (0 while the
    cache is unavailable)."""
    _width, _current, keys = _slices(key, window, _now())
    try:
        return sum(cache.get_many(keys).values())
    except Exception as error:  # noqa: BLE001 - any cache failure: fail open
        _cache_unavailable(error)
        return 0


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt; False (and the attempt not counted) once ``limit`` attempts were
    counted in the last ``window`` seconds. A limit of 0 or less means no limit. True while the
    cache is unavailable (fail open, logged)."""
    if limit <= 0:
        return True
    _width, _current, keys = _slices(key, window, _now())
    mine, older = keys[0], keys[1:]
    timeout = int(window + window / SLICES) + 5
    try:
        cache.add(mine, 0, timeout=timeout)
        try:
            in_slice = cache.incr(mine)
        except ValueError:  # evicted between add and incr
            cache.set(mine, 1, timeout=timeout)
            in_slice = 1
        total = in_slice
        if in_slice <= limit:  # else refused without reading the older slices
            total += sum(cache.get_many(older).values())
        if total <= limit:
            return True
        # A refused attempt is not counted: a client that keeps knocking is let in again once
        # the attempts that were allowed have aged out, not never.
        with contextlib.suppress(ValueError):  # evicted meanwhile
            cache.decr(mine)
        return False
    except Exception as error:  # noqa: BLE001 - any cache failure: fail open
        _cache_unavailable(error)
        return True


def retry_after(key: str, limit: int, window: int) -> int:
    """Whole seconds until ``hit`` would let one more attempt through (the Retry-After
    header): until enough of the oldest counted slices have aged out."""
    now = _now()
    width, current, keys = _slices(key, window, now)
    try:
        counts = cache.get_many(keys)
    except Exception as error:  # noqa: BLE001 - the cache is away; hit() lets the next one in
        _cache_unavailable(error)
        return 1
    total = sum(counts.values())
    if total < limit:
        return 1
    for back in range(SLICES, -1, -1):  # oldest first
        total -= counts.get(keys[back], 0)
        if total < limit:
            leaves_at = (current - back + SLICES + 1) * width  # that slice stops counting
            return max(1, math.ceil(leaves_at - now))
    return max(1, math.ceil(window + width))
