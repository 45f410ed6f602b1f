"""Two real passdesk deployments on loopback: A (长沙, 430100) on its own PostgreSQL database and
gunicorn; B (this test's database, 430200) on gunicorn with its own Celery worker pulling A's
trust list. A's pass is valid at B's checkpoint API and in B's offline verifier; revoked at A,
refused at B after one pull; a tampered or rolled-back list of A is refused by B."""

import io
import json
import time
import uuid

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from passes.models import AuditEvent, PeerDeployment, PeerRevocation
from passes.signing import tokens
from passes.signing import verify as offline
from passes.trust import pull
from passes.trust import tasks as trust_tasks
from passes.trust.peers import PEER_INDEX_TTL_SECONDS
from tests import factories
from tests.trust.deployments import Deployment, database_url, drop_database, recreate_database
from tests.trust.peer import PeerDeploymentDouble

SETUP_A = """
import json
from passes.signing import keys
from passes.trust import publish
from tests.factories.checkpoint import make_pass
fingerprint = publish.create_trust_key()
keys.create_key()
issued = make_pass(plate="湘A12345")
print("RESULT " + json.dumps({"fingerprint": fingerprint, "token": keys.sign_pass(issued),
                              "number": issued.number}))
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


def _scan(b, key, code):
    data = {
        "code": code,
        "checkpoint": "xiangjiang-bridge",
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
    }
    response = httpx.post(
        f"{b.url}/api/v1/scans/",
        json=data,
        headers={"Authorization": f"Token {key}", "Accept-Language": "en"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


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
    )
    b = Deployment(
        name="b",
        tmp_dir=tmp_path,
        env={
            "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
            "PASSDESK_SIGNING_KEY_DIR": str(settings.PASSDESK_SIGNING_KEY_DIR),
        },
    )
    try:
        a.manage("migrate", "--noinput")
        made = a.run(SETUP_A)
        factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")
        key = Token.objects.create(user=inspector).key
        worker_env = {
            "PASSDESK_TRUST_ALLOW_PRIVATE": "true",
            "PASSDESK_TRUST_REQUIRE_HTTPS": "false",
        }
        with a.serving(), b.serving(), start_celery_worker(env=worker_env) as worker:
            first_list = httpx.get(f"{a.url}/api/v1/trust/").json()
            code = tokens.verification_url(made["token"], a.url)
            assert _scan(b, key, code)["verdict"]["code"] == "forged"  # B does not trust A yet

            peer = PeerDeployment.objects.create(
                name="长沙", url=f"{a.url}/api/v1/trust/", fingerprint=made["fingerprint"]
            )
            trust_tasks.pull_peer.delay(peer.pk)
            worker.wait_for(
                lambda: PeerDeployment.objects.get(pk=peer.pk).trust_list is not None,
                message="B's worker pulls A's trust list",
            )
            # B's web process reloads peer keys within PEER_INDEX_TTL_SECONDS of the pull.
            deadline = time.monotonic() + PEER_INDEX_TTL_SECONDS + 15
            answer = _scan(b, key, code)
            while answer["verdict"]["code"] == "forged" and time.monotonic() < deadline:
                time.sleep(1)
                answer = _scan(b, key, code)
            assert answer["verdict"]["code"] == "valid"
            assert answer["peer_pass"]["office"] == "长沙市交通运输局"
            assert answer["peer_pass"]["number"] == made["number"]

            # B's offline verifier: the inspector page's key copy, and the CLI with A's list.
            keys_file = tmp_path / "b-keys.json"
            keys_file.write_text(httpx.get(f"{b.url}/api/v1/trust/keys/").text)
            assert offline.main(["--keys", str(keys_file), "--token", code], io.StringIO()) == 0
            trust_file = tmp_path / "a-trust.json"
            trust_file.write_text(json.dumps(first_list))
            out = io.StringIO()
            args = ["--keys", str(keys_file), "--trust", str(trust_file)]
            assert offline.main([*args, "--pin", made["fingerprint"], "--token", code], out) == 0
            assert "长沙市交通运输局" in out.getvalue()

            # Revoked at A: still valid at B until the next pull, refused after it.
            a.run(REVOKE_AT_A.format(number=made["number"]))
            revoked_at = time.monotonic()
            assert _scan(b, key, code)["verdict"]["code"] == "valid"
            trust_tasks.pull_peer.delay(peer.pk)
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
                PeerDeployment.objects.filter(pk=peer.pk).update(url=f"{replay.base_url}/trust/")
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
            assert reasons == ["rolled_back", "bad_signature"]
            kept = PeerDeployment.objects.get(pk=peer.pk)
            assert kept.trust_list == accepted.trust_list and kept.last_error
    finally:
        drop_database(a_name)
