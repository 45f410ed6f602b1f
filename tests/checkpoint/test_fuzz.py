"""Schemathesis against the checkpoint operations of ``/api/schema/``: whatever an inspector's
device (or anyone, for the public feed) sends, the answer is never a 500."""

import pytest
from django.core.cache import cache
from django.utils.timezone import now
from rest_framework.authtoken.models import Token

from passes.models import ScanEvent
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.checkpoint import make_pass
from tests.fuzzing import fuzz, load_schema


@pytest.fixture
def checkpoint_world(db, settings):
    settings.PASSDESK_FEED_RATE_PER_MINUTE = 0  # the fuzzer is not a flood
    cache.clear()
    inspector = factories.UserFactory(username="fuzz-inspector", groups=["Inspectors"])
    checkpoint = factories.CheckpointFactory(code="fuzz-bridge")
    issued = make_pass()
    return {
        "token": f"Token {Token.objects.create(user=inspector).key}",
        "checkpoint": checkpoint.code,
        "code": signing.verification_url(signing_keys.sign_pass(issued)),
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
    failures = fuzz(
        load_schema(),
        path_regex,
        checkpoint_world["token"],
        lambda case: _aim(case, checkpoint_world),
    )
    assert not failures, "\n\n".join(failures)
    if "scans" in path_regex:  # the fuzzed bodies got past validation too, not only 400s
        assert ScanEvent.objects.filter(verdict="valid").exists()
        assert ScanEvent.objects.exclude(verdict="valid").exists()
