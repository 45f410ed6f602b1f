"""Shared fixtures and the rule for service-backed tests.

Tests marked ``postgres`` need the database to be PostgreSQL; tests marked ``redis`` need a Redis
broker. Outside CI they are skipped with the reason when the service is not configured; when
``REQUIRE_SERVICES`` names a service (as ``.ci/run`` does), a missing service fails the test.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from tests.celery_worker import celery_worker, start_celery_worker  # noqa: F401 (fixtures)

CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture(autouse=True)
def _services(request):
    for name in ("postgres", "redis", "chromium"):
        if request.node.get_closest_marker(name) is None:
            continue
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
def _axes_off(settings):
    """django-axes needs ``request`` in ``authenticate`` (the test client's ``login`` has none)
    and would lock out tests that sign in often. Tests of the lockout set it back to True."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Every test writes files to its own private media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _signing_keys(settings, tmp_path):
    """Every test has its own key directory; a signing key is created on first use."""
    from passes.signing import keys as signing_keys

    settings.PASSDESK_SIGNING_KEY_DIR = tmp_path / "signing-keys"
    settings.PASSDESK_SIGNING_PRIVATE_KEY = ""
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = ""
    settings.PASSDESK_SIGNING_AUTO_CREATE = True
    from passes import roles
    from passes.trust import peers

    signing_keys.clear_cache()
    peers.clear_cache()
    roles.clear_office_cache()
    yield
    signing_keys.clear_cache()
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
