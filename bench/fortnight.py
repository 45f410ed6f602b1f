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
py-spy off: the sampler itself takes a fifth of a core, which lengthens the wall time).

``--runs N`` replays N times on fresh stacks and prints the medians with their spread; each
replay starts with a calibration loop, since a shared machine's speed drifts between runs.
"""

from __future__ import annotations

import collections
import http.client
import json
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import machine_line, report
from ._fortnight_stack import (
    BASE_DIR,
    DB_NAME,
    CpuMeter,
    Stack,
    _pg_base,
    _start_profiler,
    _stop_profiler,
    profile_summary,
)
from .api import multipart, scan_jpeg

DEFAULT_ENTERPRISES = 1000
SCAN_BYTES = 210_000
FILERS = 6
REVIEWERS = 3
DOWNLOADERS = 2
SCANNERS = 4
SCANS_PER_PASS = 4


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


# --- The section ---------------------------------------------------------------------------------


def _percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(stdout, runs: int, enterprises: int = DEFAULT_ENTERPRISES) -> None:
    """``runs`` replays, each on a fresh stack and database; with more than one, the medians
    and their spread. Each replay starts with the machine's speed (a fixed pure-Python loop):
    on a shared machine it drifts, and with it every figure."""
    results, problems = [], []
    for number in range(1, runs + 1):
        if runs > 1:
            stdout.write(f"run {number} of {runs}:")
        figures = _replay(stdout, enterprises)
        results.append(figures)
        problems += figures["problems"]
    if runs > 1:
        stdout.write(f"fortnight, {runs} runs of {enterprises} enterprises:")
        for label, key, unit, scale in (
            ("wall", "wall", "s", 1.0),
            ("server CPU per pass", "server", "CPU-ms", 1000.0),
            ("web CPU per pass", "web", "CPU-ms", 1000.0),
            ("worker CPU per pass", "worker", "CPU-ms", 1000.0),
            ("PostgreSQL CPU per pass", "postgres", "CPU-ms", 1000.0),
            ("slowest p95 of an API call", "worst_p95", "ms", 1000.0),
            ("scan p99", "scan_p99", "ms", 1000.0),
            ("machine speed (calibration loop)", "calibration", "ms", 1000.0),
        ):
            report(stdout, label, [figures[key] for figures in results], unit, scale)
        report(stdout, "passes/s", [figures["rate"] for figures in results], "passes/s", 1.0)
    if problems:
        # What the CI smoke run checks: the flow completes, nothing 5xx, one render per PDF.
        raise RuntimeError("fortnight: " + "; ".join(problems))


def calibration_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop: the machine's speed at the moment."""
    start = time.process_time()
    total = 0
    for value in range(2_000_000):
        total += value
    return time.process_time() - start


def _replay(stdout, enterprises: int) -> dict:
    calibration = calibration_seconds()
    stdout.write(
        f"fortnight: {enterprises} enterprises, gunicorn gthread 2x4, PostgreSQL, Redis, "
        f"1 Celery worker (concurrency 2) + beat on 127.0.0.1 ({machine_line()}; "
        f"calibration loop {calibration * 1000:.0f} ms)"
    )
    figures = {}
    folder = Path(tempfile.mkdtemp(prefix="passdesk-bench-fortnight-"))
    stack = Stack(folder, _pg_base())
    recorder = Recorder()
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
            postmaster=stack.postmaster_pid(),
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
            [sys.executable, "-m", "bench._fortnight_data", "codes", str(codes_path)],
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
        figures = _report(stdout, recorder, cpu, wall, len(codes), enterprises, stack)
        for name, path in profiles.items():
            if path is not None:
                stdout.write(f"  where the {name} CPU goes (py-spy, sampled):")
                for line in profile_summary(path):
                    stdout.write(line)
    finally:
        stack.stop()
        shutil.rmtree(folder, ignore_errors=True)
    figures["calibration"] = calibration
    return figures


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
    calls = {op: values for op, values in recorder.latencies.items() if op != "scan"}
    figures = {
        "wall": wall,
        "rate": passes / wall,
        "server": server,
        **{name: per_pass.get(name, 0.0) for name in ("web", "worker", "postgres")},
        "worst_p95": max((_percentile(v, 0.95) for v in calls.values()), default=0.0),
        "scan_p99": _percentile(recorder.latencies.get("scan", []), 0.99),
        "problems": problems,
    }
    if recorder.failures:
        problems.append(f"{len(recorder.failures)} failed operations")
    errors = sum(count for status, count in recorder.statuses.items() if status >= 500)
    if errors:
        problems.append(f"{errors} responses 5xx")
    if passes != 2 * enterprises:
        problems.append(f"{passes} passes issued, {2 * enterprises} expected")
    if renders["renders"] != renders["pdfs"] or renders["pdfs"] != renders["requests"]:
        problems.append(f"PDFs {renders}: not one render per approved request")
    return figures


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
