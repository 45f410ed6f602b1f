"""The API's throttle: DRF's scoped rates, counted atomically.

DRF's ``SimpleRateThrottle`` reads a list of timestamps from the cache, appends and writes it
back; two requests at the same moment both read the old list, so under a threaded server more
than the limit get through (12 tokens under 10/min). This one counts in the project's
sliding-window counter (``ratelimit.hit``: cache ``add`` + ``incr``, atomic in Redis and in the
local-memory cache), so the limit is exact over any stretch of the window's length. Configure
``CACHE_URL`` (Redis) when several processes serve, so they share one count. While the cache is
unavailable the throttle lets requests through (``ratelimit`` fails open and logs it).
"""

from rest_framework.throttling import ScopedRateThrottle

from .. import ratelimit


class AtomicScopedRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` (same scopes, rates and keys) with an atomic sliding-window count."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        return ratelimit.hit(f"drf:{self.key}", self.num_requests, self.duration)

    def wait(self):
        """Seconds until one more request would be let through (the Retry-After header)."""
        return ratelimit.retry_after(f"drf:{self.key}", self.num_requests, self.duration)
