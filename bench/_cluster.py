"""Several passdesk nodes on one machine: gunicorn web nodes and Celery workers as separate
processes, each with its own empty var folder, sharing only PostgreSQL, Redis, the S3 bucket
and the signing-key secret (a copy per node, as each host would mount it).

Used by the multi-node test (tests/test_multinode.py) and the ``province`` benchmark section.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_environment(
    folder: Path,
    *,
    database_url: str,
    broker_url: str,
    storage_url: str,
    secret_key: str,
    key_secret: Path,
    passphrase: str,
    static_root: Path,
    extra: dict | None = None,
) -> dict:
    """The environment of one node: its own var folder, the shared services, and its own copy
    of the encrypted signing key (the "mounted secret")."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = folder / "mounted-secret"
    if not keys.exists():
        shutil.copytree(key_secret, keys)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_", "PASSDESK_", "CELERY_", "STORAGE_URL"))
        and key not in ("DATABASE_URL", "MEDIA_ROOT", "TEST_DATABASE_NAME", "CACHE_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PASSDESK_VAR_DIR": str(folder / "var"),
            "MEDIA_ROOT": str(folder / "var" / "media"),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CACHE_URL": broker_url,
            "STORAGE_URL": storage_url,
            "DEBUG": "false",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_ROOT": str(static_root),
            "PASSDESK_SIGNING_KEY_DIR": str(keys),
            "PASSDESK_SIGNING_KEY_PASSPHRASE": passphrase,
            "PASSDESK_SIGNING_AUTO_CREATE": "false",
            "API_THROTTLE_UPLOADS": "100000/min",
            "API_THROTTLE_AUTH": "10000/min",
            "PORTAL_UPLOAD_LIMIT": "100000",
            "PASSDESK_VERIFY_RATE_PER_MINUTE": "100000",
            "PASSDESK_FEED_RATE_PER_MINUTE": "100000",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        }
    )
    return env


def collect_static(target: Path) -> Path:
    """The static files, built once as the Docker image does at build time (not data: every
    node gets the same read-only copy)."""
    if not (target / "staticfiles.json").exists():
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="false",
            SECRET_KEY="collectstatic-only-" + uuid.uuid4().hex * 2,
            STATIC_ROOT=str(target),
        )
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=300,
        )
    return target


class Process:
    def __init__(self, name: str, command: list[str], env: dict, folder: Path):
        self.name = name
        self.command = command
        self.env = env
        self.folder = folder
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def pids(self) -> list[int]:
        """The process and its children (gunicorn's workers)."""
        if not self.alive():
            return []
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            pids += [int(pid) for pid in children.read_text().split()]
        return pids

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class WebNode(Process):
    def __init__(self, name: str, env: dict, folder: Path, *, workers: int = 1, threads: int = 4):
        self.port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--threads", str(threads), "--timeout", "120", "--access-logfile", "-",
        ]  # fmt: skip
        super().__init__(name, command, env, folder)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/readyz/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready in {timeout}s:\n{self.log()[-3000:]}")


class Worker(Process):
    def __init__(self, name: str, env: dict, folder: Path, *, concurrency: int = 1):
        self.hostname = f"{name}-{uuid.uuid4().hex[:6]}@localhost"
        pool = ["--pool=solo"] if concurrency == 1 else [f"--concurrency={concurrency}"]
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", *pool,
            "--loglevel=INFO", "--without-gossip", "--without-mingle",
            f"--hostname={self.hostname}",
        ]  # fmt: skip
        super().__init__(name, command, env, folder)

    def wait_ready(self, app, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
            replies = app.control.ping(destination=[self.hostname], timeout=1.0)
            if any(self.hostname in reply for reply in replies):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer in {timeout}s:\n{self.log()[-3000:]}")


class HttpClient:
    """A plain HTTP/1.1 client that keeps cookies itself (the nodes run with DEBUG off, so
    their cookies are marked Secure, which cookie jars do not send over plain HTTP)."""

    def __init__(self, token: str = ""):
        self.cookies: dict[str, str] = {}
        self.token = token
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def request(self, port, method, path, body=None, content_type=None, headers=None):
        connection = self.connections.get(port)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            self.connections[port] = connection
        sent = {"Accept-Language": "en", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict) and content_type is None:
            body, content_type = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        if content_type:
            sent["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
        except (http.client.HTTPException, OSError):
            connection.close()
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data

    def json(self, port, method, path, body=None, expect=200, **kwargs):
        response, data = self.request(port, method, path, body, **kwargs)
        if response.status != expect:
            raise AssertionError(f"{method} {path} on :{port}: {response.status} {data[:800]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
