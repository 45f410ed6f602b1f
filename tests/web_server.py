"""A real gunicorn process serving the test database, for tests that must see what a deployed
web process sees (persistent database connections, the whole middleware stack)."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
from django.conf import settings

from tests import clock
from tests.celery_worker import _test_database_url
from tests.smtp_sink import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 90


class WebServer:
    def __init__(self, process, base_url, log_path):
        self.process = process
        self.base_url = base_url
        self.log_path = log_path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)


@contextlib.contextmanager
def running_web_server(tmp_path, *, env=None):
    """gunicorn with one sync worker (so every request reuses the same database connection),
    production-like settings, this test's database and media folder."""
    port = free_port()
    log_path = Path(tmp_path) / "gunicorn.log"
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _test_database_url(),
        # DEBUG keeps static files unhashed (no collectstatic run); the rest is as deployed.
        "DEBUG": "true",
        "SECRET_KEY": "test-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "PASSDESK_SIGNING_AUTO_CREATE": "true",
        "PASSDESK_SIGNING_KEY_DIR": str(settings.PASSDESK_SIGNING_KEY_DIR),
        "PASSDESK_SIGNING_KEY_PASSPHRASE": settings.PASSDESK_SIGNING_KEY_PASSPHRASE,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    server_env.pop("TEST_DATABASE_NAME", None)
    command = [
        *clock.shifted_command("gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "sync",
        "--timeout",
        "60",
    ]
    with serving(command, env=server_env, log_path=log_path, port=port, name="gunicorn") as process:
        yield WebServer(process, f"http://127.0.0.1:{port}", log_path)


@contextlib.contextmanager
def serving(command, *, env, log_path, port, name, ready_timeout=READY_TIMEOUT):
    """Start ``command`` (a web server on ``port``), wait until ``/healthz/`` answers 200, yield
    its process; stop it on the way out (SIGTERM, then kill). A server that exits or does not
    answer in time fails the test with the end of its log."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and app
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start:\n{_tail(log_path)}")
            try:
                if httpx.get(f"{base_url}/healthz/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer:\n{_tail(log_path)}")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def _tail(log_path) -> str:
    return Path(log_path).read_text(errors="replace")[-4000:]
