"""A real Celery worker process for integration tests.

Usage (the test must use PostgreSQL and committed data, because the worker is another process
with its own database connection)::

    @pytest.mark.redis
    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        some_task.delay(obj.pk)          # travels through Redis to the worker process
        celery_worker.wait_for(lambda: Thing.objects.filter(done=True).exists())

``celery_worker`` starts ``celery -A config worker --pool=solo --concurrency=1`` with its
environment pointing at the *test* database, this test's private media folder (or its prefix
in the S3 bucket) and the broker in
``settings.CELERY_BROKER_URL`` (your own Redis DB number, e.g. ``redis://127.0.0.1:6379/2``;
``redis://…/0`` on CI), waits until the worker answers a ping, switches the app in this process
out of eager mode, and on teardown restores eager mode and stops the worker.

Need extra environment for the worker (an SMTP port, a webhook URL)? Use the factory::

    def test_mail(start_celery_worker, smtp_server):
        with start_celery_worker(env={"EMAIL_PORT": str(smtp_server.port)}) as worker:
            ...
"""

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests import clock

BASE_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 90  # seconds; the machine may be busy
STOP_TIMEOUT = 20


def _test_database_url() -> str:
    """A DATABASE_URL for the database this test run actually uses (the test database)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("a real Celery worker needs PostgreSQL (mark the test postgres)")
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


class WorkerProcess:
    """A running worker: its process, hostname and log file."""

    def __init__(self, process: subprocess.Popen, hostname: str, log_path: Path):
        self.process = process
        self.hostname = hostname
        self.log_path = log_path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for(self, condition, timeout: float = 60, interval: float = 0.2, message: str = ""):
        """Poll ``condition()`` (which may query the database) until it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if not self.alive():
                pytest.fail(f"the Celery worker died:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{message or 'condition'} not met within {timeout}s; worker log:\n"
                    f"{self.log()[-4000:]}"
                )
            time.sleep(interval)


def _wait_until_ready(worker: WorkerProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not worker.alive():
            raise RuntimeError(f"the Celery worker exited at start:\n{worker.log()[-4000:]}")
        replies = celery_app.control.ping(destination=[worker.hostname], timeout=1.0)
        if any(worker.hostname in reply for reply in replies):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the Celery worker did not answer within {READY_TIMEOUT}s:\n{worker.log()}")


def _stop(worker: WorkerProcess) -> None:
    if not worker.alive():
        return
    worker.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
    try:
        worker.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def run_worker(*, env: dict | None = None, queues=None, tmp_dir):
    """Start a worker, wait until it answers, switch this process out of eager mode; undo all
    of it on exit."""
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith("redis"):
        raise RuntimeError("a real Celery worker needs CELERY_BROKER_URL pointing at Redis")
    hostname = f"pdtest-{os.getpid()}-{uuid.uuid4().hex[:8]}@localhost"
    log_path = Path(tmp_dir) / f"celery-worker-{hostname.split('@')[0]}.log"
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "STORAGE_URL": settings.STORAGE_URL,  # the test's own prefix in the bucket, or ""
        # The test's own signing keys, not a folder under the var directory, encrypted with
        # this test's passphrase.
        "PASSDESK_SIGNING_KEY_DIR": str(settings.PASSDESK_SIGNING_KEY_DIR),
        "PASSDESK_SIGNING_KEY_PASSPHRASE": settings.PASSDESK_SIGNING_KEY_PASSPHRASE,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    worker_env.pop("TEST_DATABASE_NAME", None)  # the worker uses the test database as its own
    command = [
        *clock.shifted_command("celery"),
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        f"--hostname={hostname}",
    ]
    if queues:
        command.append(f"--queues={','.join(queues)}")

    was_eager = celery_app.conf.task_always_eager
    # Tasks left in the queue by an earlier run would reach this worker against this database.
    with celery_app.connection_for_write() as conn:
        celery_app.control.purge(connection=conn)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed command line, our own interpreter
            command,
            cwd=BASE_DIR,
            env=worker_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    worker = WorkerProcess(process, hostname, log_path)
    try:
        _wait_until_ready(worker)
        celery_app.conf.task_always_eager = False
        yield worker
    finally:
        celery_app.conf.task_always_eager = was_eager
        _stop(worker)


@pytest.fixture
def start_celery_worker(transactional_db, tmp_path):
    """A factory: ``with start_celery_worker(env={...}) as worker:``. Needs committed data, so it
    brings the transactional database; the worker stops before the database is flushed."""

    def start(**kwargs):
        kwargs.setdefault("tmp_dir", tmp_path)
        return run_worker(**kwargs)

    return start


@pytest.fixture
def celery_worker(start_celery_worker):
    """A running worker on ``settings.CELERY_BROKER_URL`` for the length of one test."""
    with start_celery_worker() as worker:
        yield worker
