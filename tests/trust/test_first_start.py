"""Trust works out of the box: ``passdesk_keys ensure`` (compose's ``migrate`` step and the demo)
creates the signing and trust-list keys once, so ``/api/v1/trust/`` answers from the first start;
and the admin takes the fingerprint exactly as ``passdesk_keys trust-fingerprint`` prints it."""

import base64
import io
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from passes.models import AuditEvent, PeerDeployment, SigningKey
from passes.signing import trust
from passes.trust import publish

pytestmark = pytest.mark.django_db


def keys_command(*args) -> str:
    out = io.StringIO()
    call_command("passdesk_keys", *args, stdout=out)
    return out.getvalue()


def printed_fingerprint(output: str) -> str:
    return re.search(r"fingerprint ([0-9a-f]{64})$", output, re.MULTILINE).group(1)


def test_ensure_makes_the_trust_list_answer_and_a_second_run_creates_nothing(client, settings):
    assert client.get("/api/v1/trust/").json()["error"]["code"] == "no_trust_key"

    first = keys_command("ensure")
    fingerprint = printed_fingerprint(first)
    assert "signing key" in first and "created" in first
    response = client.get("/api/v1/trust/")
    assert response.status_code == 200
    listed = trust.verify_trust_list(response.json(), pinned=fingerprint)
    signing = SigningKey.objects.get()
    assert [key.kid for key in listed.offices[0].keys] == [signing.kid]
    assert listed.offices[0].region_code == settings.PASSDESK_REGION_CODE

    key_file = settings.PASSDESK_SIGNING_KEY_DIR / publish.TRUST_KEY_FILE
    pem = key_file.read_bytes()
    assert b"ENCRYPTED" in pem  # the passphrase protects it like the signing keys
    second = keys_command("ensure")
    assert "created" not in second
    assert printed_fingerprint(second) == fingerprint
    assert SigningKey.objects.get() == signing
    assert key_file.read_bytes() == pem
    assert AuditEvent.objects.filter(action="trust_key.create").count() == 1
    assert AuditEvent.objects.filter(action="signing_key.create").count() == 1


def test_ensure_keeps_the_keys_an_operator_made_by_hand():
    signing = keys_command("create")
    made = publish.create_trust_key()
    output = keys_command("ensure")
    assert "created" not in output
    assert SigningKey.objects.get().kid in signing
    assert printed_fingerprint(output) == made


def test_a_trust_key_given_in_the_environment_is_used_not_written(settings):
    given = Ed25519PrivateKey.generate()
    seed = given.private_bytes_raw()
    settings.PASSDESK_TRUST_PRIVATE_KEY = base64.b64encode(seed).decode("ascii")
    output = keys_command("ensure")
    assert printed_fingerprint(output) == trust.fingerprint(given.public_key())
    assert not (settings.PASSDESK_SIGNING_KEY_DIR / publish.TRUST_KEY_FILE).exists()


def test_without_the_passphrase_outside_debug_no_key_is_written(settings):
    settings.DEBUG = False
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = ""
    with pytest.raises(CommandError, match="PASSDESK_SIGNING_KEY_PASSPHRASE"):
        keys_command("ensure")
    with pytest.raises(CommandError, match="PASSDESK_SIGNING_KEY_PASSPHRASE"):
        keys_command("trust-create")
    assert not SigningKey.objects.exists()
    assert not settings.PASSDESK_SIGNING_KEY_DIR.exists() or not any(
        settings.PASSDESK_SIGNING_KEY_DIR.iterdir()
    )


# --- Adding a peer with the fingerprint it read out ----------------------------------------


@pytest.fixture
def peer_fingerprint():
    """The two lines ``passdesk_keys trust-fingerprint`` prints: plain, then grouped by four."""
    publish.create_trust_key()
    plain, grouped = keys_command("trust-fingerprint").splitlines()
    assert len(grouped) == 79 and " " in grouped
    return plain, grouped


def add_peer(client, fingerprint, url="https://peer.example/api/v1/trust/"):
    return client.post(
        "/admin/passes/peerdeployment/add/",
        {"name": "湘潭", "url": url, "fingerprint": fingerprint, "is_active": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_admin_accepts_the_grouped_fingerprint_the_command_prints(
    peer_fingerprint, admin_client
):
    plain, grouped = peer_fingerprint
    form = admin_client.get("/admin/passes/peerdeployment/add/").content.decode()
    field = re.search(r"<input[^>]*name=\"fingerprint\"[^>]*>", form).group(0)
    assert "maxlength" not in field  # a browser would cut the pasted 79 characters to 64

    response = add_peer(admin_client, grouped)
    assert response.status_code == 302, response.content.decode()
    assert PeerDeployment.objects.get().fingerprint == plain


def test_other_copied_spellings_are_accepted_and_a_short_one_refused(
    peer_fingerprint, admin_client
):
    plain, grouped = peer_fingerprint
    colons = ":".join(plain[i : i + 2] for i in range(0, 64, 2)).upper()
    assert add_peer(admin_client, colons).status_code == 302
    full_width = "\u3000".join(grouped.split()) + "\n"
    assert (
        add_peer(admin_client, full_width, url="https://b.example/api/v1/trust/").status_code == 302
    )
    assert set(PeerDeployment.objects.values_list("fingerprint", flat=True)) == {plain}

    short = add_peer(admin_client, grouped[:-1], url="https://c.example/api/v1/trust/")
    assert short.status_code == 200
    assert "64 lower-case hex digits" in short.content.decode()
    assert PeerDeployment.objects.count() == 2
