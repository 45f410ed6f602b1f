"""Measured run (not a test): time from a revocation at deployment A to a refused scan at
deployment B, with B's Celery beat pulling at the default interval (PASSDESK_TRUST_PULL_SECONDS).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/passdesk_measure \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/13 CELERY_TASK_ALWAYS_EAGER=false \\
    .venv/bin/python tests/trust/measure_revocation_delay.py

B is the database in DATABASE_URL (migrated here; it should be a scratch database); A gets
``<that name>_peer_a``. B's worker runs with an embedded beat (``-B``); the first pull is made
at once, then A revokes the pass and B's scan API is polled every half second until it refuses.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from passes.models import PeerDeployment  # noqa: E402
from passes.signing import tokens  # noqa: E402
from tests import factories  # noqa: E402
from tests.trust.deployments import (  # noqa: E402
    BASE_DIR,
    Deployment,
    database_url,
    drop_database,
    recreate_database,
)
from tests.trust.test_two_deployments import REVOKE_AT_A, SETUP_A  # noqa: E402


def scan(b, key, code):
    data = {
        "code": code,
        "checkpoint": "measure-bridge",
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
    }
    answer = httpx.post(
        f"{b.url}/api/v1/scans/", json=data, headers={"Authorization": f"Token {key}"}, timeout=30
    )
    return answer.json()["verdict"]["code"]


def main():
    settings.PASSDESK_TRUST_ALLOW_PRIVATE = True
    settings.PASSDESK_TRUST_REQUIRE_HTTPS = False
    call_command("migrate", verbosity=0)
    b_name = connection.settings_dict["NAME"]
    a_name = f"{b_name}_peer_a"
    recreate_database(a_name)
    tmp = Path(tempfile.mkdtemp(prefix="passdesk-measure-"))
    env_a = {
        "DATABASE_URL": database_url(a_name),
        "PASSDESK_REGION_CODE": "430100",
        "PASSDESK_OFFICE_TITLE": "长沙市交通运输局",
    }
    a = Deployment(name="a", tmp_dir=tmp, env=env_a)
    b = Deployment(name="b", tmp_dir=tmp, env={"DATABASE_URL": database_url(b_name)})
    try:
        a.manage("migrate", "--noinput")
        made = a.run(SETUP_A)
        factories.CheckpointFactory(code="measure-bridge")
        inspector = factories.UserFactory(
            username=f"measure-{uuid.uuid4().hex[:6]}", groups=["Inspectors"]
        )
        key = Token.objects.create(user=inspector).key
        code = tokens.verification_url(made["token"], a.url)
        interval = settings.PASSDESK_TRUST_PULL_SECONDS
        with a.serving(), b.serving():
            peer = PeerDeployment.objects.create(
                name="A", url=f"{a.url}/api/v1/trust/", fingerprint=made["fingerprint"]
            )
            worker_env = {
                **b.env,
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_TASK_ALWAYS_EAGER": "false",
            }
            log = (tmp / "worker.log").open("wb")
            worker = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-B",
                    "--pool=solo",
                    "-s",
                    str(tmp / "beat-schedule"),
                    "--loglevel=INFO",
                ],
                cwd=BASE_DIR,
                env=worker_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                from passes.trust import pull

                assert pull.pull_peer(peer.pk)
                while scan(b, key, code) != "valid":
                    time.sleep(1)
                a.run(REVOKE_AT_A.format(number=made["number"]))
                revoked = time.monotonic()
                while scan(b, key, code) != "revoked":
                    time.sleep(0.5)
                elapsed = time.monotonic() - revoked
                print(
                    f"pull interval {interval} s; revocation at A -> refused at B: {elapsed:.1f} s"
                )
            finally:
                worker.terminate()
                worker.wait(timeout=30)
                log.close()
    finally:
        drop_database(a_name)


if __name__ == "__main__":
    main()
