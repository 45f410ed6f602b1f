"""The Redis cache backend: Django's, keeping one redis-py client per connection pool."""

import threading

import pytest

from config.cache import RedisCache
from tests.config.test_settings import manage


@pytest.fixture
def redis_cache(settings):
    cache = RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": "passdesk-test-cache"})
    yield cache
    cache.clear()


@pytest.mark.redis
def test_values_and_counters_round_trip_through_one_client(redis_cache):
    redis_cache.set("plain", {"a": 1})
    assert redis_cache.add("counter", 0)
    assert [redis_cache.incr("counter") for _ in range(3)] == [1, 2, 3]
    assert redis_cache.get("plain") == {"a": 1}
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client() is client, "one client per pool, not one per call"


@pytest.mark.redis
def test_threads_sharing_the_client_count_exactly(redis_cache):
    redis_cache.set("shared", 0)

    def bump():
        for _ in range(50):
            redis_cache.incr("shared")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert redis_cache.get("shared") == 200


def test_a_redis_cache_url_selects_it():
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    assert shown.stdout.strip().splitlines()[-1] == "config.cache.RedisCache", shown.stderr
