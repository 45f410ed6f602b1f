"""Redis goes away under a deployed web process laid out as in docker-compose (one Redis for
the cache and the broker): a Redis server of the test's own, on its own port, killed and
started again (never the shared one). Uploads, throttled by the cache, go on (the limiter fails
open and says so in the log), nothing answers 500, and once Redis is back the limit holds
again."""

import contextlib
import shutil
import subprocess
import time

import pytest
import redis
from rest_framework.authtoken.models import Token

from tests import factories, fixtures_files
from tests.portal_helpers import member
from tests.smtp_sink import free_port
from tests.web_server import running_web_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LIMIT = 12


class OwnRedis:
    """``redis-server`` on a port of its own, without persistence (as a restarted container)."""

    def __init__(self, port: int):
        self.port = port
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603 - the installed server, fixed arguments
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash: no goodbye to the clients
            self.process.wait(timeout=20)


@contextlib.contextmanager
def own_redis():
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_uploads_go_on_while_redis_is_down_and_the_limit_holds_again_after(tmp_path):
    enterprise = factories.EnterpriseFactory()
    user = member(enterprise)
    draft = factories.submittable_request(enterprise=enterprise)
    token = Token.objects.create(user=user).key
    widths = iter(range(300, 400))

    with own_redis() as cache_and_broker:
        url = f"redis://127.0.0.1:{cache_and_broker.port}"
        env = {
            "CACHE_URL": f"{url}/1",
            "CELERY_BROKER_URL": f"{url}/0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "API_THROTTLE_UPLOADS": f"{LIMIT}/min",
        }
        with running_web_server(tmp_path, env=env) as server:
            api = server.client(headers={"Authorization": f"Token {token}"})

            def upload():
                width = next(widths)
                return api.post(
                    f"/api/v1/requests/{draft.pk}/documents/",
                    data={"kind": "other"},
                    files={"file": (f"s{width}.jpg", fixtures_files.jpeg_bytes(width))},
                )

            assert [upload().status_code for _ in range(3)] == [201] * 3

            cache_and_broker.kill()
            started = time.monotonic()
            during = [upload() for _ in range(LIMIT + 3)]
            seconds_each = (time.monotonic() - started) / len(
                during
            )  # over the limit: nothing counts
            assert [r.status_code for r in during] == [201] * (LIMIT + 3), during[-1].text
            # The broker is away too: the thumbnail and reading it queues fail at once and
            # wait for the sweepers, instead of holding the web worker for seconds each.
            assert seconds_each < 3, seconds_each
            assert api.get("/api/v1/requests/").status_code == 200
            assert "rate limits are not counted" in server.log()

            cache_and_broker.start()  # empty, as a Redis restarted without persistence
            after = [upload().status_code for _ in range(LIMIT + 2)]
            refused = upload()

    assert 500 not in after
    assert after[:LIMIT] == [201] * LIMIT  # counted again from the restart
    assert after[LIMIT:] == [429, 429] and refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 66
    assert draft.documents.count() == 3 + LIMIT + 3 + LIMIT
