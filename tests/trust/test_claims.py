"""A region code and a key id belong to exactly one peer: a pinned peer (Xiangtan) that
publishes another peer's (Changsha's) region code or key id has its whole list refused and
audited, and Changsha's genuine passes keep verifying as Changsha's, neither revoked through
Xiangtan's feed nor forged."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation
from rest_framework.authtoken.models import Token

from passes.models import AuditEvent, PeerClaim, PeerDeployment, PeerRevocation
from passes.signing import keys as signing_keys
from passes.signing import trust
from passes.trust import pull
from tests import factories
from tests.trust.peer import PeerDeploymentDouble
from tests.trust.test_trust import scan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The messages are checked in their English source wording (the code's language; the
    site's default is zh-hans)."""
    with translation.override("en"):
        yield


class XiangtanDouble(PeerDeploymentDouble):
    region_code = "430300"
    office = "湘潭市交通运输局"
    deployment = "Xiangtan passdesk"


@pytest.fixture
def checkpoint(db):
    return factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")


@pytest.fixture
def token_key(inspector):
    return Token.objects.create(user=inspector).key


@pytest.fixture
def loopback(settings):
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = True
    settings.PASSDESK_TRUST_REQUIRE_HTTPS = False


@pytest.fixture
def changsha(loopback):
    peer = PeerDeploymentDouble().start()
    peer.publish()
    yield peer
    peer.stop()


@pytest.fixture
def xiangtan(loopback):
    peer = XiangtanDouble().start()
    peer.publish()
    yield peer
    peer.stop()


def register(peer, name) -> PeerDeployment:
    return PeerDeployment.objects.create(
        name=name, url=f"{peer.base_url}/trust/", fingerprint=peer.fingerprint
    )


@pytest.fixture
def both(changsha, xiangtan):
    """Xiangtan is registered first (the verifiers used to prefer the lower id), Changsha's
    list is accepted before Xiangtan tries anything."""
    p1 = register(xiangtan, "Xiangtan")
    p2 = register(changsha, "Changsha")
    assert pull.pull_peer(p1.pk)
    assert pull.pull_peer(p2.pk)
    return p1, p2


def publish_with(peer, *, offices=(), extra_keys=()):
    """The peer's own list plus ``offices`` and ``extra_keys`` (added to its own office),
    properly signed with its pinned trust-list key: only the claims are wrong."""
    payload = peer.payload()
    payload["offices"][0]["keys"].extend(extra_keys)
    payload["offices"].extend(offices)
    return peer.publish(trust.sign_trust_list(payload, peer.trust_key))


def key_entry(peer) -> dict:
    return peer.payload()["offices"][0]["keys"][0]


def verdict(token_key, checkpoint, token) -> dict:
    answer = scan(token_key, checkpoint, token)
    assert answer.status_code == 201, answer.content
    return answer.json()


@pytest.mark.parametrize("takeover", ["region", "key", "region and key"])
def test_a_peer_claiming_another_peers_region_or_key_is_refused_whole(
    takeover,
    both,
    changsha,
    xiangtan,
    token_key,
    checkpoint,
    client,
):
    p1, p2 = both
    good = PeerDeployment.objects.get(pk=p1.pk).trust_list
    fake_office = {
        "name": "假冒长沙",
        "region_code": "430100",
        "revocations_url": f"{xiangtan.base_url}/revocations/",
        "keys": [key_entry(changsha) if "key" in takeover else key_entry(xiangtan)],
    }
    if takeover == "key":  # Changsha's key listed under Xiangtan's own office
        publish_with(xiangtan, extra_keys=[key_entry(changsha)])
    else:
        publish_with(xiangtan, offices=[fake_office])
    xiangtan.revoked.append("430100000042")  # Changsha's pass, through Xiangtan's feed

    assert not pull.pull_peer(p1.pk)

    p1.refresh_from_db()
    assert p1.trust_list == good  # the last good list stays in force
    assert "belongs to Changsha" in p1.last_error
    event = AuditEvent.objects.get(action="peer.trust_list_refused")
    assert event.data["peer"] == "Xiangtan" and event.data["reason"] == "claimed_by_peer"
    expected = []
    if "region" in takeover:
        expected.append(("region", "430100", "Changsha"))
    if "key" in takeover:
        expected.append(("key", changsha.kid, "Changsha"))
    assert sorted((c["kind"], c["value"], c["owner"]) for c in event.data["claims"]) == sorted(
        expected
    )
    assert not PeerRevocation.objects.filter(number="430100000042").exists()
    assert set(PeerClaim.objects.filter(peer=p2).values_list("value", flat=True)) == {
        "430100",
        changsha.kid,
    }
    # Changsha's genuine pass: valid, and Changsha's.
    answer = verdict(token_key, checkpoint, changsha.token())
    assert answer["verdict"]["code"] == "valid", answer
    assert answer["peer_pass"]["office"] == "长沙市交通运输局"
    assert answer["peer_pass"]["deployment"] == "Changsha passdesk"
    # Xiangtan's own passes still verify with its last good list, but never in 430100.
    assert verdict(token_key, checkpoint, xiangtan.token())["verdict"]["code"] == "valid"
    minted = verdict(token_key, checkpoint, xiangtan.token(number="430100000099"))
    assert minted["verdict"]["code"] == "forged"
    keys = client.get("/api/v1/trust/keys/").json()
    assert "430100000042" not in keys["peer_revoked"]
    owner = next(k for k in keys["keys"] if k["kid"] == changsha.kid)
    assert owner["deployment"] == "Changsha passdesk"
    # Changsha's next list is accepted as before.
    changsha.publish()
    assert pull.pull_peer(p2.pk)


def test_an_officer_sets_the_owner_before_the_rightful_peer_ever_pulled(
    changsha,
    xiangtan,
    officer,
    client,
    token_key,
    checkpoint,
):
    p1 = register(xiangtan, "Xiangtan")
    p2 = register(changsha, "Changsha")
    client.force_login(officer)
    refused = client.post(
        "/admin/passes/peerclaim/add/",
        {"peer": p2.pk, "kind": "key", "value": "430100"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "A key id is 8 lower-case hex digits" in refused.content.decode()
    assert not PeerClaim.objects.exists()
    response = client.post(
        "/admin/passes/peerclaim/add/", {"peer": p2.pk, "kind": "region", "value": "430100"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pinned = PeerClaim.objects.get(kind="region", value="430100")
    assert pinned.peer == p2 and pinned.set_by_officer
    assert AuditEvent.objects.get(action="peer.claim_set").actor == officer
    publish_with(
        xiangtan,
        offices=[
            {
                "name": "假冒长沙",
                "region_code": "430100",
                "revocations_url": "",
                "keys": [key_entry(xiangtan)],
            }
        ],
    )
    assert not pull.pull_peer(p1.pk)  # first to pull, but the code is Changsha's
    assert pull.pull_peer(p2.pk)
    listing = client.get("/admin/passes/peerclaim/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert changsha.kid in listing and "430100" in listing
    assert verdict(token_key, checkpoint, changsha.token())["verdict"]["code"] == "valid"


def test_a_claim_an_officer_moves_stops_counting_for_the_old_owner(
    changsha,
    xiangtan,
    officer,
    client,
    token_key,
    checkpoint,
):
    """Xiangtan came first with an office in 430100 (an old list, or a code it gave up): once
    an officer gives the code to Changsha, Xiangtan's stored list no longer covers it."""
    p1 = register(xiangtan, "Xiangtan")
    p2 = register(changsha, "Changsha")
    publish_with(
        xiangtan,
        offices=[
            {"name": "旧", "region_code": "430100", "revocations_url": "", "keys": []},
        ],
    )
    assert pull.pull_peer(p1.pk)
    assert not pull.pull_peer(p2.pk)  # first come: 430100 is Xiangtan's for now
    minted = xiangtan.token(number="430100000099")
    claim = PeerClaim.objects.get(kind="region", value="430100")
    client.force_login(officer)
    response = client.post(
        f"/admin/passes/peerclaim/{claim.pk}/change/",
        {"peer": p2.pk, "kind": "region", "value": "430100"},
    )
    assert response.status_code == 302
    assert verdict(token_key, checkpoint, minted)["verdict"]["code"] == "forged"
    assert pull.pull_peer(p2.pk)
    assert verdict(token_key, checkpoint, changsha.token())["verdict"]["code"] == "valid"


def test_a_peer_listing_one_of_our_key_ids_is_refused(changsha):
    ours = signing_keys.ensure_signing_key()
    entry = next(k for k in signing_keys.public_keys_document()["keys"] if k["kid"] == ours.kid)
    p2 = register(changsha, "Changsha")
    publish_with(changsha, extra_keys=[entry])
    assert not pull.pull_peer(p2.pk)
    event = AuditEvent.objects.get(action="peer.trust_list_refused")
    assert event.data["reason"] == "local_key"
    assert not PeerClaim.objects.exists()


def test_the_migration_gives_stored_lists_claims_in_registration_order(changsha, xiangtan):
    """Lists accepted before claims existed: the first registered peer keeps a shared code."""
    p1 = register(xiangtan, "Xiangtan")
    p2 = register(changsha, "Changsha")
    shared = {"name": "旧", "region_code": "430100", "revocations_url": "", "keys": []}
    p1.trust_list = publish_with(xiangtan, offices=[shared])
    p2.trust_list = changsha.publish()
    for peer in (p1, p2):
        peer.save()
    migration = importlib.import_module("passes.migrations.0018_peer_claims")
    migration.claims_from_accepted_lists(apps, None)
    owners = {(c.kind, c.value): c.peer.name for c in PeerClaim.objects.select_related("peer")}
    assert owners == {
        ("region", "430300"): "Xiangtan",
        ("key", xiangtan.kid): "Xiangtan",
        ("region", "430100"): "Xiangtan",
        ("key", changsha.kid): "Changsha",
    }
