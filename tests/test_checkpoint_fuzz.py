"""Schemathesis against the checkpoint operations of ``/api/schema/``: whatever an inspector's
device (or anyone, for the public feed) sends, the answer is never a 500."""

import contextlib
import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.timezone import now
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from passes import signing
from passes.models import ScanEvent
from tests import factories
from tests.factories_checkpoint import make_pass

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)


@contextlib.contextmanager
def _keep_connection():
    """Keep the request signals from closing the test's connection between in-process calls."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def checkpoint_world(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PASSDESK_FEED_RATE_PER_MINUTE = 0  # the fuzzer is not a flood
    cache.clear()
    inspector = factories.UserFactory(username="fuzz-inspector", groups=["Inspectors"])
    checkpoint = factories.CheckpointFactory(code="fuzz-bridge")
    issued = make_pass()
    return {
        "token": f"Token {Token.objects.create(user=inspector).key}",
        "checkpoint": checkpoint.code,
        "code": signing.verification_url(signing.sign_pass(issued)),
        "calls": 0,
    }


def _aim(case, world):
    """Two bodies in three carry the real checkpoint, one with a genuine QR code and one with a
    fuzzed one, so generated fields reach the verdict code and not only validation errors."""
    world["calls"] += 1
    body = case.body
    if not isinstance(body, dict) or world["calls"] % 3 == 0:
        return
    body["checkpoint"] = world["checkpoint"]
    if world["calls"] % 3 == 1:
        body.update(
            code=world["code"], nonce=f"aimed-{world['calls']:04d}", scanned_at=now().isoformat()
        )
    elif not isinstance(body.get("code"), str) or not body["code"]:
        body["code"] = f"fuzzed-{world['calls']}"


@pytest.mark.parametrize("path_regex", [r"^/api/v1/scans/", r"^/api/v1/revocations/"])
def test_checkpoint_operations_never_fail_with_500(checkpoint_world, path_regex):
    from config.wsgi import application

    with _keep_connection():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures = []
    operations = [
        result.ok() for result in schema.include(path_regex=path_regex).get_all_operations()
    ]
    assert operations, path_regex
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @FUZZ_SETTINGS
        @given(case=strategy)
        def run(case):
            _aim(case, checkpoint_world)
            response = case.call(headers={"Authorization": checkpoint_world["token"]})
            case.validate_response(response, checks=[not_a_server_error])

        try:
            with _keep_connection():
                run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    if "scans" in path_regex:  # the fuzzed bodies got past validation too, not only 400s
        assert ScanEvent.objects.filter(verdict="valid").exists()
        assert ScanEvent.objects.exclude(verdict="valid").exists()
