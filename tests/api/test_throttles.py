"""Throttles are exact under concurrency: N requests at once under a limit of L let exactly L
through (DRF's own list-in-the-cache throttle let 12 tokens out under 10/min)."""

import sys
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import translation

from passes.api.throttles import AtomicScopedRateThrottle
from tests.api_support import API, client_for
from tests.factories import UserFactory

LIMIT = 10
ATTEMPTS = 40


class _View:
    throttle_scope = "auth"


def _concurrently(function, count):
    """Run ``function(index)`` in ``count`` threads released at once; their results."""
    results = [None] * count
    errors = []
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = function(index)
        except BaseException as error:  # noqa: BLE001 - asserted by the caller
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the threads as a busy server does
    try:
        threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    return results


def _allowed_from_one_address():
    request = RequestFactory().post("/api/v1/auth/token/", REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    return AtomicScopedRateThrottle().allow_request(request, _View())


@pytest.fixture
def auth_limit(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], auth=f"{LIMIT}/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF reads THROTTLE_RATES once, at class definition.
    original = AtomicScopedRateThrottle.THROTTLE_RATES
    AtomicScopedRateThrottle.THROTTLE_RATES = rates
    cache.clear()
    yield
    AtomicScopedRateThrottle.THROTTLE_RATES = original
    cache.clear()
    translation.deactivate()  # the test client's LocaleMiddleware leaves its language active


def test_concurrent_requests_get_exactly_the_limit_in_the_local_cache(auth_limit):
    results = _concurrently(lambda _index: _allowed_from_one_address(), ATTEMPTS)
    assert results.count(True) == LIMIT


@pytest.mark.redis
def test_concurrent_requests_get_exactly_the_limit_in_redis(auth_limit, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": "passdesk-test-throttles",
        }
    }
    cache.clear()
    results = _concurrently(lambda _index: _allowed_from_one_address(), ATTEMPTS)
    assert results.count(True) == LIMIT


def test_the_limit_answers_429_with_retry_after(auth_limit, db):
    user = UserFactory(username="throttled")
    client = client_for()
    statuses = [
        client.post(
            f"{API}/auth/token/", {"username": user.username, "password": "pw-for-tests-123"}
        )
        for _ in range(LIMIT + 2)
    ]
    assert [response.status_code for response in statuses].count(200) == LIMIT
    refused = statuses[-1]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 66  # a minute and one slice of it, at most


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_token_requests_issue_exactly_the_limit(auth_limit):
    from django.db import connection

    user = UserFactory(username="many-tokens")

    def ask(_index):
        try:
            response = client_for().post(
                f"{API}/auth/token/", {"username": user.username, "password": "pw-for-tests-123"}
            )
            return response.status_code
        finally:
            connection.close()

    statuses = _concurrently(ask, 16)
    assert sorted(statuses) == [200] * LIMIT + [429] * 6
