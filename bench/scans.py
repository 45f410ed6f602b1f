"""``POST /api/v1/scans/`` under load: gunicorn, 2 workers, PostgreSQL on loopback.

What it does, bounded in count and time:

1. creates a throw-away PostgreSQL database (``passdesk_bench_scans``), migrates it and fills
   it with a few thousand issued passes, 20 inspectors with API tokens and 4 checkpoints;
2. starts gunicorn (``gthread``, 2 workers x 4 threads, production settings: DEBUG off,
   persistent connections) on 127.0.0.1;
3. drives the endpoint from a pool of keep-alive connections (prepared request bytes on plain
   sockets, so the client takes little of the shared CPU) with a realistic
   mix (85% QR codes, 10% typed number + plate, 5% forged codes; every request a new nonce):
   - *capacity*: closed loop, 8 connections, N requests: requests/s and latency;
   - *at 200/s and 300/s*: open loop at fixed rates (latency counted from the moment each
     request was due, so a stalled server cannot hide its queue): p50/p99;
   - CPU seconds per request spent by gunicorn, PostgreSQL and the client (from /proc), which
     shared-machine noise barely moves, and the capacity they imply on idle cores;
4. stops gunicorn and drops the database.

Environment: ``PASSDESK_BENCH_PG`` (default ``postgres://postgres@127.0.0.1:5432``),
``PASSDESK_BENCH_SCAN_PASSES`` (3000), ``PASSDESK_BENCH_SCAN_REQUESTS`` (3000 per run),
``PASSDESK_BENCH_SCAN_RATES`` (200,300), ``PASSDESK_BENCH_SCAN_DB`` (passdesk_bench_scans: give
each concurrent run its own), ``PASSDESK_BENCH_SCAN_SECONDS`` (8 per open-loop run),
``PASSDESK_BENCH_SCAN_WORKER_CLASS`` (gthread) and ``PASSDESK_BENCH_SCAN_THREADS`` (4).
The client runs on the same two cores as the server and the database, and the machine may be
shared: the load average is printed before and after.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from . import machine_line, process_cpu_seconds, report, report_rate

BASE_DIR = Path(__file__).resolve().parents[1]
DB_NAME = os.environ.get("PASSDESK_BENCH_SCAN_DB", "passdesk_bench_scans")
WORKERS = 2
WORKER_CLASS = os.environ.get("PASSDESK_BENCH_SCAN_WORKER_CLASS", "gthread")
THREADS = int(os.environ.get("PASSDESK_BENCH_SCAN_THREADS", "4"))
TARGET_RATE = 300


def _env_int(name, default):
    return int(os.environ.get(name, default))


def _admin_conn(pg_url):
    import psycopg

    return psycopg.connect(f"{pg_url}/postgres", autocommit=True)


def _recreate_db(pg_url):
    with _admin_conn(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _drop_db(pg_url):
    with _admin_conn(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(pg_url, key_dir) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "TEST_DATABASE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"{pg_url}/{DB_NAME}",
            "CONN_MAX_AGE": "600",
            "DEBUG": "false",
            # Keys are written encrypted outside DEBUG (a throw-away key for the run).
            "PASSDESK_SIGNING_KEY_PASSPHRASE": "passdesk-benchmark-run",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "PASSDESK_SIGNING_KEY_DIR": str(key_dir),
            "PASSDESK_SIGNING_AUTO_CREATE": "true",
            "PASSDESK_VAR_DIR": str(key_dir.parent / "var"),
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _prepare(stdout, pg_url, workdir: Path, passes: int) -> dict:
    env = _server_env(pg_url, workdir / "keys")
    _recreate_db(pg_url)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=600,
    )
    out = workdir / "scan-data.json"
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "bench._scans_data", str(out), str(passes)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=600,
    )
    stdout.write(
        f"  database {DB_NAME}: migrated and seeded with {passes} passes "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return json.loads(out.read_text("utf-8"))


def _start_gunicorn(pg_url, workdir: Path, port: int):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 - closed in _stop
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(gunicorn),
            "config.wsgi:application",
            "--workers",
            str(WORKERS),
            "--worker-class",
            WORKER_CLASS,
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--backlog",
            "512",
        ],
        cwd=BASE_DIR,
        env=_server_env(pg_url, workdir / "keys"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {workdir / 'gunicorn.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/revocations/")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.3)
    _stop(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    process.log.close()


class Load:
    """The request mix. ``batch(n)`` builds n ready-to-send scans (each a new nonce) before the
    clock starts, so the client spends its CPU on HTTP only."""

    def __init__(self, data, seed=1):
        self.data = data
        self.rng = random.Random(seed)

    def _one(self):
        roll = self.rng.random()
        scan = {
            "checkpoint": self.rng.choice(self.data["checkpoints"]),
            "nonce": str(uuid.uuid4()),
            "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime()),
        }
        if roll < 0.85:
            scan["code"] = self.rng.choice(self.data["codes"])
        elif roll < 0.95:
            scan["number"], scan["plate"] = self.rng.choice(self.data["typed"])
        else:
            code = self.rng.choice(self.data["codes"])
            scan["code"] = code[:-6] + "AAAAAA"  # a tampered signature
        headers = {
            "Authorization": f"Token {self.rng.choice(self.data['tokens'])}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        return headers, json.dumps(scan).encode()

    def batch(self, count):
        return [self._one() for _ in range(count)]

    def requests(self, count, port):
        """``batch(count)`` as the bytes of HTTP/1.1 requests."""
        return [_request_bytes(headers, body, port) for headers, body in self.batch(count)]


def _request_bytes(headers, body, port) -> bytes:
    lines = ["POST /api/v1/scans/ HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class _Connection:
    """A keep-alive HTTP/1.1 connection that sends prepared request bytes and reads the
    response by its Content-Length: the client shares two cores with the server, and
    ``http.client`` spent about 0.5 ms of CPU per request building and parsing headers."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.closing = False  # the server said "Connection: close": open a new one

    def exchange(self, request: bytes) -> int:
        """Sends one request and returns the response's status code."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.closing = True
        if length is None:
            raise http.client.HTTPException("no Content-Length")
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        return status

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        return chunk

    def _fill(self):
        self.buffer += self._recv()

    def close(self):
        self.sock.close()


def _worker(port, batch, take, latencies, errors, stop_at):
    conn = _Connection(port)
    try:
        while time.perf_counter() < stop_at:
            job = take()
            if job is None:
                return
            index, due = job
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                ok = conn.exchange(batch[index]) in (200, 201)
                if conn.closing:
                    conn.close()
                    conn = _Connection(port)
            except (OSError, ValueError, http.client.HTTPException):
                conn.close()
                conn = _Connection(port)
                ok = False
            latencies.append(time.perf_counter() - due)
            if not ok:
                errors.append(1)
    finally:
        conn.close()


def _drive(port, load, *, connections, count=None, rate=None, seconds=None):
    """Closed loop (``count`` requests as fast as possible) or open loop (``rate`` per second
    for ``seconds``). Returns (requests/s, latencies in s, errors)."""
    total = count if count is not None else int(rate * seconds)
    batch = load.requests(total, port)
    latencies, errors = [], []
    lock = threading.Lock()
    issued = [0]
    start = time.perf_counter() + 0.05
    hard_stop = start + (seconds * 3 + 30 if seconds else 300)

    def take():
        with lock:
            if issued[0] >= total:
                return None
            index = issued[0]
            issued[0] += 1
        return index, (time.perf_counter() if rate is None else start + index / rate)

    threads = [
        threading.Thread(target=_worker, args=(port, batch, take, latencies, errors, hard_stop))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies, len(errors)


# --- CPU accounting: what a request costs, whoever else is using the machine ----------------


def _cpu_seconds(pid: int) -> float:
    return process_cpu_seconds(pid) or 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid:
            found.append(int(entry.name))
    return found


def _postgres_backends(pg_url) -> list[int]:
    with _admin_conn(pg_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds spent by gunicorn's workers, the benchmark database's PostgreSQL backends
    and this client process between ``start`` and ``stop``."""

    def __init__(self, pg_url, gunicorn_pid):
        self.pg_url = pg_url
        self.gunicorn_pid = gunicorn_pid

    def _snapshot(self):
        workers = _children(self.gunicorn_pid) + [self.gunicorn_pid]
        backends = _postgres_backends(self.pg_url)
        return (
            {pid: _cpu_seconds(pid) for pid in workers},
            {pid: _cpu_seconds(pid) for pid in backends},
            time.process_time(),
        )

    def start(self):
        self.before = self._snapshot()

    def stop(self):
        after = self._snapshot()
        gunicorn = sum(t - self.before[0].get(pid, 0.0) for pid, t in after[0].items())
        postgres = sum(t - self.before[1].get(pid, 0.0) for pid, t in after[1].items())
        return {"gunicorn": gunicorn, "postgres": postgres, "client": after[2] - self.before[2]}


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(stdout, runs: int) -> None:
    pg_url = os.environ.get("PASSDESK_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    passes = _env_int("PASSDESK_BENCH_SCAN_PASSES", 3000)
    count = _env_int("PASSDESK_BENCH_SCAN_REQUESTS", 3000)
    rates = [
        int(value) for value in os.environ.get("PASSDESK_BENCH_SCAN_RATES", "200,300").split(",")
    ]
    seconds = _env_int("PASSDESK_BENCH_SCAN_SECONDS", 8)
    stdout.write(
        f"  gunicorn {WORKER_CLASS} {WORKERS} workers x {THREADS} threads, PostgreSQL on loopback; "
        f"{machine_line()}"
    )
    with tempfile.TemporaryDirectory(prefix="passdesk-bench-scans-") as tmp:
        workdir = Path(tmp)
        data = _prepare(stdout, pg_url, workdir, passes)
        process = _start_gunicorn(pg_url, workdir, _free_port())
        port = int(process.args[process.args.index("--bind") + 1].rsplit(":", 1)[1])
        try:
            load = Load(data)
            _drive(port, load, connections=8, count=300)  # warm up: imports, connections
            meter = CpuMeter(pg_url, process.pid)
            throughput, p50s, p99s, failures = [], [], [], 0
            cpu = {"gunicorn": [], "postgres": [], "client": []}
            for _ in range(runs):
                meter.start()
                per_second, latencies, errors = _drive(port, load, connections=8, count=count)
                for part, seconds_used in meter.stop().items():
                    cpu[part].append(seconds_used / len(latencies))
                throughput.append(per_second)
                p50s.append(_percentile(latencies, 0.50))
                p99s.append(_percentile(latencies, 0.99))
                failures += errors
            stdout.write(f"  capacity, closed loop, 8 connections, {count} scans per run:")
            report_rate(stdout, "POST /api/v1/scans/", throughput, "requests/s")
            report(stdout, "p50 latency", p50s)
            report(stdout, "p99 latency", p99s)
            stdout.write("  CPU time per request (load-independent; the machine may be shared):")
            for part, samples in cpu.items():
                report(stdout, part, samples)
            server = statistics.median(cpu["gunicorn"]) + statistics.median(cpu["postgres"])
            client = statistics.median(cpu["client"])
            cores = os.cpu_count() or 1
            stdout.write(
                f"  => on {cores} idle cores this CPU cost allows at most about "
                f"{cores / (server + client):.0f} requests/s with this client on the same "
                f"machine, {cores / server:.0f}/s without it (estimate: CPU only, no queueing)"
            )

            for level in rates:
                achieved, p50s, p99s = [], [], []
                for _ in range(runs):
                    per_second, latencies, errors = _drive(
                        port, load, connections=32, rate=level, seconds=seconds
                    )
                    achieved.append(per_second)
                    p50s.append(_percentile(latencies, 0.50))
                    p99s.append(_percentile(latencies, 0.99))
                    failures += errors
                stdout.write(
                    f"  open loop at {level}/s for {seconds} s per run "
                    "(latency counted from when each request was due):"
                )
                report_rate(stdout, "achieved", achieved, "requests/s")
                report(stdout, "p50 latency", p50s)
                report(stdout, "p99 latency", p99s)
                holds = (
                    statistics.median(p99s) < 0.100 and statistics.median(achieved) >= level * 0.97
                )
                stdout.write(
                    f"  {level} requests/s with p99 < 100 ms: "
                    f"{'holds' if holds else 'does NOT hold'} (median run)"
                    + ("  <- the target" if level == TARGET_RATE else "")
                )
            stdout.write(f"  failed requests (not 200/201): {failures}")
        finally:
            _stop(process)
            _drop_db(pg_url)
    stdout.write(f"  {machine_line()}")
