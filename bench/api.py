"""The API as a client sees it, against a real gunicorn on loopback.

``python manage.py benchmark api [--runs N]`` (or ``python -m bench.api``):

1. the time to create a draft, upload three ~1 MB scans and submit it through the API
   (median of at least 20 runs, with the spread, and each step's median);
2. the memory of the web worker processes around one 10 MB upload: ``VmHWM`` (peak resident
   set) and ``VmRSS`` of every gunicorn worker from ``/proc`` before and after.

Everything runs in a throw-away folder: a fresh SQLite database (or ``BENCH_DATABASE_URL``),
private media, 2 gunicorn workers bound to 127.0.0.1 on a free port, stopped at the end. Celery
is not eager there (a memory broker nobody reads), so thumbnails are not drawn in the web
process: what is measured is the web tier alone, as deployed with a worker.
"""

import http.client
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import machine_line, report

BASE_DIR = Path(__file__).resolve().parents[1]
MIN_RUNS = 20
WORKERS = 2
SCAN_BYTES = 1_000_000
BIG_UPLOAD_BYTES = 10_000_000
PASSWORD = "bench-" + secrets.token_hex(8)


# --- Files ------------------------------------------------------------------------------------


def scan_jpeg(target_bytes: int, seed: int) -> bytes:
    """A noisy A4 'scan' whose JPEG is about ``target_bytes``: noise keeps it from compressing
    far below, as real phone scans of stamped paper do."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    side = 400
    while True:
        width, height = side, int(side * 1.414)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        draw = ImageDraw.Draw(image)
        draw.rectangle([0, 0, width, height // 6], fill=(200, 20, 20))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        data = buffer.getvalue()
        if len(data) >= target_bytes * 0.97:
            return data
        side = int(side * max(1.05, (target_bytes / len(data)) ** 0.5))


def multipart(fields: dict, file_field: str, file_name: str, file_bytes: bytes):
    boundary = "----passdesk" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{file_name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
    )
    body = b"".join(parts) + file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- The server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PASSDESK_VAR_DIR": str(folder),
            "MEDIA_ROOT": str(folder / "media"),
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}"
            ),
            "DEBUG": "false",
            # Keys are written encrypted outside DEBUG (a throw-away key for the run).
            "PASSDESK_SIGNING_KEY_PASSPHRASE": "passdesk-benchmark-run",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "API_THROTTLE_UPLOADS": "100000/min",
            "API_THROTTLE_AUTH": "1000/min",
            "CACHE_URL": "locmemcache://bench",
            "PASSDESK_SIGNING_AUTO_CREATE": "true",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _run(args, env, **kwargs):
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=BASE_DIR, env=env, check=True, **kwargs
    )


def seed() -> dict:
    """In the benchmark's own database: a verified enterprise, its user and token, a pass type
    without required documents, one vehicle and one driver."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from passes.models import Driver, Enterprise, Membership, PassType, Vehicle
    from passes.validators import credit_code_check_character, id_number_check_character

    body = "914302000BENCH0001"[:17]
    enterprise = Enterprise.objects.create(
        name="基准测试物流有限公司",
        credit_code=body + credit_code_check_character(body),
        address="湖南省株洲市",
        contact_name="测试",
        contact_phone="13900000000",
        verification_status=Enterprise.Verification.VERIFIED,
    )
    user = get_user_model().objects.create_user("bench", password=PASSWORD)
    Membership.objects.create(user=user, enterprise=enterprise, role=Membership.Role.OWNER)
    pass_type = PassType.objects.create(name="基准", code="bench", max_validity_days=30)
    vehicle = Vehicle.objects.create(enterprise=enterprise, plate="湘B12345")
    id_body = "43020219850615001"
    driver = Driver.objects.create(
        enterprise=enterprise,
        name="王师傅",
        id_number=id_body + id_number_check_character(id_body),
        phone="13800000000",
    )
    return {
        "token": Token.objects.create(user=user).key,
        "pass_type": pass_type.pk,
        "vehicle": vehicle.pk,
        "driver": driver.pk,
    }


class Server:
    def __init__(self, folder: Path):
        self.folder = folder
        self.env = _environment(folder)
        self.port = _free_port()
        self.process = None

    def start(self) -> dict:
        _run(["manage.py", "migrate", "--noinput", "-v", "0"], self.env)
        seeded = json.loads(
            _run(["-m", "bench.api", "--seed"], self.env, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        log = open(self.folder / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the server
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "120",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(seeded["token"])
        return seeded

    def _wait_ready(self, token: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _body = Client(self.port, token).call("GET", "/api/v1/vehicles/")
                if status == 200 and len(self.worker_pids()) == WORKERS:
                    return
            except (OSError, ValueError, http.client.HTTPException):
                pass  # still booting
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not come up; see {self.folder / 'gunicorn.log'}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return sorted(int(pid) for pid in children.read_text().split())

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def memory_kib(pid: int) -> dict:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values


# --- The client -------------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Token {token}", "Accept-Language": "en"}

    def call(self, method, path, body=None, content_type="application/json"):
        headers = dict(self.headers)
        if body is not None:
            if content_type == "application/json":
                body = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if not response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, data.decode(errors="replace")[:500]
        return response.status, (json.loads(data) if data else None)

    def expect(self, status, method, path, body=None, content_type="application/json"):
        got, data = self.call(method, path, body, content_type)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} {data}")
        return data


def draft_body(seeded) -> dict:
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC) + timedelta(hours=1)
    return {
        "pass_type": seeded["pass_type"],
        "origin": "株洲市荷塘区",
        "destination": "长沙市雨花区",
        "valid_from": start.isoformat(),
        "valid_until": (start + timedelta(days=3)).isoformat(),
        "items": [{"vehicle": seeded["vehicle"], "drivers": [seeded["driver"]]}],
    }


def file_and_submit(client, seeded, scans) -> dict:
    """One request through the API; seconds per step."""
    steps = {}
    start = time.perf_counter()
    created = client.expect(201, "POST", "/api/v1/requests/", draft_body(seeded))
    steps["create"] = time.perf_counter() - start
    documents = f"/api/v1/requests/{created['id']}/documents/"
    kinds = [
        {"kind": "vehicle_licence", "item": created["items"][0]["id"]},
        {"kind": "driving_licence", "driver": seeded["driver"]},
        {"kind": "commitment_letter"},
    ]
    for number, (fields, scan) in enumerate(zip(kinds, scans, strict=True)):
        body, content_type = multipart(fields, "file", f"scan{number}.jpg", scan)
        begun = time.perf_counter()
        client.expect(201, "POST", documents, body, content_type)
        steps[f"upload {number + 1}"] = time.perf_counter() - begun
    begun = time.perf_counter()
    submitted = client.expect(200, "POST", f"/api/v1/requests/{created['id']}/submit/")
    steps["submit"] = time.perf_counter() - begun
    assert submitted["status"] == "submitted"
    steps["total"] = time.perf_counter() - start
    return steps


# --- The section ------------------------------------------------------------------------------


def run(stdout, runs: int) -> None:
    runs = max(runs, MIN_RUNS)
    stdout.write(
        f"api: gunicorn {WORKERS} workers on 127.0.0.1, SQLite unless BENCH_DATABASE_URL "
        f"({machine_line()}; shared machine: figures are noisy)"
    )
    folder = Path(tempfile.mkdtemp(prefix="passdesk-bench-api-"))
    server = Server(folder)
    try:
        seeded = server.start()
        client = Client(server.port, seeded["token"])
        scans = [scan_jpeg(SCAN_BYTES, seed) for seed in range(3)]
        sizes = ", ".join(f"{len(s) / 1e6:.2f}" for s in scans)
        stdout.write(f"  scans: 3 JPEGs of {sizes} MB")
        file_and_submit(client, seeded, scans)  # warm-up: imports, connections
        samples = [file_and_submit(client, seeded, scans) for _ in range(runs)]
        report(
            stdout,
            "create + 3 uploads of ~1 MB + submit",
            [s["total"] for s in samples],
        )
        for step in ("create", "upload 1", "upload 2", "upload 3", "submit"):
            report(stdout, f"  step {step}", [s[step] for s in samples])

        big = scan_jpeg(BIG_UPLOAD_BYTES, seed=99)
        before = {pid: memory_kib(pid) for pid in server.worker_pids()}
        created = client.expect(201, "POST", "/api/v1/requests/", draft_body(seeded))
        body, content_type = multipart({"kind": "other"}, "file", "big.jpg", big)
        begun = time.perf_counter()
        client.expect(
            201, "POST", f"/api/v1/requests/{created['id']}/documents/", body, content_type
        )
        elapsed = time.perf_counter() - begun
        after = {pid: memory_kib(pid) for pid in server.worker_pids()}
        stdout.write(
            f"  one upload of {len(big) / 1e6:.2f} MB took {elapsed * 1000:.0f} ms; web worker "
            "memory (KiB) before -> after:"
        )
        for pid in sorted(before):
            b, a = before[pid], after.get(pid, {})
            hwm, rss = a.get("VmHWM", 0), a.get("VmRSS", 0)
            stdout.write(
                f"    worker {pid}: VmHWM {b['VmHWM']} -> {hwm} ({hwm - b['VmHWM']:+d}), "
                f"VmRSS {b['VmRSS']} -> {rss} ({rss - b['VmRSS']:+d})"
            )
        peak = max(a["VmHWM"] for a in after.values())
        stdout.write(
            f"  peak resident memory of a web worker after the 10 MB upload: {peak / 1024:.1f} MiB"
        )
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class _Lines:
    def write(self, line: str) -> None:
        print(line, flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "--seed" in sys.argv:
        print(json.dumps(seed()))
    else:
        runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else MIN_RUNS
        run(_Lines(), runs)
