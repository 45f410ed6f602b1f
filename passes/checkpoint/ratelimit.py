"""A small fixed-window rate limit for the public pages, kept in Django's cache.

With the default per-process memory cache each gunicorn worker counts on its own (the limit is
per worker); configure a shared cache (Redis) in production for one count across workers.
"""

import time

from django.core.cache import cache


def client_address(request) -> str:
    # Only REMOTE_ADDR: a forwarded-for header is the client's to invent. Behind a proxy, the
    # proxy should rewrite REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips with a real-IP module).
    return request.META.get("REMOTE_ADDR", "") or "?"


def allow(request, scope: str, per_minute: int) -> bool:
    """Count this request; False once the client has made more than ``per_minute`` in the
    current minute."""
    if per_minute <= 0:
        return True
    window = int(time.time() // 60)
    key = f"passdesk:rate:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=70):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=70)
        return True
    return count <= per_minute
