"""Trust between deployments: the signed trust list, pulling a peer over loopback HTTP, and a
peer's pass at every verifier here (scan API on both paths, /v/, the offline keys, the CLI)."""

import datetime
import io
import json
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.checkpoint import fastscan
from passes.models import AuditEvent, PeerDeployment, PeerRevocation
from passes.signing import tokens, trust
from passes.signing import verify as offline
from passes.trust import publish, pull
from tests import factories
from tests.api_support import assert_error
from tests.trust.peer import PeerDeploymentDouble

pytestmark = pytest.mark.django_db


@pytest.fixture
def peer_a(settings):
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = True
    settings.PASSDESK_TRUST_REQUIRE_HTTPS = False
    peer = PeerDeploymentDouble().start()
    peer.publish()
    yield peer
    peer.stop()


@pytest.fixture
def registered(peer_a):
    return PeerDeployment.objects.create(
        name="Changsha", url=f"{peer_a.base_url}/trust/", fingerprint=peer_a.fingerprint
    )


@pytest.fixture
def checkpoint(db):
    return factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")


@pytest.fixture
def token_key(inspector):
    return Token.objects.create(user=inspector).key


def scan(token_key, checkpoint, code, *, lean=True, monkeypatch=None):
    if not lean:
        monkeypatch.setattr(fastscan, "handle", lambda request: None)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    data = {
        "code": code,
        "checkpoint": checkpoint.code,
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
    }
    response = client.post("/api/v1/scans/", json.dumps(data), content_type="application/json")
    if not lean:
        monkeypatch.undo()
    return response


# --- The format -------------------------------------------------------------------------------


def test_a_signed_list_verifies_with_the_pinned_fingerprint_only():
    peer = PeerDeploymentDouble()
    document = peer.sign()
    listed = trust.verify_trust_list(document, pinned=peer.fingerprint)
    assert listed.offices[0].region_code == "430100"
    assert peer.kid in listed.keyring().keys
    with pytest.raises(trust.UnpinnedKey):
        trust.verify_trust_list(document, pinned="0" * 64)


def test_tampered_expired_and_rolled_back_lists_are_refused():
    peer = PeerDeploymentDouble()
    document = peer.sign()
    tampered = dict(document, payload=document["payload"].replace("430100", "430200"))
    with pytest.raises(trust.BadSignature):
        trust.verify_trust_list(tampered, pinned=peer.fingerprint)
    old = peer.sign(now=timezone.now() - datetime.timedelta(days=8))
    with pytest.raises(trust.ExpiredTrustList):
        trust.verify_trust_list(old, pinned=peer.fingerprint)
    listed = trust.verify_trust_list(document, pinned=peer.fingerprint)
    with pytest.raises(trust.RolledBack):
        trust.verify_trust_list(document, pinned=peer.fingerprint, min_sequence=listed.sequence + 1)


def test_this_deployment_publishes_a_list_its_fingerprint_verifies(client, settings):
    factories.CheckpointFactory()  # any data; the first office exists from the migration
    fingerprint = publish.create_trust_key()
    assert publish.trust_fingerprint() == fingerprint
    response = client.get("/api/v1/trust/")
    assert response.status_code == 200
    listed = trust.verify_trust_list(response.json(), pinned=fingerprint)
    assert [o.region_code for o in listed.offices] == [settings.PASSDESK_REGION_CODE]
    assert listed.offices[0].revocations_url.endswith("/api/v1/revocations/")


def test_without_a_trust_key_the_endpoint_says_so(client):
    """In the API's one error shape, like every other /api/v1/ answer."""
    assert_error(client.get("/api/v1/trust/"), 503, "no_trust_key")


# --- Pulling and verifying ----------------------------------------------------------------------


def test_a_pulled_peer_pass_is_valid_on_both_scan_paths_naming_its_office(
    registered, peer_a, token_key, checkpoint, monkeypatch
):
    code = tokens.verification_url(peer_a.token(), "https://changsha.example")
    before = scan(token_key, checkpoint, code).json()
    assert before["verdict"]["code"] == "forged"  # not trusted yet
    assert pull.pull_peer(registered.pk)
    fast = scan(token_key, checkpoint, code)
    slow = scan(token_key, checkpoint, code, lean=False, monkeypatch=monkeypatch)
    assert fast.status_code == slow.status_code == 201
    fast, slow = fast.json(), slow.json()
    assert fast["verdict"]["code"] == "valid"
    assert fast["peer_pass"]["office"] == "长沙市交通运输局"
    assert fast["peer_pass"]["deployment"] == "Changsha passdesk"
    for data in (fast, slow):
        for key in ("id", "nonce", "received_at", "scanned_at"):
            data.pop(key)
    assert fast == slow


def test_a_peer_revocation_refuses_the_pass_after_the_next_pull(
    registered, peer_a, token_key, checkpoint
):
    pull.pull_peer(registered.pk)
    code = peer_a.token()
    assert scan(token_key, checkpoint, code).json()["verdict"]["code"] == "valid"
    peer_a.revoked.append("430100000042")
    peer_a.revoked.append("430200000001")  # not the peer's region: ignored
    assert scan(token_key, checkpoint, code).json()["verdict"]["code"] == "valid"
    peer_a.publish()
    assert pull.pull_peer(registered.pk)
    assert scan(token_key, checkpoint, code).json()["verdict"]["code"] == "revoked"
    assert list(PeerRevocation.objects.values_list("number", flat=True)) == ["430100000042"]


def test_a_withdrawn_peer_key_stops_verifying(registered, peer_a, token_key, checkpoint):
    pull.pull_peer(registered.pk)
    peer_a.withdrawn_at = timezone.now() - datetime.timedelta(minutes=1)
    peer_a.publish()
    assert pull.pull_peer(registered.pk)
    answer = scan(token_key, checkpoint, peer_a.token()).json()
    assert answer["verdict"] == {
        "code": "forged",
        "label": "Forged",
        "severity": "bad",
        "reason": "withdrawn_key",
    }


def test_a_peer_key_signing_outside_its_region_is_forged(registered, peer_a, token_key, checkpoint):
    pull.pull_peer(registered.pk)
    answer = scan(token_key, checkpoint, peer_a.token(number="430200000001")).json()
    assert answer["verdict"]["code"] == "forged"
    assert answer["verdict"]["reason"] == "outside_issuer_region"


@pytest.mark.parametrize("attack", ["tampered", "unpinned", "rolled_back", "expired"])
def test_a_bad_list_is_refused_the_last_good_kept_and_officers_told(
    attack, registered, peer_a, token_key, checkpoint, admin_client
):
    good = peer_a.publish()
    assert pull.pull_peer(registered.pk)
    if attack == "tampered":
        peer_a.publish(dict(good, payload=good["payload"].replace("长沙", "伪造")))
    elif attack == "unpinned":
        other = PeerDeploymentDouble()
        other.signing_key, other.kid = peer_a.signing_key, peer_a.kid
        other.server = peer_a.server
        peer_a.publish(other.sign())
    elif attack == "rolled_back":
        peer_a.publish(sequence=1)
    else:
        peer_a.publish(now=timezone.now() - datetime.timedelta(days=8))
    assert not pull.pull_peer(registered.pk)
    registered.refresh_from_db()
    assert registered.trust_list == good
    assert registered.last_error
    event = AuditEvent.objects.filter(action="peer.trust_list_refused").get()
    assert event.data["reason"] == {"tampered": "bad_signature"}.get(attack, attack).replace(
        "unpinned", "unpinned_key"
    )
    # The last good list still verifies the peer's passes.
    assert scan(token_key, checkpoint, peer_a.token()).json()["verdict"]["code"] == "valid"
    page = admin_client.get("/admin/passes/peerdeployment/", HTTP_ACCEPT_LANGUAGE="en")
    assert "The last trust list from Changsha was refused" in page.content.decode()


def test_a_peer_claiming_our_region_code_is_refused(registered, peer_a, settings):
    peer_a.region_code = settings.PASSDESK_REGION_CODE
    peer_a.publish()
    assert not pull.pull_peer(registered.pk)
    registered.refresh_from_db()
    assert registered.trust_list is None
    assert registered.last_error
    assert AuditEvent.objects.get(action="peer.trust_list_refused").data["reason"] == "local_region"


def test_public_page_names_the_peer_office(registered, peer_a, client):
    pull.pull_peer(registered.pk)
    page = client.get(f"/v/{peer_a.token()}", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "长沙市交通运输局" in text and "Changsha passdesk" in text


def test_offline_keys_carry_peer_keys_and_revocations(registered, peer_a, client):
    peer_a.revoked.append("430100000042")
    pull.pull_peer(registered.pk)
    data = client.get("/api/v1/trust/keys/").json()
    entry = next(k for k in data["keys"] if k["kid"] == peer_a.kid)
    assert entry["office"] == "长沙市交通运输局" and entry["region_code"] == "430100"
    assert data["peer_revoked"] == ["430100000042"]


def test_the_loopback_guard_refuses_a_peer_unless_allowed(registered, peer_a, settings):
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = False
    assert not pull.pull_peer(registered.pk)
    registered.refresh_from_db()
    assert "127.0.0.1" in registered.last_error
    assert registered.trust_list is None
    assert AuditEvent.objects.get(action="peer.trust_list_refused").data["reason"] == "unreachable"


# --- The CLI ------------------------------------------------------------------------------------


def test_cli_verifies_a_peer_pass_with_its_trust_list(tmp_path):
    peer = PeerDeploymentDouble()
    (tmp_path / "keys.json").write_text(json.dumps({"keys": []}))
    (tmp_path / "trust.json").write_text(json.dumps(peer.sign()))
    args = ["--keys", str(tmp_path / "keys.json"), "--trust", str(tmp_path / "trust.json")]
    out = io.StringIO()
    code = offline.main([*args, "--pin", peer.fingerprint, "--token", peer.token()], stream=out)
    assert code == 0
    assert "issued by:   长沙市交通运输局 (430100, Changsha passdesk)" in out.getvalue()
    revoked = tmp_path / "revoked.json"
    revoked.write_text(json.dumps({"revoked": [{"number": "430100000042", "status": "revoked"}]}))
    code = offline.main(
        [*args, "--pin", peer.fingerprint, "--revocations", str(revoked), "--token", peer.token()],
        stream=io.StringIO(),
    )
    assert code == 5
    code = offline.main([*args, "--pin", "0" * 64, "--token", peer.token()], stream=io.StringIO())
    assert code == offline.EXIT_UNUSABLE
