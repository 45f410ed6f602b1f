"""Django's Redis cache, with one redis-py client per connection pool.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache operation, and that
constructor fills a table of a few hundred response callbacks: more CPU than the command's
own round trip, a dozen times per pass request (throttles, idempotency keys, caches). A client
over a pool is safe to share between calls (the pool hands each command a connection, and
checks for a fork), and Django keeps a cache object per thread.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
