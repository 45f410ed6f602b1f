"""The rate limiter counts over a sliding window (a spray cannot go on across a window's
boundary), lets a refused client in again once its attempts have aged out, and fails open,
logged, when the cache cannot be reached."""

import logging
import random

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from passes import ratelimit
from tests import factories, fixtures_files
from tests.api_support import API
from tests.api_support import client_for as api_client_for
from tests.portal_helpers import member
from tests.smtp_sink import free_port

WINDOW = 900


class Clock:
    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # Just before a 15-minute boundary of the old fixed windows.
    clock = Clock(1_800_000_000.0 - 1_800_000_000.0 % WINDOW + WINDOW - 5)
    monkeypatch.setattr(ratelimit, "_now", clock)
    cache.clear()
    yield clock
    cache.clear()


@pytest.fixture
def cache_away(settings):
    """The cache is Redis on a port nobody listens on (Redis restarting, or down)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
        }
    }
    ratelimit._warned_at = float("-inf")
    yield
    ratelimit._warned_at = float("-inf")


def test_a_spray_does_not_go_on_across_a_window_boundary(clock):
    assert all(ratelimit.hit("spray", 30, WINDOW) for _ in range(30))
    assert ratelimit.count("spray", WINDOW) == 30
    clock.now += 10  # past the boundary where a fixed window started counting from zero
    assert not ratelimit.hit("spray", 30, WINDOW)
    clock.now += WINDOW - 20  # still within a window of the burst
    assert not ratelimit.hit("spray", 30, WINDOW)
    assert ratelimit.count("spray", WINDOW) == 30  # refused attempts are not counted
    clock.now += WINDOW / ratelimit.SLICES + 20  # the burst has aged out
    assert ratelimit.count("spray", WINDOW) == 0
    assert ratelimit.hit("spray", 30, WINDOW)


def test_never_more_than_the_limit_in_any_stretch_of_the_window(clock):
    """Attempts at random moments over ten windows: whatever moment one looks back from, the
    allowed attempts of the last window never exceed the limit, and the limiter does not
    starve a client that keeps knocking."""
    rng = random.Random(26)
    limit, window = 12, 60
    allowed = []
    for _ in range(1500):
        clock.now += rng.expovariate(1 / 0.4)  # about 150 attempts a minute
        if ratelimit.hit("random", limit, window):
            allowed.append(clock.now)
    for index, moment in enumerate(allowed):
        recent = [t for t in allowed[: index + 1] if t > moment - window]
        assert len(recent) <= limit
    minutes = (allowed[-1] - allowed[0]) / window
    assert len(allowed) >= limit * minutes * 0.8


def test_retry_after_says_when_the_next_attempt_gets_through(clock):
    for _ in range(5):
        clock.now += 7
        assert ratelimit.hit("retry", 5, 60)
    assert not ratelimit.hit("retry", 5, 60)
    wait = ratelimit.retry_after("retry", 5, 60)
    assert 60 - 28 < wait <= 66
    clock.now += wait - 1
    assert not ratelimit.hit("retry", 5, 60)
    clock.now += 1
    assert ratelimit.hit("retry", 5, 60)
    assert not ratelimit.hit("retry", 5, 60)


def test_the_limiter_fails_open_and_says_so_once_when_the_cache_is_away(cache_away, caplog):
    with caplog.at_level(logging.WARNING, logger="passes.ratelimit"):
        assert all(ratelimit.hit("anyone", 2, 60) for _ in range(5))
        assert ratelimit.count("anyone", 60) == 0
        assert ratelimit.retry_after("anyone", 2, 60) == 1
    warnings = [r for r in caplog.records if "cache is unavailable" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.django_db
def test_uploads_and_the_login_limit_go_on_while_the_cache_is_away(
    cache_away, settings, monkeypatch
):
    """The issue's 500: the upload throttle's unguarded cache call. Now the upload is stored,
    and a sign-in still answers (the per-address limit counts nothing meanwhile)."""
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "uploads", "2/min")
    enterprise = factories.EnterpriseFactory()
    applicant = member(enterprise)
    draft = factories.submittable_request(enterprise=enterprise)
    api = api_client_for(applicant)
    statuses = [
        api.post(
            f"{API}/requests/{draft.pk}/documents/",
            {
                "file": fixtures_files.upload(f"letter{n}.jpg", fixtures_files.jpeg_bytes(320 + n)),
                "kind": "commitment_letter",
            },
            format="multipart",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [201] * 4
    settings.AXES_ENABLED = True
    response = Client().post(reverse("login"), {"username": applicant.username, "password": "x"})
    assert response.status_code == 200  # the form again, with its error; not a 500
