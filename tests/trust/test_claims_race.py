"""Two peers' first lists claim the same region code and are pulled at the same moment
(PostgreSQL, one connection per thread): exactly one is accepted, the other refused and
audited. Both pulls pass the "owned by another peer?" check before either inserts its claims,
so only the unique constraint on the claims can decide."""

import threading

import pytest

from passes.models import AuditEvent, PeerClaim, PeerDeployment
from passes.trust import claims, pull
from tests.requests.test_concurrency import TIMEOUT, run_together
from tests.trust.peer import PeerDeploymentDouble

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def doubles(settings):
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = True
    settings.PASSDESK_TRUST_REQUIRE_HTTPS = False
    pair = [PeerDeploymentDouble().start() for _ in range(2)]
    for double in pair:
        double.publish()  # both claim 430100, each with its own key
    yield pair
    for double in pair:
        double.stop()


def test_two_first_pulls_claiming_one_region_code_accept_exactly_one(doubles, monkeypatch):
    peers = [
        PeerDeployment.objects.create(
            name=f"peer {i}", url=f"{double.base_url}/trust/", fingerprint=double.fingerprint
        )
        for i, double in enumerate(doubles)
    ]
    both_checked = threading.Barrier(2)
    real = claims._owned_elsewhere
    first_check = set()

    def check_then_wait(peer, wanted):
        taken = real(peer, wanted)
        if peer.pk not in first_check:
            first_check.add(peer.pk)
            both_checked.wait(timeout=TIMEOUT)
        return taken

    monkeypatch.setattr(claims, "_owned_elsewhere", check_then_wait)

    results = run_together(*[lambda pk=peer.pk: pull.pull_peer(pk) for peer in peers])

    assert sorted(results) == [False, True], results
    winner = peers[results.index(True)]
    loser = peers[results.index(False)]
    assert PeerClaim.objects.get(kind="region", value="430100").peer == winner
    assert not PeerClaim.objects.filter(peer=loser).exists()
    event = AuditEvent.objects.get(action="peer.trust_list_refused")
    assert event.data["peer"] == loser.name and event.data["reason"] == "claimed_by_peer"
    assert PeerDeployment.objects.get(pk=loser.pk).trust_list is None
