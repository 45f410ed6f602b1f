"""Signed pass tokens and signing keys."""

import base64
import datetime
import json
import stat
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from passes.models import AuditEvent, SigningKey
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from passes.signing.tokens import Verdict

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW_FROM = datetime.datetime(2026, 11, 28, 0, 0, tzinfo=SHANGHAI)
WINDOW_UNTIL = datetime.datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _inside_the_window(request, time_machine):
    """The tokens carry a fixed window (so that edges can be named); the clock is set inside
    it, so that nothing here depends on today. A test with a real worker keeps the clock its
    worker shares."""
    if request.node.get_closest_marker("redis") is None:
        time_machine.move_to(WINDOW_FROM + datetime.timedelta(days=2))


def make_signer():
    private = Ed25519PrivateKey.generate()
    return signing.Signer(signing.key_id_for(private.public_key()), private)


def ring_of(*signers, withdrawn_at=None):
    ring = signing.Keyring()
    for signer in signers:
        ring.add(
            signing.PublicKeyInfo(
                signer.kid, signer.private_key.public_key(), withdrawn_at=withdrawn_at
            )
        )
    return ring


def token_for(signer, plate="湘B12345", number="430200000123"):
    return signing.sign_claims(
        signer, number=number, plate=plate, valid_from=WINDOW_FROM, valid_until=WINDOW_UNTIL
    )


def test_round_trip_keeps_every_claim():
    signer = make_signer()
    token = token_for(signer, plate="湘b·d12345")
    claims = signing.verify_token(token, ring_of(signer))
    assert claims.number == "430200000123"
    assert claims.plate == "湘BD12345"
    assert claims.valid_from == WINDOW_FROM
    assert claims.valid_until == WINDOW_UNTIL
    assert claims.kid == signer.kid
    assert claims.grouped_number == "430200 000123"


def test_token_is_compact_base32():
    token = token_for(make_signer())
    # 18 header bytes + 9 plate bytes (湘 is 3 in UTF-8) + 64 signature bytes = 91 bytes.
    assert len(token) == 146
    assert len(token_for(make_signer(), plate="湘BD12345")) == 148
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_changing_any_single_byte_is_detected():
    signer = make_signer()
    ring = ring_of(signer)
    token = token_for(signer)
    blob = base64.b32decode(token + "=" * (-len(token) % 8))
    reasons = set()
    for position in range(len(blob)):
        for flip in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[position] ^= flip
            forged = base64.b32encode(bytes(tampered)).decode().rstrip("=")
            with pytest.raises(signing.TokenError) as caught:
                signing.verify_token(forged, ring)
            reasons.add(caught.value.reason)
            assert caught.value.verdict == Verdict.FORGED
    # The key id bytes give "unknown key", the version byte "malformed", the rest "forged".
    assert {"forged", "unknown_key", "malformed"} <= reasons


def test_changing_any_character_of_the_text_is_detected():
    signer = make_signer()
    ring = ring_of(signer)
    token = token_for(signer)
    for position, char in enumerate(token):
        replacement = "A" if char != "A" else "B"
        with pytest.raises(signing.TokenError):
            signing.verify_token(token[:position] + replacement + token[position + 1 :], ring)


@pytest.mark.parametrize(
    "text", ["", "hello", "http://example.com/v/", "A" * 148, "湘B12345", "a" * 500, "AAAA====="]
)
def test_garbage_is_malformed(text):
    with pytest.raises(signing.MalformedToken):
        signing.verify_token(text, ring_of(make_signer()))


def test_token_signed_by_another_key_with_same_id_is_forged():
    genuine, impostor = make_signer(), make_signer()
    # The impostor claims the genuine key id but signs with its own key.
    token = token_for(signing.Signer(genuine.kid, impostor.private_key))
    with pytest.raises(signing.ForgedToken):
        signing.verify_token(token, ring_of(genuine))


def test_unknown_key_is_reported_as_such():
    with pytest.raises(signing.UnknownKey) as caught:
        signing.verify_token(token_for(make_signer()), ring_of(make_signer()))
    assert caught.value.reason == "unknown_key"


def test_withdrawn_key_stops_verifying_from_its_withdrawal():
    signer = make_signer()
    withdrawn_at = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)
    ring = ring_of(signer, withdrawn_at=withdrawn_at)
    token = token_for(signer)
    with pytest.raises(signing.WithdrawnKey):
        signing.verify_token(token, ring, at=withdrawn_at)
    earlier = withdrawn_at - datetime.timedelta(seconds=1)
    assert signing.verify_token(token, ring, at=earlier).number == "430200000123"


def test_validity_edges_in_shanghai_time():
    claims = signing.verify_token(token_for(signer := make_signer()), ring_of(signer))
    just_before = datetime.datetime(2026, 11, 27, 23, 59, 59, tzinfo=SHANGHAI)
    assert signing.verdict_for(claims, just_before) == Verdict.NOT_YET_VALID
    assert signing.verdict_for(claims, WINDOW_FROM) == Verdict.VALID
    # Midnight in Shanghai is 16:00 UTC the day before: the same instant either way.
    utc_midnight = datetime.datetime(2026, 11, 27, 16, 0, tzinfo=datetime.UTC)
    assert signing.verdict_for(claims, utc_midnight) == Verdict.VALID
    assert signing.verdict_for(claims, utc_midnight - datetime.timedelta(seconds=1)) == (
        Verdict.NOT_YET_VALID
    )
    last_second = datetime.datetime(2026, 12, 4, 23, 59, 59, tzinfo=SHANGHAI)
    assert signing.verdict_for(claims, last_second) == Verdict.VALID
    assert signing.verdict_for(claims, WINDOW_UNTIL) == Verdict.EXPIRED
    with pytest.raises(ValueError):
        signing.verdict_for(claims, datetime.datetime(2026, 12, 1))  # naive: ambiguous


def test_revocation_and_plate_mismatch_verdicts():
    signer = make_signer()
    claims = signing.verify_token(token_for(signer), ring_of(signer))
    inside = WINDOW_FROM + datetime.timedelta(days=1)
    assert signing.verdict_for(claims, inside, revoked_numbers={"430200000123"}) == "revoked"
    assert signing.verdict_for(claims, inside, revoked_numbers={"430200000124"}) == "valid"
    # Revoked wins over expired: the inspector learns the stronger fact.
    after = WINDOW_UNTIL + datetime.timedelta(days=1)
    assert signing.verdict_for(claims, after, revoked_numbers={"430200000123"}) == "revoked"
    assert signing.verdict_for(claims, inside, plate="湘B54321") == Verdict.PLATE_MISMATCH
    assert signing.verdict_for(claims, inside, plate="湘b 12345") == Verdict.VALID


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8000", "https://passdesk.jtj.zhuzhou.gov.cn:8443/passdesk"],
)
def test_qr_stays_at_version_10_or_lower_with_the_longest_plate(base_url):
    longest = max(
        ["湘B12345", "湘BD12345", "湘B12345D", "湘B1234挂"], key=lambda p: len(p.encode())
    )
    token = token_for(make_signer(), plate=longest, number="999999999999")
    qr = signing.make_qr(token, base_url)
    assert qr.error == "M"
    assert qr.version <= 10
    assert signing.token_from_qr_text(signing.verification_url(token, base_url)) == token


def test_token_from_qr_text_accepts_url_or_bare_token():
    token = token_for(make_signer())
    assert signing.token_from_qr_text(f" https://x.example/v/{token}/?utm=1 ") == token
    assert signing.token_from_qr_text(token.lower()) == token
    assert signing.token_from_qr_text(token) == token


def test_keyring_from_published_json_rejects_mismatched_ids():
    signer = make_signer()
    raw = signing.raw_public_key(signer.private_key.public_key())
    entry = {"kid": signer.kid, "public_key": base64.b64encode(raw).decode()}
    assert signing.Keyring.from_json({"keys": [entry]}).get(signer.kid) is not None
    with pytest.raises(ValueError):
        signing.Keyring.from_json({"keys": [{**entry, "kid": "00000000"}]})


# --- Server keys -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_created_key_is_a_0600_file_and_only_public_half_in_db(settings):
    record = signing_keys.create_key()
    path = settings.PASSDESK_SIGNING_KEY_DIR / f"{record.kid}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    # Nothing private anywhere in the signing key table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM passes_signingkey")
        row_text = " ".join(str(value) for value in cursor.fetchone())
    assert "PRIVATE" not in row_text
    private = signing_keys.load_private_key(record.kid)
    assert base64.b64encode(signing.raw_public_key(private.public_key())).decode() in row_text
    assert AuditEvent.objects.filter(action="signing_key.create").exists()


@pytest.mark.django_db
def test_passphrase_encrypts_the_key_file(settings):
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = "correct horse"
    record = signing_keys.create_key()
    path = settings.PASSDESK_SIGNING_KEY_DIR / f"{record.kid}.pem"
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    signing_keys.clear_cache()
    assert signing_keys.load_private_key(record.kid) is not None
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = "wrong"
    signing_keys.clear_cache()
    with pytest.raises(ValueError):
        signing_keys.load_private_key(record.kid)


@pytest.mark.django_db
def test_rotation_old_passes_verify_new_key_signs():
    from tests.factories import submittable_request
    from tests.factories.issuing import make_passes

    old_pass, new_pass = make_passes(submittable_request(vehicles=2))
    old_token = signing_keys.sign_pass(old_pass)
    old_kid = signing.verify_token(old_token, signing_keys.server_keyring()).kid
    new_record = signing_keys.rotate_key()
    assert new_record.kid != old_kid
    assert SigningKey.objects.get(kid=old_kid).retired_at is not None
    new_token = signing_keys.sign_pass(new_pass)
    assert signing.verify_token(new_token, signing_keys.server_keyring()).kid == new_record.kid
    # Passes printed before the rotation still verify.
    assert signing.verify_token(old_token, signing_keys.server_keyring()).number == old_pass.number


@pytest.mark.django_db
def test_withdrawn_key_no_longer_verifies_on_the_server():
    from tests.factories import submittable_request
    from tests.factories.issuing import make_passes

    (pass_obj,) = make_passes(submittable_request())
    token = signing_keys.sign_pass(pass_obj)
    kid = signing.verify_token(token, signing_keys.server_keyring()).kid
    call_command("passdesk_keys", "withdraw", kid, "--reason", "laptop stolen")
    with pytest.raises(signing.WithdrawnKey):
        signing.verify_token(token, signing_keys.server_keyring())
    # A fresh key signs from now on.
    assert (
        signing.verify_token(signing_keys.sign_pass(pass_obj), signing_keys.server_keyring()).kid
        != kid
    )


@pytest.mark.django_db
def test_no_key_and_no_auto_create_is_a_clear_error(settings):
    settings.PASSDESK_SIGNING_AUTO_CREATE = False
    with pytest.raises(signing_keys.SigningKeyError, match="passdesk_keys create"):
        signing_keys.current_signer()


@pytest.mark.django_db
def test_environment_key_signs_and_is_published(settings):
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    settings.PASSDESK_SIGNING_PRIVATE_KEY = base64.b64encode(seed).decode()
    signer = signing_keys.current_signer()
    assert signer.kid == signing.key_id_for(private.public_key())
    published = signing_keys.public_keys_document()
    assert [key["kid"] for key in published["keys"]] == [signer.kid]
    key_dir = settings.PASSDESK_SIGNING_KEY_DIR
    assert not key_dir.exists() or not list(key_dir.glob("*.pem"))


@pytest.mark.django_db
def test_management_command_lists_and_exports(tmp_path, capsys):
    call_command("passdesk_keys", "create")
    call_command("passdesk_keys", "rotate")
    call_command("passdesk_keys", "list")
    listing = capsys.readouterr().out
    assert "retired" in listing and "active" in listing
    target = tmp_path / "keys.json"
    call_command("passdesk_keys", "export-public", "--output", str(target))
    document = json.loads(target.read_text())
    assert [key["state"] for key in document["keys"]] == ["retired", "active"]
    ring = signing.Keyring.from_json(document)
    assert set(ring.keys) == set(SigningKey.objects.values_list("kid", flat=True))


# --- Hardening: encryption required, withdrawn halves destroyed, withdrawal seen at once ------


@pytest.mark.django_db
def test_outside_debug_a_private_key_is_never_written_unencrypted(settings):
    settings.DEBUG = False
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = ""
    with pytest.raises(signing_keys.SigningKeyError, match="PASSDESK_SIGNING_KEY_PASSPHRASE"):
        signing_keys.create_key()
    assert not any(settings.PASSDESK_SIGNING_KEY_DIR.glob("*.pem"))
    assert not SigningKey.objects.exists()
    settings.DEBUG = True  # the embedded demo may keep a plain development key
    record = signing_keys.create_key()
    path = settings.PASSDESK_SIGNING_KEY_DIR / f"{record.kid}.pem"
    assert b"ENCRYPTED" not in path.read_bytes()


@pytest.mark.django_db(transaction=True)
def test_withdrawing_a_key_destroys_its_private_half(settings):
    record = signing_keys.create_key()
    path = settings.PASSDESK_SIGNING_KEY_DIR / f"{record.kid}.pem"
    assert path.exists()
    signing_keys.withdraw_key(record.kid, reason="laptop stolen")
    assert not path.exists()
    signing_keys.clear_cache()
    assert signing_keys.load_private_key(record.kid) is None


@pytest.mark.django_db
def test_a_withdrawal_by_another_process_counts_at_once_here():
    from tests.factories import submittable_request
    from tests.factories.issuing import make_passes

    (pass_obj,) = make_passes(submittable_request())
    token = signing_keys.sign_pass(pass_obj)
    # this process now holds the key ring
    kid = signing.verify_token(token, signing_keys.server_keyring()).kid
    # Another process (the admin on another web node, the passdesk_keys command) withdraws
    # the key: only the database changes, nothing in this process is told.
    now = timezone.now()
    SigningKey.objects.filter(kid=kid).update(withdrawn_at=now, retired_at=now)
    with pytest.raises(signing.WithdrawnKey):
        signing.verify_token(token, signing_keys.server_keyring())


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_a_shared_cache_a_withdrawal_elsewhere_counts_at_once_and_costs_no_query(
    settings, django_assert_num_queries
):
    """Behind several processes CACHE_URL points at Redis: the hot path reads one version
    number from it instead of querying the key table."""
    from django.core.cache import caches

    from tests.factories import submittable_request
    from tests.factories.issuing import make_passes

    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-signing-{id(settings)}",
        }
    }
    caches["default"].delete(signing_keys.VERSION_CACHE_KEY)
    (pass_obj,) = make_passes(submittable_request())
    token = signing_keys.sign_pass(pass_obj)
    kid = signing.verify_token(token, signing_keys.server_keyring()).kid
    with django_assert_num_queries(0):
        signing.verify_token(token, signing_keys.server_keyring())
    # Another process withdraws the key: its table change and its announcement, nothing else.
    now = timezone.now()
    SigningKey.objects.filter(kid=kid).update(withdrawn_at=now, retired_at=now)
    signing_keys._bump_version()
    with pytest.raises(signing.WithdrawnKey):
        signing.verify_token(token, signing_keys.server_keyring())
    caches["default"].delete(signing_keys.VERSION_CACHE_KEY)
