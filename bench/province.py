"""A province's day in miniature, through the multi-node stack.

``python manage.py benchmark province`` (``BENCH_PROVINCE_REQUESTS``, default 300 requests of one
vehicle each):

1. for one web node + one worker, then two web nodes + two workers (each gunicorn node 2
   processes, each worker 2 prefork processes, every node with its own empty var folder),
   against one PostgreSQL database made for the run (``BENCH_POSTGRES_URL``, default
   ``postgres://postgres@127.0.0.1:5432/postgres``, used only to create and drop it), Redis
   (``BENCH_BROKER_URL``, default ``redis://127.0.0.1:6379/0``) and a SeaweedFS S3 server
   started for the run: 8 client threads file every request through the API with a ~150 kB scan,
   submit, a reviewer claims and approves, the workers draw thumbnails and render the pass
   PDFs, the applicant downloads every PDF, an inspector scans every pass (number and plate);
   printed: passes per second end to end, and CPU-seconds per pass for each component from
   ``/proc`` (web nodes, workers, the PostgreSQL backends of this database, the Redis server,
   the S3 server, this client);
2. one ~1 MB scan saved and read back 30 times through the S3 storage and the local disk:
   median latency side by side.

Redis is the machine's shared server: its CPU includes whatever else uses it at the time.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import machine_line, process_cpu_seconds, report
from ._cluster import BASE_DIR, HttpClient, WebNode, Worker, collect_static, node_environment
from ._seaweed import SeaweedServer
from .api import multipart, scan_jpeg

CLIENT_THREADS = 8
PASSWORD = "bench-" + secrets.token_hex(8)
PASSPHRASE = "bench-" + secrets.token_hex(8)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pids_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuMeter:
    """CPU-seconds per component, sampled from /proc twice a second: processes that come and go
    (PostgreSQL backends) are counted from when they are first seen."""

    def __init__(self, components):
        self.components = components  # name -> callable returning pids
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        for name, pids in self.components.items():
            for pid in pids():
                seconds = process_cpu_seconds(pid, with_reaped=True)
                if seconds is None:
                    continue
                self.first.setdefault((name, pid), seconds)
                self.last[(name, pid)] = seconds

    def _loop(self) -> None:
        while not self.stop_event.wait(0.5):
            self.sample()

    def start(self) -> CpuMeter:
        self.sample()
        self.thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self.stop_event.set()
        self.thread.join()
        self.sample()
        totals = dict.fromkeys(self.components, 0.0)
        for (name, pid), seconds in self.last.items():
            totals[name] += seconds - self.first[(name, pid)]
        return totals


def _psql(url: str, sql: str, params=()) -> str:
    """One statement's rows as text lines (psycopg, autocommit: CREATE DATABASE needs it)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        if cursor.description is None:
            return ""
        return "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())


def _manage(args, env) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


SEED = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from passes.models import Checkpoint, Driver, Enterprise, Membership, PassType, Vehicle
from passes.validators import credit_code_check_character, id_number_check_character
N = {count}
body = "914302000PRAM0001"
enterprise = Enterprise.objects.create(name="省际物流有限公司",
    credit_code=body + credit_code_check_character(body), address="湖南省",
    contact_name="测试", contact_phone="13900000000",
    verification_status=Enterprise.Verification.VERIFIED)
User = get_user_model()
applicant = User.objects.create_user("applicant", password="{password}")
Membership.objects.create(user=applicant, enterprise=enterprise, role=Membership.Role.OWNER)
officer = User.objects.create_user("officer", password="{password}", is_staff=True)
officer.groups.add(Group.objects.get(name="Officers"))
inspector = User.objects.create_user("inspector", password="{password}")
inspector.groups.add(Group.objects.get(name="Inspectors"))
pass_type = PassType.objects.create(name="省内货运", code="province", max_validity_days=30)
checkpoint = Checkpoint.objects.create(name="湘江大桥卡口", code="bridge")
letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
vehicles, drivers = [], []
for n in range(N):
    plate = "湘" + letters[n // 10000 % 24] + f"{{n % 10000:05d}}"
    vehicles.append(Vehicle(enterprise=enterprise, plate=plate))
    id_body = f"430202198506{{n % 100000:05d}}"
    drivers.append(Driver(enterprise=enterprise, name=f"司机{{n}}",
        id_number=id_body + id_number_check_character(id_body), phone="13800000000"))
Vehicle.objects.bulk_create(vehicles)
Driver.objects.bulk_create(drivers)
print(json.dumps({{
    "applicant": Token.objects.create(user=applicant).key,
    "officer": Token.objects.create(user=officer).key,
    "inspector": Token.objects.create(user=inspector).key,
    "pass_type": pass_type.pk,
    "vehicles": list(Vehicle.objects.order_by("pk").values_list("pk", "plate")),
    "drivers": list(Driver.objects.order_by("pk").values_list("pk", flat=True)),
}}))
"""


def _one_day(stdout, *, webs: int, workers: int, count: int, folder: Path, s3: SeaweedServer):
    import json

    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
    database = f"passdesk_bench_{uuid.uuid4().hex[:8]}"
    _psql(admin_url, f'CREATE DATABASE "{database}"')
    database_url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    bucket_url = s3.url.rsplit("/", 1)[0] + f"/bench-{uuid.uuid4().hex[:8]}"
    from ._seaweed import ensure_bucket

    ensure_bucket(bucket_url)
    secret = folder / "secret"
    common = {
        "database_url": database_url,
        "broker_url": broker,
        "storage_url": bucket_url,
        "secret_key": secrets.token_urlsafe(50),
        "key_secret": secret,
        "passphrase": PASSPHRASE,
        "static_root": collect_static(Path(tempfile.gettempdir()) / "passdesk-bench-static"),
        "extra": {"CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING"},
    }
    (folder / "empty").mkdir(parents=True, exist_ok=True)
    setup_env = node_environment(folder / "setup", **{**common, "key_secret": folder / "empty"})
    setup_env["PASSDESK_SIGNING_KEY_DIR"] = str(secret)
    processes = []
    try:
        _manage(["migrate", "--noinput", "-v", "0"], setup_env)
        _manage(["passdesk_keys", "create"], setup_env)
        seed = SEED.format(count=count, password=PASSWORD)
        seeded = json.loads(_manage(["shell", "-c", seed], setup_env).strip().splitlines()[-1])
        web_nodes = [
            WebNode(f"web-{n}", node_environment(folder / f"web-{n}", **common),
                    folder / f"web-{n}", workers=2, threads=2)
            for n in range(webs)
        ]  # fmt: skip
        worker_nodes = [
            Worker(f"worker-{n}", node_environment(folder / f"worker-{n}", **common),
                   folder / f"worker-{n}", concurrency=2)
            for n in range(workers)
        ]  # fmt: skip
        processes = [*web_nodes, *worker_nodes]
        for process in processes:
            process.start()
        for node in web_nodes:
            node.wait_ready()
        time.sleep(3)  # the workers connect to the broker
        ports = [node.port for node in web_nodes]
        scan = scan_jpeg(150_000, seed=7)

        def backends() -> list[int]:
            out = _psql(admin_url, "SELECT pid FROM pg_stat_activity WHERE datname=%s", [database])
            return [int(line) for line in out.split()]

        meter = CpuMeter(
            {
                "web nodes": lambda: [p for n in web_nodes for p in n.pids()],
                "workers": lambda: [p for w in worker_nodes for p in w.pids()],
                "PostgreSQL": backends,
                "Redis": lambda: _pids_named("redis-server"),
                "S3 server": lambda: [s3.process.pid],
            }
        ).start()
        client_cpu = time.process_time()
        began = time.perf_counter()
        local = threading.local()

        def http(token) -> HttpClient:
            clients = getattr(local, "clients", None)
            if clients is None:
                clients = local.clients = {}
            if token not in clients:
                clients[token] = HttpClient(token=token)
            return clients[token]

        def file_one(n):
            port = ports[n % len(ports)]
            api = http(seeded["applicant"])
            start = time.time() + 5
            created = api.json(port, "POST", "/api/v1/requests/", {
                "pass_type": seeded["pass_type"], "origin": "株洲市", "destination": "长沙市",
                "valid_from": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start)),
                "valid_until": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                             time.gmtime(start + 3 * 86400)),
                "items": [{"vehicle": seeded["vehicles"][n][0],
                           "drivers": [seeded["drivers"][n]]}],
            }, expect=201)  # fmt: skip
            body, content_type = multipart({"kind": "commitment_letter"}, "file", "s.jpg", scan)
            port = ports[(n + 1) % len(ports)]
            api.json(port, "POST", f"/api/v1/requests/{created['id']}/documents/", body,
                     content_type=content_type, expect=201)  # fmt: skip
            api.json(port, "POST", f"/api/v1/requests/{created['id']}/submit/")
            return created["id"]

        def approve(pair):
            n, request_id = pair
            officer = http(seeded["officer"])
            officer.json(ports[n % len(ports)], "POST", f"/api/v1/review/{request_id}/claim/")
            officer.json(ports[(n + 1) % len(ports)], "POST",
                         f"/api/v1/review/{request_id}/approve/", {})  # fmt: skip

        def download(pair):
            n, request_id = pair
            response, data = http(seeded["applicant"]).request(
                ports[n % len(ports)], "GET", f"/api/v1/requests/{request_id}/passes/pdf/"
            )
            if response.status != 200 or not data.startswith(b"%PDF"):
                raise RuntimeError(f"download {request_id}: {response.status}")

        def scan_one(n):
            number = numbers[n]
            http(seeded["inspector"]).json(ports[n % len(ports)], "POST", "/api/v1/scans/", {
                "number": number, "plate": seeded["vehicles"][n][1], "checkpoint": "bridge",
                "nonce": str(uuid.uuid4()),
                "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            }, expect=201)  # fmt: skip

        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            request_ids = list(pool.map(file_one, range(count)))
            filed = time.perf_counter()
            list(pool.map(approve, enumerate(request_ids)))
            approved = time.perf_counter()
            rendered_sql = (
                "SELECT count(DISTINCT request_id) FROM passes_passpdf WHERE pass_obj_id IS NULL"
            )
            deadline = time.monotonic() + 1200
            while int(_psql(database_url, rendered_sql) or 0) < count:
                if time.monotonic() > deadline:
                    raise RuntimeError("the workers did not render every PDF in 20 minutes")
                time.sleep(0.5)
            rendered = time.perf_counter()
            list(pool.map(download, enumerate(request_ids)))
            numbers = _psql(
                database_url, "SELECT number FROM passes_pass ORDER BY request_id"
            ).split()
            list(pool.map(scan_one, range(count)))
        elapsed = time.perf_counter() - began
        client_seconds = time.process_time() - client_cpu
        totals = meter.stop()
        totals["client"] = client_seconds
        thumbnails = _psql(
            database_url, "SELECT count(*) FROM passes_document WHERE thumbnail <> ''"
        ).strip()
        var_files = sum(1 for p in folder.rglob("var/**/*") if p.is_file())
        stdout.write(
            f"  {webs} web + {workers} workers: {count} passes in {elapsed:.1f} s = "
            f"{count / elapsed:.2f} passes/s end to end (filing {filed - began:.1f} s, "
            f"approving {approved - filed:.1f} s, rendering waits {rendered - approved:.1f} s, "
            f"downloads + scans {time.perf_counter() - rendered:.1f} s); thumbnails {thumbnails}; "
            f"files under the nodes' var folders: {var_files}"
        )
        per_pass = ", ".join(f"{name} {seconds / count:.3f}" for name, seconds in totals.items())
        stdout.write(
            f"    CPU-seconds per pass: {per_pass}; total {sum(totals.values()) / count:.3f}"
        )
        return count / elapsed, totals
    finally:
        for process in processes:
            process.stop()
        _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _storage_latency(stdout, s3: SeaweedServer, folder: Path, runs: int) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage
    from storages.backends.s3 import S3Storage

    from config.storage import storage_from_url

    from ._seaweed import ensure_bucket

    url = s3.url.rsplit("/", 1)[0] + "/latency"
    ensure_bucket(url)
    storages = {
        "local disk": FileSystemStorage(location=str(folder / "disk")),
        "S3 (SeaweedFS)": S3Storage(**storage_from_url(url)["OPTIONS"]),
    }
    data = scan_jpeg(1_000_000, seed=3)
    results = {}
    for label, storage in storages.items():
        uploads, downloads = [], []
        for n in range(runs + 1):
            start = time.perf_counter()
            name = storage.save(f"scans/{n}.jpg", ContentFile(data))
            middle = time.perf_counter()
            with storage.open(name, "rb") as handle:
                assert handle.read() == data
            end = time.perf_counter()
            if n:  # the first call sets up clients and folders
                uploads.append(middle - start)
                downloads.append(end - middle)
        results[label] = (uploads, downloads)
    stdout.write(f"  storage, one {len(data) / 1e6:.2f} MB scan, n={runs}:")
    for label, (uploads, downloads) in results.items():
        report(stdout, f"{label} upload", uploads)
        report(stdout, f"{label} download", downloads)
    s3_up, s3_down = (statistics.median(x) for x in results["S3 (SeaweedFS)"])
    disk_up, disk_down = (statistics.median(x) for x in results["local disk"])
    stdout.write(
        f"  side by side (median ms): upload disk {disk_up * 1000:.1f} vs S3 {s3_up * 1000:.1f}; "
        f"download disk {disk_down * 1000:.1f} vs S3 {s3_down * 1000:.1f}"
    )


def run(stdout, runs: int) -> None:
    count = int(os.environ.get("BENCH_PROVINCE_REQUESTS", "300"))
    stdout.write(
        f"province: {count} requests per configuration, {CLIENT_THREADS} client threads "
        f"({machine_line()}; shared machine: other work on it counts against every figure)"
    )
    folder = Path(tempfile.mkdtemp(prefix="passdesk-bench-province-"))
    s3 = SeaweedServer(folder / "s3")
    try:
        s3.start()
        _storage_latency(stdout, s3, folder, max(runs, 30))
        results = {}
        for webs, workers in ((1, 1), (2, 2)):
            results[(webs, workers)] = _one_day(
                stdout, webs=webs, workers=workers, count=count,
                folder=folder / f"site-{webs}-{workers}", s3=s3,
            )  # fmt: skip
        one, two = results[(1, 1)][0], results[(2, 2)][0]
        stdout.write(
            f"  end to end: one node of each {one:.2f} passes/s, two of each {two:.2f} passes/s "
            f"(x{two / one:.2f}); target >= 5 passes/s with two of each"
        )
        sample = results[(2, 2)][1]
        per_day = 100_000
        stdout.write(
            f"  at {per_day:,} passes a day (two of each): "
            + ", ".join(
                f"{name} {seconds / count * per_day / 3600:.1f} CPU-hours"
                for name, seconds in sample.items()
            )  # fmt: skip
        )
    except BaseException:
        stdout.write(f"  failed: the nodes' logs are kept in {folder}")
        s3.stop()
        raise
    s3.stop()
    shutil.rmtree(folder, ignore_errors=True)
