"""Two real passdesk deployments on loopback, each with its own Celery worker on its own Redis
database, trusting each other:

- A (长沙, 430100): its own PostgreSQL database, gunicorn and worker (tasks queued at A go through
  A's broker to A's worker, never run eagerly).
- B (this test's database, 430200): gunicorn and its own worker.

B trusts A: B's worker pulls A's trust list; A's pass is then valid at B's checkpoint API and in
B's offline verifier. A trusts B: registered at A with B's pinned fingerprint, A's worker pulls
B's trust list (the task is queued at A and seen done in A's worker's log); B's pass is then
valid at A's checkpoint API, naming B's office. Refusals: a second peer at B pointing at A's real
trust list with a wrong pin is refused (``unpinned_key``) while the first stays trusted; a third
peer, pinned right, that claims A's region code and A's key (and revokes A's pass in its feed)
is refused whole (``claimed_by_peer``) and A's pass stays valid; a pass revoked at A is refused
at B after one pull; a rolled-back or tampered list of A is refused."""

import io
import json
import re
import time
import uuid

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from passes.models import AuditEvent, Office, PeerDeployment, PeerRevocation
from passes.signing import keys, tokens, trust
from passes.signing import verify as offline
from passes.trust import publish, pull
from passes.trust.peers import PEER_INDEX_TTL_SECONDS
from tests import factories
from tests.factories.checkpoint import make_pass
from tests.trust.deployments import (
    Deployment,
    database_url,
    drop_database,
    private_broker,
    recreate_database,
)
from tests.trust.peer import PeerDeploymentDouble

SETUP_A = """
import json
from rest_framework.authtoken.models import Token
from passes.signing import keys
from passes.trust import publish
from tests import factories
from tests.factories.checkpoint import make_pass
fingerprint = publish.create_trust_key()
keys.create_key()
issued = make_pass(plate="湘A12345")
factories.CheckpointFactory(code="changsha-east", name="长沙东卡口")
inspector = factories.UserFactory(username="a-inspector", groups=["Inspectors"])
print("RESULT " + json.dumps({"fingerprint": fingerprint, "token": keys.sign_pass(issued),
                              "number": issued.number,
                              "inspector_key": Token.objects.create(user=inspector).key}))
"""

REVOKE_AT_A = """
import json
from passes.models import Pass
from passes.requests import workflow
from tests import factories
officer = factories.UserFactory(username="a-officer", is_staff=True, groups=["Officers"])
workflow.revoke_pass(Pass.objects.get(number="{number}"), by=officer, reason="车辆已停运")
print("RESULT " + json.dumps({{"ok": True}}))
"""


A_TRUSTS_B = """
import json
from passes.models import PeerDeployment
from passes.trust import pull
peer = PeerDeployment.objects.create(name="株洲", url="{url}", fingerprint="{fingerprint}")
queued = pull.pull_peer.delay(peer.pk)
print("RESULT " + json.dumps({{"peer": peer.pk, "task": queued.id}}))
"""


def _scan(deployment, key, code, checkpoint="xiangjiang-bridge"):
    data = {
        "code": code,
        "checkpoint": checkpoint,
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
    }
    response = httpx.post(
        f"{deployment.url}/api/v1/scans/",
        json=data,
        headers={"Authorization": f"Token {key}", "Accept-Language": "en"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _scan_once_trusted(deployment, key, code, checkpoint="xiangjiang-bridge"):
    """The scan answer once the web process has reloaded its peer keys after a pull (within
    PEER_INDEX_TTL_SECONDS), or the last "forged" one."""
    deadline = time.monotonic() + PEER_INDEX_TTL_SECONDS + 15
    answer = _scan(deployment, key, code, checkpoint)
    while answer["verdict"]["code"] == "forged" and time.monotonic() < deadline:
        time.sleep(1)
        answer = _scan(deployment, key, code, checkpoint)
    return answer


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_deployments_trust_each_other(start_celery_worker, tmp_path, settings, inspector):
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = True
    settings.PASSDESK_TRUST_REQUIRE_HTTPS = False
    a_name = f"{connection.settings_dict['NAME']}_peer_a"
    recreate_database(a_name)
    a = Deployment(
        name="a",
        tmp_dir=tmp_path,
        env={
            "DATABASE_URL": database_url(a_name),
            "PASSDESK_REGION_CODE": "430100",
            "PASSDESK_OFFICE_TITLE": "长沙市交通运输局",
        },
        broker=private_broker(settings.CELERY_BROKER_URL),
    )
    assert a.broker != settings.CELERY_BROKER_URL
    b = Deployment(
        name="b",
        tmp_dir=tmp_path,
        env={
            "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
            "PASSDESK_SIGNING_KEY_DIR": str(settings.PASSDESK_SIGNING_KEY_DIR),
            # B's trust-list key is written encrypted with this test's passphrase.
            "PASSDESK_SIGNING_KEY_PASSPHRASE": settings.PASSDESK_SIGNING_KEY_PASSPHRASE,
        },
    )
    try:
        a.manage("migrate", "--noinput")
        # B (this test's database): its trust-list key, a pass of its office, a checkpoint.
        b_fingerprint = publish.create_trust_key()
        b_pass = make_pass(plate="湘B54321")
        b_code = tokens.verification_url(keys.sign_pass(b_pass), b.url)
        b_office = Office.objects.order_by("pk").first()
        assert b_pass.number.startswith(b_office.region_code)
        factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")
        key = Token.objects.create(user=inspector).key
        worker_env = {
            "PASSDESK_TRUST_ALLOW_PRIVATE": "true",
            "PASSDESK_TRUST_REQUIRE_HTTPS": "false",
        }
        with a.working() as a_worker:
            made = a.run(SETUP_A)
            with a.serving(), b.serving(), start_celery_worker(env=worker_env) as worker:
                first_list = httpx.get(f"{a.url}/api/v1/trust/").json()
                code = tokens.verification_url(made["token"], a.url)
                a_key = made["inspector_key"]
                # Neither trusts the other yet.
                assert _scan(b, key, code)["verdict"]["code"] == "forged"
                assert _scan(a, a_key, b_code, "changsha-east")["verdict"]["code"] == "forged"

                # Trust both ways, each pull done by the trusting deployment's own worker (both
                # at once, so the web processes' peer-key reloads overlap). B registers A and
                # queues the pull on B's broker; A registers B with B's pinned fingerprint and
                # queues the pull on A's broker.
                peer = PeerDeployment.objects.create(
                    name="长沙", url=f"{a.url}/api/v1/trust/", fingerprint=made["fingerprint"]
                )
                pull.pull_peer.delay(peer.pk)
                b_trust_url = f"{b.url}/api/v1/trust/"
                at_a = a.run(A_TRUSTS_B.format(url=b_trust_url, fingerprint=b_fingerprint))
                worker.wait_for(
                    lambda: PeerDeployment.objects.get(pk=peer.pk).trust_list is not None,
                    message="B's worker pulls A's trust list",
                )

                def pulled_at_a():
                    has_list, error = a.query(
                        "SELECT trust_list IS NOT NULL, last_error FROM passes_peerdeployment "
                        "WHERE id = %s",
                        [at_a["peer"]],
                    )
                    assert not error, f"A refused B's trust list: {error}"
                    return has_list

                a_worker.wait_for(pulled_at_a, message="A's worker pulls B's trust list")
                task = re.escape(at_a["task"])
                done = re.compile(rf"Task passes\.pull_peer\[{task}\] succeeded in .*: True")
                a_worker.wait_for(
                    lambda: done.search(a_worker.log()), message="A's worker reports the pull"
                )

                # A's pass is valid at B's checkpoint, B's pass at A's, each naming its office.
                answer = _scan_once_trusted(b, key, code)
                assert answer["verdict"]["code"] == "valid"
                assert answer["peer_pass"]["office"] == "长沙市交通运输局"
                assert answer["peer_pass"]["number"] == made["number"]
                answer = _scan_once_trusted(a, a_key, b_code, "changsha-east")
                assert answer["verdict"]["code"] == "valid"
                assert answer["peer_pass"]["office"] == b_office.name
                assert answer["peer_pass"]["number"] == b_pass.number

                # B's offline verifier: the inspector page's key copy, and the CLI with A's list.
                keys_file = tmp_path / "b-keys.json"
                keys_file.write_text(httpx.get(f"{b.url}/api/v1/trust/keys/").text)
                assert offline.main(["--keys", str(keys_file), "--token", code], io.StringIO()) == 0
                trust_file = tmp_path / "a-trust.json"
                trust_file.write_text(json.dumps(first_list))
                out = io.StringIO()
                args = ["--keys", str(keys_file), "--trust", str(trust_file)]
                pinned = [*args, "--pin", made["fingerprint"], "--token", code]
                assert offline.main(pinned, out) == 0
                assert "长沙市交通运输局" in out.getvalue()

                # A's real list under a wrong pin (B's own trust key) is refused at B; the first
                # peer, pinned right, stays trusted.
                accepted = PeerDeployment.objects.get(pk=peer.pk)
                wrong = PeerDeployment.objects.create(
                    name="长沙（错误指纹）",
                    url=f"{a.url}/api/v1/trust/?pin=wrong",
                    fingerprint=b_fingerprint,
                )
                assert not pull.pull_peer(wrong.pk)
                wrong.refresh_from_db()
                assert wrong.trust_list is None
                assert wrong.last_error.startswith(str(pull.REASONS["unpinned_key"]))
                refusal = AuditEvent.objects.get(action="peer.trust_list_refused")
                assert refusal.data == {
                    "peer": wrong.name,
                    "peer_id": wrong.pk,
                    "url": wrong.url,
                    "reason": "unpinned_key",
                }
                kept = PeerDeployment.objects.get(pk=peer.pk)
                assert kept.trust_list == accepted.trust_list and not kept.last_error
                assert _scan(b, key, code)["verdict"]["code"] == "valid"

                # Another peer, pinned right, lists A's office (region code and key) beside its
                # own and revokes A's pass in its feed: refused whole, A's pass stays valid.
                a_office = json.loads(first_list["payload"])["offices"][0]
                taker = PeerDeploymentDouble().start()
                try:
                    taker.region_code, taker.office = "430300", "湘潭市交通运输局"
                    payload = taker.payload()
                    payload["offices"].append(
                        {**a_office, "revocations_url": f"{taker.base_url}/revocations/"}
                    )
                    taker.publish(trust.sign_trust_list(payload, taker.trust_key))
                    taker.revoked.append(made["number"])
                    impostor = PeerDeployment.objects.create(
                        name="湘潭", url=f"{taker.base_url}/trust/", fingerprint=taker.fingerprint
                    )
                    assert not pull.pull_peer(impostor.pk)
                finally:
                    taker.stop()
                refusal = AuditEvent.objects.get(data__reason="claimed_by_peer")
                assert refusal.data["peer"] == "湘潭"
                assert sorted(
                    (c["kind"], c["value"], c["owner"]) for c in refusal.data["claims"]
                ) == sorted(
                    [("key", entry["kid"], "长沙") for entry in a_office["keys"]]
                    + [("region", "430100", "长沙")]
                )
                assert not PeerRevocation.objects.filter(number=made["number"]).exists()
                assert _scan(b, key, code)["verdict"]["code"] == "valid"

                # Revoked at A: still valid at B until the next pull, refused after it.
                a.run(REVOKE_AT_A.format(number=made["number"]))
                revoked_at = time.monotonic()
                assert _scan(b, key, code)["verdict"]["code"] == "valid"
                pull.pull_peer.delay(peer.pk)
                worker.wait_for(
                    lambda: PeerRevocation.objects.filter(number=made["number"]).exists(),
                    timeout=60,
                    interval=0.05,
                    message="B's worker pulls A's revocation",
                )
                assert _scan(b, key, code)["verdict"]["code"] == "revoked"
                print(
                    f"revocation at A -> refused at B, pull started at once: "
                    f"{time.monotonic() - revoked_at:.2f} s"
                )
                keys_doc = httpx.get(f"{b.url}/api/v1/trust/keys/").json()
                assert made["number"] in keys_doc["peer_revoked"]

                # A rolled-back list (A's first, replayed) and a tampered one are refused.
                accepted = PeerDeployment.objects.get(pk=peer.pk)
                replay = PeerDeploymentDouble().start()
                try:
                    PeerDeployment.objects.filter(pk=peer.pk).update(
                        url=f"{replay.base_url}/trust/"
                    )
                    replay.publish(first_list)
                    assert not pull.pull_peer(peer.pk)
                    fresh = httpx.get(f"{a.url}/api/v1/trust/").json()
                    replay.publish(dict(fresh, payload=fresh["payload"].replace("长沙", "伪造")))
                    assert not pull.pull_peer(peer.pk)
                finally:
                    replay.stop()
                reasons = list(
                    AuditEvent.objects.filter(action="peer.trust_list_refused")
                    .order_by("pk")
                    .values_list("data__reason", flat=True)
                )
                assert reasons == [
                    "unpinned_key",
                    "claimed_by_peer",
                    "rolled_back",
                    "bad_signature",
                ]
                kept = PeerDeployment.objects.get(pk=peer.pk)
                assert kept.trust_list == accepted.trust_list and kept.last_error
    finally:
        drop_database(a_name)
