"""A small fixed-window counter in Django's cache, for the doors django-axes does not guard
(sign-up, uploads, the public verify page and revocation feed).

With the default per-process memory cache each gunicorn worker counts on its own; set
``CACHE_URL`` to Redis in production for one count across workers.
"""

import time

from django.core.cache import cache


def client_address(request) -> str:
    """The client's address, as ``web.client.ClientAddressMiddleware`` (first in the chain)
    settled it from ``PASSDESK_TRUSTED_PROXIES``: a forwarded-for header from anyone but our
    own proxy is the client's to invent, and has been dropped by then."""
    return request.META.get("REMOTE_ADDR") or "?"


def _now() -> float:
    """The clock the windows are cut from (tests pin it, so no window ends mid-test)."""
    return time.time()


def count(key: str, window: int) -> int:
    """How many attempts were counted for ``key`` in the current window."""
    return cache.get(f"passdesk:rate:{key}:{int(_now() // window)}", 0)


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt; False once more than ``limit`` were made in the current window.
    A limit of 0 or less means no limit."""
    if limit <= 0:
        return True
    bucket = f"passdesk:rate:{key}:{int(_now() // window)}"
    cache.add(bucket, 0, timeout=window + 5)
    try:
        count = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        count = 1
    return count <= limit
