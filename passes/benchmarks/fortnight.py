"""The story's fortnight replayed through the real stack: ``benchmark fortnight --enterprises N``.

On loopback: gunicorn (gthread, 2 workers x 4 threads), PostgreSQL (a throw-away database,
``passdesk_bench_fortnight``), Redis (a private ``redis-server`` on a free port when one is
installed, so its CPU is ours alone; else ``CELERY_BROKER_URL``), one Celery worker
(concurrency 2) and beat. N verified enterprises each register 2 vehicles and 2 drivers through
the public API (token auth), file one request with two ~210 KB scans and submit it; 3 reviewers
take requests from the review queue, claim, open the detail, view both documents and approve;
each enterprise then reads its request and downloads the combined PDF (right after the
approval, while the worker may be rendering it); finally inspectors scan every pass's QR code
4 times (8 scans per enterprise) through ``POST /api/v1/scans/``.

It prints the wall time, passes/s, each operation's p50/p95/p99, HTTP errors, and the
CPU-seconds per pass of each process group (web, worker incl. beat, PostgreSQL backends of the
database, Redis, the client) from ``/proc``; with py-spy installed, where the web and worker
CPU goes (sampled, by leaf function and by the project's own functions). Environment:
``PASSDESK_BENCH_PG`` (default: the server of ``DATABASE_URL``, else
``postgres://postgres@127.0.0.1:5432``), ``PASSDESK_BENCH_FORTNIGHT_PROFILE`` (1; 0 turns
py-spy off).
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import machine_line
from .api import multipart, scan_jpeg

BASE_DIR = Path(__file__).resolve().parents[2]
DB_NAME = "passdesk_bench_fortnight"
DEFAULT_ENTERPRISES = 1000
SCAN_BYTES = 210_000
FILERS = 6
REVIEWERS = 3
DOWNLOADERS = 2
SCANNERS = 4
SCANS_PER_PASS = 4
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- Processes and their CPU -------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process (its reaped children not included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


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
    """CPU seconds per group, sampled every half second: a process that exits between two
    samples loses at most its last half second. PostgreSQL counts the backends connected to
    the benchmark's database only (the server is shared)."""

    def __init__(self, groups: dict, pg_pids):
        self.groups = groups  # name -> callable returning root pids
        self.pg_pids = pg_pids
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self):
        for group, roots in self.groups.items():
            for root in roots():
                for pid in _descendants(root):
                    self._see(group, pid)
        for pid in self.pg_pids():
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
            totals[key[0]] += value - self.first.get(key, 0.0)
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
                "passes.benchmarks._fortnight_data",
                "seed",
                str(seeded),
                str(enterprises),
            ],
            **run,
        )
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
        return json.loads(seeded.read_text("utf-8"))

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


# --- The client ----------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.latencies = collections.defaultdict(list)
        self.statuses = collections.Counter()
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def add(self, operation, seconds, status):
        with self.lock:
            self.latencies[operation].append(seconds)
            self.statuses[status] += 1


class Client:
    """One keep-alive connection speaking JSON, timing each call under its operation name."""

    def __init__(self, port, recorder, *, token=None, session=None):
        self.port = port
        self.recorder = recorder
        self.headers = {"Accept-Language": "zh-hans"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        if session:
            self.headers["Cookie"] = f"sessionid={session}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(
        self, operation, method, path, body=None, content_type="application/json", expect=(200, 201)
    ):
        headers = dict(self.headers)
        if body is not None:
            if content_type == "application/json":
                body = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise
        self.recorder.add(operation, time.perf_counter() - started, response.status)
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        if response.getheader("Content-Type", "").startswith("application/json") and data:
            return response.status, json.loads(data)
        return response.status, data


def _unique_jpeg(base: bytes, label: str) -> bytes:
    """The same scan with a JPEG comment of its own: every upload has its own SHA-256."""
    comment = label.encode()
    return base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]


def _file_one(client: Client, seeded, index: int, scans) -> int:
    vehicles, drivers = [], []
    for n in range(2):
        _status, vehicle = client.call(
            "register vehicle",
            "POST",
            "/api/v1/vehicles/",
            {
                "plate": f"湘B{(index * 2 + n) % 100000:05d}"[:7] if index < 50000 else "湘B00000",
                "vehicle_type": "heavy_truck",
            },
        )
        vehicles.append(vehicle["id"])
        body = f"4302021985{(index * 2 + n) % 12 + 1:02d}{(index * 2 + n) % 28 + 1:02d}"
        serial = f"{(index * 2 + n) % 1000:03d}"
        from passes.validators import id_number_check_character

        id_body = body + serial
        _status, driver = client.call(
            "register driver",
            "POST",
            "/api/v1/drivers/",
            {
                "name": "王师傅" if n == 0 else "李建国",
                "id_number": id_body + id_number_check_character(id_body),
                "phone": f"138{(index * 2 + n) % 10**8:08d}",
            },
        )
        drivers.append(driver["id"])
    start = datetime.now(UTC) + timedelta(hours=1)
    _status, created = client.call(
        "create request",
        "POST",
        "/api/v1/requests/",
        {
            "pass_type": seeded["pass_type"],
            "cargo_description": "原材料 木材 20 吨",
            "origin": "株洲市荷塘区金山工业园",
            "destination": "长沙市雨花区黎托物流园",
            "route_description": "沪昆高速—京港澳高速",
            "checkpoints": seeded["checkpoints"],
            "valid_from": start.isoformat(),
            "valid_until": (start + timedelta(days=7)).isoformat(),
            "items": [{"vehicle": vehicles[n], "drivers": [drivers[n]]} for n in range(2)],
        },
    )
    for n, item in enumerate(created["items"]):
        body, content_type = multipart(
            {"kind": "vehicle_licence", "item": item["id"]},
            "file",
            f"行驶证{n + 1}.jpg",
            _unique_jpeg(scans[n], f"enterprise {index} scan {n}"),
        )
        client.call(
            "upload scan",
            "POST",
            f"/api/v1/requests/{created['id']}/documents/",
            body,
            content_type,
        )
    client.call("submit", "POST", f"/api/v1/requests/{created['id']}/submit/")
    return created["id"]


def _filer(port, seeded, recorder, work, scans, token_of):
    clients = {}
    while True:
        try:
            index = work.get_nowait()
        except queue.Empty:
            return
        token = seeded["tokens"][index]
        client = Client(port, recorder, token=token)
        clients[index] = client
        try:
            token_of[_file_one(client, seeded, index, scans)] = token
        except Exception as error:  # noqa: BLE001 - counted and shown
            recorder.failures.append(f"enterprise {index}: {error}")
        finally:
            client.connection.close()


def _reviewer(port, reviewer, position, recorder, remaining, approved, stop):
    api = Client(port, recorder, token=reviewer["token"])
    viewer = Client(port, recorder, session=reviewer["session"])
    while not stop.is_set():
        with remaining.lock:
            if remaining.value <= 0:
                return
        try:
            _status, page = api.call(
                "review queue", "GET", "/api/v1/review/queue/?status=submitted"
            )
            results = page["results"] if isinstance(page, dict) else page
            if not results:
                time.sleep(0.2)
                continue
            candidate = results[min(position, len(results) - 1)]
            status, _data = api.call(
                "claim", "POST", f"/api/v1/review/{candidate['id']}/claim/", expect=(200, 409)
            )
        except Exception as error:  # noqa: BLE001 - counted and shown
            recorder.failures.append(f"reviewer: {error}")
            time.sleep(0.2)
            continue
        if status == 409:
            continue  # another reviewer took it first
        try:
            path = f"/api/v1/review/{candidate['id']}/"
            _status, detail = api.call("review detail", "GET", path)
            for document in detail["documents"]:
                viewer.call("view document", "GET", document["url"])
            api.call("approve", "POST", f"{path}approve/", {})
            approved.put(candidate["id"])
        except Exception as error:  # noqa: BLE001 - counted and shown
            recorder.failures.append(f"review of {candidate['id']}: {error}")
        with remaining.lock:
            remaining.value -= 1


def _downloader(port, recorder, approved, token_of, stop):
    while True:
        try:
            request_id = approved.get(timeout=0.5)
        except queue.Empty:
            if stop.is_set():
                return
            continue
        if request_id is None:
            return
        client = Client(port, recorder, token=token_of[request_id])
        try:
            _status, detail = client.call(
                "request detail", "GET", f"/api/v1/requests/{request_id}/"
            )
            assert detail["status"] == "approved", detail["status"]
            _status, pdf = client.call("download PDF", "GET", detail["all_passes_pdf_url"])
            assert pdf.startswith(b"%PDF-")
        except Exception as error:  # noqa: BLE001 - counted and shown
            recorder.failures.append(f"download {request_id}: {error}")
        finally:
            client.connection.close()


def _scanner(port, recorder, inspector, jobs):
    client = Client(port, recorder, token=inspector)
    while True:
        try:
            code, checkpoint = jobs.get_nowait()
        except queue.Empty:
            return
        body = {
            "code": code,
            "checkpoint": checkpoint,
            "nonce": str(uuid.uuid4()),
            "scanned_at": datetime.now(UTC).isoformat(),
        }
        try:
            client.call("scan", "POST", "/api/v1/scans/", body)
        except Exception as error:  # noqa: BLE001 - counted and shown
            recorder.failures.append(f"scan: {error}")


class _Remaining:
    def __init__(self, value):
        self.value = value
        self.lock = threading.Lock()


def _join(threads):
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


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


def profile_summary(path: Path, top: int = 12) -> list[str]:
    """Leaf functions (self time) and the project's own functions (inclusive), as shares of
    all samples where a thread was on the CPU."""
    leaf, own = collections.Counter(), collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        weight = int(count)
        total += weight
        leaf[_frame_name(frames[-1])] += weight
        seen = set()
        for frame in frames:
            name = _frame_name(frame)
            if "(passes/" not in name or name in seen:
                continue
            if "(passes/benchmarks/" in name:
                continue
            seen.add(name)
            own[name] += weight
    if not total:
        return ["    (no samples)"]
    lines = [f"    {total} samples; self time by function:"]
    lines += [f"      {n * 100 / total:5.1f}%  {name}" for name, n in leaf.most_common(top)]
    lines.append("    inclusive time of passes' own functions:")
    lines += [f"      {n * 100 / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return lines


# --- The section ---------------------------------------------------------------------------------


def _percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(stdout, runs: int, enterprises: int = DEFAULT_ENTERPRISES) -> None:
    stdout.write(
        f"fortnight: {enterprises} enterprises, gunicorn gthread 2x4, PostgreSQL, Redis, "
        f"1 Celery worker (concurrency 2) + beat on 127.0.0.1 ({machine_line()})"
    )
    folder = Path(tempfile.mkdtemp(prefix="passdesk-bench-fortnight-"))
    stack = Stack(folder, _pg_base())
    recorder = Recorder()
    problems: list[str] = []
    try:
        seeded = stack.start(enterprises)
        scans = [scan_jpeg(SCAN_BYTES, seed) for seed in (1, 2)]
        stdout.write(f"  scans: 2 JPEGs of {', '.join(f'{len(s) / 1e3:.0f}' for s in scans)} KB")
        client_cpu_start = time.process_time()
        meter = CpuMeter(
            {
                "web": stack.roots("web"),
                "worker": lambda: [stack.processes["worker"].pid, stack.processes["beat"].pid],
                "redis": stack.roots("redis"),
            },
            stack.backend_pids,
        )
        meter.start()
        profilers = {
            name: _start_profiler(folder, name, stack.processes[name].pid)
            for name in ("web", "worker")
        }
        started = time.perf_counter()

        work = queue.Queue()
        for index in range(enterprises):
            work.put(index)
        token_of: dict[int, str] = {}
        approved: queue.Queue = queue.Queue()
        stop = threading.Event()
        remaining = _Remaining(enterprises)
        filers = [
            threading.Thread(
                target=_filer, args=(stack.port, seeded, recorder, work, scans, token_of)
            )
            for _ in range(FILERS)
        ]
        reviewers = [
            threading.Thread(
                target=_reviewer,
                args=(stack.port, reviewer, position, recorder, remaining, approved, stop),
            )
            for position, reviewer in enumerate(seeded["reviewers"])
        ]
        downloaders = [
            threading.Thread(
                target=_downloader, args=(stack.port, recorder, approved, token_of, stop)
            )
            for _ in range(DOWNLOADERS)
        ]
        everyone = filers + reviewers + downloaders
        for thread in everyone:
            thread.start()
        for thread in filers:
            thread.join()
        filed = len(token_of)
        with remaining.lock:
            remaining.value -= enterprises - filed  # failed filings never reach the queue
        deadline = time.monotonic() + 600
        for thread in reviewers:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        stop.set()
        for thread in reviewers + downloaders:
            thread.join()
        review_done = time.perf_counter()

        codes_path = folder / "codes.json"
        subprocess.run(  # noqa: S603 - the helper (its CPU is in no group: it is not the load)
            [sys.executable, "-m", "passes.benchmarks._fortnight_data", "codes", str(codes_path)],
            cwd=BASE_DIR,
            env=stack.env,
            check=True,
            timeout=600,
        )
        codes = json.loads(codes_path.read_text("utf-8"))
        paused = time.perf_counter() - review_done
        jobs = queue.Queue()
        for number in range(SCANS_PER_PASS):
            for position, code in enumerate(codes):
                jobs.put((code, seeded["checkpoint_codes"][(position + number) % 2]))
        _join(
            [
                threading.Thread(target=_scanner, args=(stack.port, recorder, inspector, jobs))
                for inspector in seeded["inspectors"][:SCANNERS]
            ]
        )
        wall = time.perf_counter() - started - paused
        time.sleep(1.0)  # let the worker finish what the last approvals queued
        cpu = meter.stop()
        cpu["client"] = time.process_time() - client_cpu_start
        profiles = {name: _stop_profiler(process) for name, process in profilers.items()}
        problems = _report(stdout, recorder, cpu, wall, len(codes), enterprises, stack)
        for name, path in profiles.items():
            if path is not None:
                stdout.write(f"  where the {name} CPU goes (py-spy, sampled):")
                for line in profile_summary(path):
                    stdout.write(line)
    finally:
        stack.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if problems:
        # What the CI smoke run checks: the flow completes, nothing 5xx, one render per PDF.
        raise RuntimeError("fortnight: " + "; ".join(problems))


def _report(stdout, recorder, cpu, wall, passes, enterprises, stack):
    renders = _count_renders(stack)
    stdout.write(
        f"  wall {wall:.1f} s (without the pause to read the QR codes), {passes} passes, "
        f"{passes / wall:.2f} passes/s; HTTP statuses "
        f"{dict(sorted(recorder.statuses.items()))}"
    )
    stdout.write(
        f"  failures: {len(recorder.failures)}; PDF files written: {renders['renders']} for "
        f"{renders['pdfs']} stored PDFs of {renders['requests']} approved requests"
    )
    for failure in recorder.failures[:5]:
        stdout.write(f"    {failure}")
    stdout.write("  operation: n, p50 / p95 / p99 (ms)")
    for operation, values in recorder.latencies.items():
        stdout.write(
            f"    {operation}: n={len(values)}, {statistics.median(values) * 1000:.0f} / "
            f"{_percentile(values, 0.95) * 1000:.0f} / {_percentile(values, 0.99) * 1000:.0f}"
        )
    per_pass = {name: seconds / max(passes, 1) for name, seconds in cpu.items()}
    server = sum(per_pass.get(name, 0.0) for name in ("web", "worker", "postgres", "redis"))
    stdout.write(
        "  CPU-seconds per pass: "
        + ", ".join(
            f"{name} {per_pass.get(name, 0.0):.4f}"
            for name in ("web", "worker", "postgres", "redis", "client")
        )
        + f"; server total {server:.4f}"
    )
    stdout.write(f"  (machine at the end: {machine_line()}; enterprises={enterprises})")
    problems = []
    if recorder.failures:
        problems.append(f"{len(recorder.failures)} failed operations")
    errors = sum(count for status, count in recorder.statuses.items() if status >= 500)
    if errors:
        problems.append(f"{errors} responses 5xx")
    if passes != 2 * enterprises:
        problems.append(f"{passes} passes issued, {2 * enterprises} expected")
    if renders["renders"] != renders["pdfs"] or renders["pdfs"] != renders["requests"]:
        problems.append(f"PDFs {renders}: not one render per approved request")
    return problems


def _count_renders(stack) -> dict:
    """Stored PDFs, approved requests and PDF files written. Every render writes a new file
    and nothing in this flow replaces one, so more files than PDFs means a second render."""
    import psycopg

    with psycopg.connect(f"{stack.pg_base}/{DB_NAME}") as conn:
        pdfs = conn.execute("SELECT count(*) FROM passes_passpdf").fetchone()[0]
        requests = conn.execute(
            "SELECT count(*) FROM passes_passrequest WHERE status = 'approved'"
        ).fetchone()[0]
    media = stack.folder / "media"
    files = len(list(media.rglob("*.pdf"))) if media.exists() else 0
    return {"pdfs": pdfs, "requests": requests, "renders": files}
