"""A small fixed-window counter in Django's cache, for the doors django-axes does not guard
(sign-up, uploads, the public verify page and revocation feed).

With the default per-process memory cache each gunicorn worker counts on its own; set
``CACHE_URL`` to Redis in production for one count across workers.
"""

import time

from django.core.cache import cache


def client_address(request) -> str:
    # Only REMOTE_ADDR: a forwarded-for header is the client's to invent. Behind a trusted
    # proxy (TRUSTED_PROXIES), passes.operations.proxy has already put the client's address here.
    return request.META.get("REMOTE_ADDR", "") or "?"


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt; False once more than ``limit`` were made in the current window.
    A limit of 0 or less means no limit."""
    if limit <= 0:
        return True
    bucket = f"passdesk:rate:{key}:{int(time.time() // window)}"
    cache.add(bucket, 0, timeout=window + 5)
    try:
        count = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        count = 1
    return count <= limit
