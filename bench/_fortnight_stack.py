"""The fortnight benchmark's machinery: the stack it starts (gunicorn, a Celery worker and beat,
a private Redis, a throw-away PostgreSQL database), the CPU meter reading ``/proc``, and the
py-spy profiles with their summaries. ``fortnight`` drives the flow."""

from __future__ import annotations

import collections
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from . import process_cpu_seconds

BASE_DIR = Path(__file__).resolve().parents[1]
DB_NAME = "passdesk_bench_fortnight"


# --- Processes and their CPU -------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    return process_cpu_seconds(pid) or 0.0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


class CpuMeter:
    """CPU seconds per group, sampled every half second: a process of a group that exits
    between two samples loses at most its last half second.

    PostgreSQL, when it runs on this machine, is the whole server: the postmaster, its live
    children and the children it has reaped (``cutime``), so a backend that lives for one task
    (a connection per task) is counted too, with its start-up. The benchmark is then the
    server's only load. On another machine it falls back to the backends of the benchmark's
    database seen by the samples."""

    def __init__(self, groups: dict, pg_pids, postmaster: int | None = None):
        self.groups = groups  # name -> callable returning root pids
        self.pg_pids = pg_pids
        self.postmaster = postmaster
        self.postmaster_cpu: list[float] = []
        self.pg_alive: set[int] = set()
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self):
        for group, roots in self.groups.items():
            for root in roots():
                for pid in _descendants(root):
                    self._see(group, pid)
        if self.postmaster is None:
            for pid in self.pg_pids():
                self._see("postgres", pid)
            return
        self.postmaster_cpu.append(process_cpu_seconds(self.postmaster, with_reaped=True) or 0.0)
        self.pg_alive = set(_descendants(self.postmaster)) - {self.postmaster}
        for pid in self.pg_alive:
            self._see("postgres", pid)

    def _see(self, group, pid):
        value = _cpu_seconds(pid)
        key = (group, pid)
        self.first.setdefault(key, value if self._started else 0.0)
        self.last[key] = max(self.last.get(key, 0.0), value)

    _started = False

    def start(self):
        self.sample()  # what ran before the measurement is the baseline
        self._started = True
        self._thread.start()

    def _loop(self):
        while not self._stop.wait(0.5):
            self.sample()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self.sample()
        totals = collections.Counter()
        for key, value in self.last.items():
            group, pid = key
            if group == "postgres" and self.postmaster is not None and pid not in self.pg_alive:
                # Reaped: its whole life is in the postmaster's cutime; take off what it had
                # used before the measurement began.
                totals[group] -= self.first.get(key, 0.0)
                continue
            totals[group] += value - self.first.get(key, 0.0)
        if self.postmaster_cpu:
            totals["postgres"] += self.postmaster_cpu[-1] - self.postmaster_cpu[0]
        return dict(totals)


# --- The stack -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_base() -> str:
    explicit = os.environ.get("PASSDESK_BENCH_PG")
    if explicit:
        return explicit.rstrip("/")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return "postgres://postgres@127.0.0.1:5432"


class Stack:
    def __init__(self, folder: Path, pg_base: str):
        self.folder = folder
        self.pg_base = pg_base
        self.port = _free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.redis_url = None
        self.env = None

    def _admin(self):
        import psycopg

        return psycopg.connect(f"{self.pg_base}/postgres", autocommit=True)

    def postmaster_pid(self) -> int | None:
        """The PostgreSQL server's main process, when it runs on this machine."""
        with self._admin() as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            comm = Path(f"/proc/{backend}/comm").read_text().strip()
        except OSError:
            return None  # another machine's server
        return int(fields[1]) if comm.startswith("postgres") else None

    def backend_pids(self) -> list[int]:
        with self._admin() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)
            ).fetchall()
        return [row[0] for row in rows]

    def _spawn(self, name, args, env=None):
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and tools
            args,
            cwd=BASE_DIR,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        self.processes[name] = process
        return process

    def start(self, enterprises: int) -> dict:
        """The whole stack: a private Redis, a fresh database with ``enterprises`` seeded,
        gunicorn, a Celery worker and beat. Returns what the seed wrote (tokens, ids)."""
        seeded = self.prepare(enterprises)
        self.start_processes()
        return seeded

    def prepare(self, enterprises: int) -> dict:
        """A private Redis and a fresh, migrated database with ``enterprises`` seeded."""
        if shutil.which("redis-server"):
            redis_port = _free_port()
            self._spawn(
                "redis",
                [
                    "redis-server",
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                env=os.environ.copy(),
            )
            self.redis_url = f"redis://127.0.0.1:{redis_port}"
            broker, cache = f"{self.redis_url}/0", f"{self.redis_url}/1"
        else:
            broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
            cache = broker
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "CELERY_", "TEST_DATABASE", "DJANGO_", "CACHE_"))
        }
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": f"{self.pg_base}/{DB_NAME}",
                "CONN_MAX_AGE": "600",
                "DEBUG": "false",
                # Keys are written encrypted outside DEBUG (a throw-away key for the run).
                "PASSDESK_SIGNING_KEY_PASSPHRASE": "passdesk-benchmark-run",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "LOG_LEVEL": "WARNING",
                "PASSDESK_VAR_DIR": str(self.folder / "var"),
                "MEDIA_ROOT": str(self.folder / "media"),
                "PASSDESK_SIGNING_KEY_DIR": str(self.folder / "keys"),
                "PASSDESK_SIGNING_AUTO_CREATE": "true",
                "CELERY_BROKER_URL": broker,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "CACHE_URL": cache,
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        run = {"cwd": BASE_DIR, "env": self.env, "check": True, "timeout": 900}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], **run)  # noqa: S603
        seeded = self.folder / "seed.json"
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "bench._fortnight_data",
                "seed",
                str(seeded),
                str(enterprises),
            ],
            **run,
        )
        return json.loads(seeded.read_text("utf-8"))

    def start_processes(self) -> None:
        bin_dir = Path(sys.executable).parent
        self._spawn(
            "web",
            [
                str(bin_dir / "gunicorn"),
                "config.wsgi:application",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--keep-alive",
                "30",
                "--backlog",
                "512",
                "--timeout",
                "120",
            ],
        )
        self._spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"fortnight-{uuid.uuid4().hex[:6]}@%h",
            ],
        )
        self._spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(self.folder / "beat-schedule"),
            ],
        )
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.folder / (name + '.log')}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz/")
                if (
                    conn.getresponse().status < 500
                    and "ready"
                    in (self.folder / "worker.log").read_text(errors="replace") + "ready"
                ):
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the stack did not come up; logs in {self.folder}")

    def roots(self, name):
        return lambda: [self.processes[name].pid] if name in self.processes else []

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            process.log.close()
        try:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        except Exception:  # noqa: BLE001, S110 - best effort at the end
            pass


# --- Profiles ------------------------------------------------------------------------------------


def _start_profiler(folder, name, pid):
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if os.environ.get("PASSDESK_BENCH_FORTNIGHT_PROFILE", "1") == "0" or not Path(spy).exists():
        return None
    out = folder / f"profile-{name}.txt"
    process = subprocess.Popen(  # noqa: S603 - py-spy on our own processes
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--rate",
            "47",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    process.out = out
    return process


def _stop_profiler(process):
    if process is None:
        return None
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return process.out if process.out.exists() else None


def _frame_name(frame: str) -> str:
    # py-spy raw frames: "function (path/to/file.py:line)"
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    if "/passes/" in path:
        path = "passes/" + path.split("/passes/", 1)[1]
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f"{function} ({path})"


# Leaf frames where a thread waits on a socket or poller: py-spy may count them as active (the
# wait happens in C with the GIL released), so they are reported apart from CPU work.
WAITING = (
    "Connection.wait ",
    "ClientCursorMixin._execute_send ",
    "EpollSelector.select ",
    "_epoll.poll ",
    "SocketBuffer._read_from_socket ",
    "PollableMethodQueue.defer ",
    "_worker (concurrent/futures/thread.py)",
    "write (gunicorn/util.py)",
)


def profile_summary(path: Path, top: int = 12) -> list[str]:
    """Leaf functions (self time) and the project's own functions (inclusive), as shares of
    the samples where a thread was working (not waiting on a socket, see ``WAITING``)."""
    leaf, own = collections.Counter(), collections.Counter()
    total = waiting = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        weight = int(count)
        name = _frame_name(frames[-1])
        if name.startswith(WAITING):
            waiting += weight
            continue
        total += weight
        leaf[name] += weight
        seen = set()
        for frame in frames:
            name = _frame_name(frame)
            if "(passes/" not in name or "(bench/" in name or name in seen:
                continue
            seen.add(name)
            own[name] += weight
    if not total:
        return ["    (no samples)"]
    lines = [
        f"    {total} working samples ({waiting} more waiting on sockets); self time by function:"
    ]
    lines += [f"      {n * 100 / total:5.1f}%  {name}" for name, n in leaf.most_common(top)]
    lines.append("    inclusive time of passes' own functions:")
    lines += [f"      {n * 100 / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return lines
