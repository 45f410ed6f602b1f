"""Real passdesk deployments for the two-deployment test: a PostgreSQL database of its own,
migrated, with data set up through ``manage.py shell``, served by gunicorn on a loopback port,
and (given a broker of its own) its own Celery worker on that broker."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from django.db import connection

from bench.notifications import celery_worker
from config.celery import app as celery_app
from tests import clock
from tests.celery_worker import WorkerProcess

BASE_DIR = Path(__file__).resolve().parent.parent.parent
READY_TIMEOUT = 120


def database_url(name: str) -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{name}"


def _admin_connection():
    db = connection.settings_dict
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(name)
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def private_broker(beside: str) -> str:
    """A Redis database on the server of the broker ``beside``, with the next number: a queue
    of a deployment's own, which the other deployment's worker never reads."""
    parts = urlsplit(beside)
    if parts.scheme not in ("redis", "rediss"):
        raise RuntimeError(f"a deployment's own worker needs a Redis broker, not {beside!r}")
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number + 1) % 16}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Deployment:
    """One passdesk: its environment (database, keys, media, region code), its server and, with
    a ``broker`` of its own, its Celery worker (``working()``). Without a broker its tasks run
    eagerly inside the process that queues them."""

    def __init__(self, *, name, env, tmp_dir: Path, broker: str | None = None):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp_dir = tmp_dir
        self.broker = broker
        queue = (
            {"CELERY_BROKER_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "false"}
            if broker
            else {"CELERY_TASK_ALWAYS_EAGER": "true"}
        )
        # What this deployment sets on top of the caller's environment.
        self.overrides = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PASSDESK_PUBLIC_BASE_URL": self.url,
            "PASSDESK_SIGNING_KEY_DIR": str(tmp_dir / f"{name}-keys"),
            "PASSDESK_SIGNING_AUTO_CREATE": "true",
            "MEDIA_ROOT": str(tmp_dir / f"{name}-media"),
            "PASSDESK_TRUST_ALLOW_PRIVATE": "true",
            "PASSDESK_TRUST_REQUIRE_HTTPS": "false",
            **queue,
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.env = {**os.environ, **self.overrides}
        self.env.pop("TEST_DATABASE_NAME", None)
        self.server = None

    def manage(self, *args, timeout=300) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            clock.shifted_command("manage.py", *args),
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def run(self, code: str):
        """Run Python in this deployment (``manage.py shell``); it prints RESULT <json>."""
        out = self.manage("shell", "-c", code)
        line = next(line for line in out.splitlines() if line.startswith("RESULT "))
        return json.loads(line[len("RESULT ") :])

    def query(self, sql: str, params=()):
        """The first row of ``sql`` in this deployment's database (a connection of its own)."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as db:
            return db.execute(sql, params).fetchone()

    @contextlib.contextmanager
    def working(self):
        """This deployment's own Celery worker (``celery -A config worker``, solo pool) with its
        environment: its database, keys and media, its broker, not eager. Tasks left on that
        broker by an earlier run are purged first. Yields a ``WorkerProcess`` (``wait_for``
        fails with the worker's log); the worker is stopped on exit, and its log printed when
        the block fails."""
        if not self.broker:
            raise RuntimeError(f"deployment {self.name} has no broker of its own")
        with celery_app.connection_for_write(url=self.broker) as conn:
            celery_app.control.purge(connection=conn)
        env = {**self.overrides, "LOG_LEVEL": "INFO"}  # received/succeeded lines in the log
        with celery_worker(self.broker, self.tmp_dir, name=self.name, env=env) as process:
            worker = WorkerProcess(
                process, f"{self.name}-worker", self.tmp_dir / f"{self.name}-worker.log"
            )
            try:
                yield worker
            except BaseException:
                print(f"--- {self.name}'s Celery worker log ---\n{worker.log()[-6000:]}")
                raise

    @contextlib.contextmanager
    def serving(self):
        log = (self.tmp_dir / f"{self.name}-gunicorn.log").open("wb")
        self.server = subprocess.Popen(  # noqa: S603 - fixed command line
            [
                *clock.shifted_command("gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if self.server.poll() is not None:
                    raise RuntimeError(self.log())
                try:
                    httpx.get(f"{self.url}/api/v1/keys/", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{self.name} did not start:\n{self.log()}") from None
                    time.sleep(0.3)
            try:
                yield self
            except BaseException:
                print(f"--- {self.name}'s gunicorn log ---\n{self.log()}")
                raise
        finally:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
            log.close()

    def log(self) -> str:
        return (self.tmp_dir / f"{self.name}-gunicorn.log").read_text(errors="replace")[-4000:]
