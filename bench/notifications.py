"""Notification figures with real parts: PostgreSQL, Redis, one Celery worker process, SMTP.

1. *commit → inbox*: a reviewer approves a one-vehicle request; the time from the approving
   transaction's commit to the e-mail arriving at an SMTP server (aiosmtpd, in this process),
   through Redis and a real worker (which also renders the pass PDF it attaches). Sequential
   approvals, median of ``PASSDESK_BENCH_NOTIFY_APPROVALS`` (20) with the spread.
2. *delivery rate*: ``PASSDESK_BENCH_NOTIFY_ROWS`` (1,000) queued e-mail rows dispatched at once
   and drained by ONE worker process (solo pool) into the SMTP sink: messages per second,
   ``runs`` times.

Needs ``DATABASE_URL`` pointing at PostgreSQL: the section creates its own database (the
server's test database ``passdesk_bench_notify``) and drops it. The broker is
``PASSDESK_BENCH_BROKER`` (default ``redis://127.0.0.1:6379/8``), purged before use; set
``PASSDESK_BENCH_WORKER_LOG`` to a path to keep the worker's log (per-task times). The worker,
the SMTP server and this process share the machine's cores: read the load average lines.
"""

from __future__ import annotations

import contextlib
import datetime
import email
import email.parser
import email.policy
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from . import machine_line, report, report_rate

BASE_DIR = Path(__file__).resolve().parents[1]
DB_NAME = "passdesk_bench_notify"
READY_TIMEOUT = 120
MAIL_TIMEOUT = 120


def _env_int(name, default):
    return int(os.environ.get(name, default))


class _Sink:
    """aiosmtpd handler: arrival time and subject of every message."""

    def __init__(self):
        self.arrivals = []  # (time.time(), subject, rcpt)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        arrived = time.time()
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(
            envelope.content
        )
        with self.lock:
            self.arrivals.append((arrived, str(headers["Subject"]).strip(), envelope.rcpt_tos))
        return "250 OK"

    def count(self):
        with self.lock:
            return len(self.arrivals)

    def wait(self, predicate, timeout=MAIL_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for arrival in self.arrivals:
                    if predicate(arrival):
                        return arrival
            time.sleep(0.002)
        raise TimeoutError("the e-mail did not arrive")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    user, host = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@contextlib.contextmanager
def _bench_database():
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DB_NAME
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextlib.contextmanager
def celery_worker(broker, workdir: Path, *, name: str, env=None, queues: str | None = None):
    """A real ``celery worker`` (solo pool) on the benchmark database and ``broker``, started
    and ready on entry, stopped on exit; ``env`` adds to its environment. The OCR benchmark
    starts its ``ocr`` worker with it too."""
    # The run's own broker and mail server, never the caller's.
    worker_env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "EMAIL_"))}
    worker_env.pop("TEST_DATABASE_NAME", None)
    worker_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": str(workdir / "media"),
            "LOG_LEVEL": "WARNING",
            # As in production: keep the worker's database connection between tasks.
            "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "600"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
    )
    log_path = workdir / f"{name}-worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed command line, our own interpreter
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                *([f"--queues={queues}"] if queues else ["--concurrency=1"]),
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=bench-{name}-{os.getpid()}@localhost",
            ],
            cwd=BASE_DIR,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        if os.environ.get("PASSDESK_BENCH_WORKER_LOG"):  # keep the worker's log to study it
            shutil.copyfile(log_path, os.environ["PASSDESK_BENCH_WORKER_LOG"])


def _worker(broker, smtp_port, workdir: Path):
    """The notification worker: e-mail to this run's SMTP sink."""
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }
    return celery_worker(broker, workdir, name="notify", env=env)


@contextlib.contextmanager
def _producer(broker):
    """This process publishes to the benchmark broker, not eagerly."""
    from config.celery import app

    previous = (app.conf.get("broker_write_url"), app.conf.task_always_eager)
    app.conf.broker_write_url = broker
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        with app.connection_for_write() as conn:
            app.control.purge(connection=conn)
        yield
    finally:
        app.conf.broker_write_url, app.conf.task_always_eager = previous
        app._pool = None
        app.amqp._producer_pool = None


def _people():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from passes import validators
    from passes.models import Enterprise, Membership, PassType

    body = "91430200MA4BENCH1"
    enterprise = Enterprise.objects.create(
        name="株洲市荷塘区顺达物流有限责任公司",
        credit_code=body + validators.credit_code_check_character(body),
        address="湖南省株洲市荷塘区",
        contact_name="李经理",
        contact_phone="13912345678",
        verification_status=Enterprise.Verification.VERIFIED,
    )
    user_model = get_user_model()
    applicant = user_model.objects.create_user("bench-applicant", "applicant@example.com", "x")
    Membership.objects.create(user=applicant, enterprise=enterprise, role=Membership.Role.OWNER)
    reviewer = user_model.objects.create_user(
        "bench-reviewer", "reviewer@example.com", "x", is_staff=True
    )
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    reviewer = user_model.objects.get(pk=reviewer.pk)  # fresh permission cache
    pass_type = PassType.objects.create(
        name="城区货车通行证", code="bench-urban", max_validity_days=30
    )
    return enterprise, applicant, reviewer, pass_type


def _claimed_request(index, enterprise, applicant, reviewer, pass_type):
    from passes import validators
    from passes.models import Driver, PassRequest, RequestItem, Vehicle
    from passes.requests import workflow

    now = timezone.now()
    pass_request = PassRequest.objects.create(
        enterprise=enterprise,
        pass_type=pass_type,
        valid_from=now,
        valid_until=now + datetime.timedelta(days=7),
        origin="株洲市荷塘区",
        destination="长沙市雨花区",
    )
    vehicle = Vehicle.objects.create(enterprise=enterprise, plate=f"湘B{index:05d}")
    id_body = f"43020219850615{index % 1000:03d}"
    driver = Driver.objects.create(
        enterprise=enterprise,
        name=f"司机{index}",
        id_number=id_body + validators.id_number_check_character(id_body),
        phone=f"138{index:08d}",
    )
    item = RequestItem.objects.create(request=pass_request, vehicle=vehicle)
    item.drivers.set([driver])
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    return pass_request


def _commit_to_inbox(stdout, sink, approvals):
    from passes.requests import workflow

    people = _people()
    reviewer = people[2]
    requests = [_claimed_request(i + 1, *people) for i in range(approvals + 1)]
    latencies = []
    for index, pass_request in enumerate(requests):
        committed = []
        with transaction.atomic():
            transaction.on_commit(lambda committed=committed: committed.append(time.time()))
            workflow.approve(pass_request, by=reviewer)
        reference = pass_request.reference
        arrived, _subject, _to = sink.wait(lambda a, ref=reference: ref in a[1] and "批准" in a[1])
        if index:  # the first one warms up the worker (imports, font, connections)
            latencies.append(arrived - committed[0])
    report(stdout, f"approval commit -> e-mail at SMTP server ({approvals} approvals)", latencies)


def _delivery_rate(stdout, sink, rows, runs):
    from passes.models import Notification
    from passes.notifications import outbox

    rates = []
    for run in range(runs + 1):
        stamp = f"{time.time():.6f}"
        Notification.objects.bulk_create(
            [
                Notification(
                    event="bench.delivery",
                    address=f"bench{i}@example.com",
                    channel="email",
                    subject=f"passdesk benchmark {stamp} #{i}",
                    body_text="一封测试邮件 / a test message\n" * 10,
                    idempotency_key=f"bench:{stamp}:{i}",
                )
                for i in range(rows)
            ],
            batch_size=500,
        )
        ids = list(
            Notification.objects.filter(idempotency_key__startswith=f"bench:{stamp}:")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        before = sink.count()
        started = time.perf_counter()
        outbox.dispatch(ids, force=True)
        deadline = time.monotonic() + MAIL_TIMEOUT + rows / 5
        while sink.count() - before < rows:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {sink.count() - before} of {rows} e-mails arrived")
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        sent = Notification.objects.filter(pk__in=ids, status=Notification.Status.SENT).count()
        if run:  # the first run warms up
            rates.append(rows / elapsed)
            stdout.write(f"    run {run}: {rows} e-mails in {elapsed:.2f} s ({sent} marked sent)")
    report_rate(stdout, f"queued e-mails delivered by one worker ({rows} per run)", rates, "/s")


def run(stdout, runs: int) -> None:
    if connection.vendor != "postgresql":
        stdout.write("  skipped: needs DATABASE_URL pointing at PostgreSQL")
        return
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP verb
    broker = os.environ.get("PASSDESK_BENCH_BROKER", "redis://127.0.0.1:6379/8")
    approvals = _env_int("PASSDESK_BENCH_NOTIFY_APPROVALS", 20)
    rows = _env_int("PASSDESK_BENCH_NOTIFY_ROWS", 1000)
    sink = _Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            _bench_database(),
            _producer(broker),
            _worker(broker, smtp_port, Path(tmp)),
        ):
            stdout.write(f"  {machine_line()}")
            _commit_to_inbox(stdout, sink, approvals)
            _delivery_rate(stdout, sink, rows, runs)
    finally:
        controller.stop()
