"""The inspector page offline with a trusted peer: the phone's copy of the keys
(/api/v1/trust/keys/) verifies a peer office's pass and names its office; a pass the peer
revoked is red offline after the pull."""

import pytest

from passes.models import PeerDeployment
from passes.trust import pull
from tests import factories
from tests.checkpoint import test_browser as checkpoint_browser
from tests.checkpoint.test_browser import camera_showing, open_checkpoint_page
from tests.trust.peer import PeerDeploymentDouble

open_page = checkpoint_browser.open_page  # the inspector page's fixture, shared

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def pulled_peer(settings):
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = True
    settings.PASSDESK_TRUST_REQUIRE_HTTPS = False
    peer = PeerDeploymentDouble().start()
    peer.publish()
    registered = PeerDeployment.objects.create(
        name="Changsha", url=f"{peer.base_url}/trust/", fingerprint=peer.fingerprint
    )
    peer.pull = lambda: pull.pull_peer(registered.pk)
    yield peer
    peer.stop()


@pytest.mark.parametrize("revoked", [False, True], ids=["valid", "revoked-by-peer"])
def test_offline_phone_verifies_a_peer_pass_naming_its_office(
    revoked,
    open_page,
    live_server,
    tmp_path,
    pulled_peer,  # noqa: F811 - the fixture
):
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    if revoked:
        pulled_peer.revoked.append("430100000042")
    assert pulled_peer.pull()
    page, context = open_page(camera_showing(pulled_peer.token(), tmp_path / "qr.y4m"))
    open_checkpoint_page(page, live_server)
    page.wait_for_function(
        "localStorage.getItem('passdesk.keys') && localStorage.getItem('passdesk.peerRevoked')"
    )
    context.set_offline(True)
    page.locator("#cp-camera-start").click()
    severity = "bad" if revoked else "ok"
    page.locator(f"#cp-verdict[data-severity={severity}][data-offline=true]").wait_for(
        state="visible"
    )
    assert "长沙市交通运输局" in page.locator("#cp-verdict-note").inner_text()
    assert page.locator("#cp-v-plate").inner_text() == "湘A12345"
    context.set_offline(False)
