"""One announcement to 1,000 enterprises (3,000 members, mixed channels) through real parts:
PostgreSQL, Redis, one Celery worker process (solo pool), an SMTP server (aiosmtpd, in this
process) and an HTTP server standing in for the SMS gateway and the enterprises' webhooks.

Per run an officer publishes one announcement to all enterprises through the admin's add page
(Django's test client, in this process, with a real commit and the task published to Redis):

- *admin request*: the POST's own time (must stay under 300 ms: delivery is not its work);
- *until all sent*: from the POST until every outbox row of the announcement is ``sent``.

Sizes: ``PASSDESK_BENCH_ANNOUNCE_ENTERPRISES`` (1,000) with ``PASSDESK_BENCH_ANNOUNCE_MEMBERS``
(3) members each; one member in ten reads English, two in ten also want SMS, one in ten only
SMS; every tenth enterprise has a webhook. Needs ``DATABASE_URL`` pointing at PostgreSQL (the
section creates and drops the database ``passdesk_bench_announcements``); the broker is
``PASSDESK_BENCH_BROKER`` (default ``redis://127.0.0.1:6379/8``), purged before use. The first
announcement (to the key enterprises only) warms the worker up and is not counted.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.db import connection
from django.test import Client
from django.utils import timezone

from . import machine_line, report
from .notifications import _free_port, _producer, _Sink, _worker

DB_NAME = "passdesk_bench_announcements"
ADMIN_LIMIT_MS = 300
SEND_TIMEOUT = 900


def _env_int(name, default):
    return int(os.environ.get(name, default))


class _Hits(BaseHTTPRequestHandler):
    """Answers 200 to every POST (SMS gateway and webhooks) and counts them."""

    count = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server hook
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Hits.lock:
            _Hits.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _bench_database():
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DB_NAME
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextlib.contextmanager
def _environment(values):
    """Settings the worker reads from its environment (it copies this process's)."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _audience(enterprises, per_enterprise, http_port):
    """Enterprises, members with mixed channel preferences, some webhooks. Returns the number
    of outbox rows one announcement to all of them makes."""
    from django.contrib.auth import get_user_model

    from passes.models import Enterprise, Membership, NotificationPreference, WebhookEndpoint

    from ._seed import verified_enterprises

    user_model = get_user_model()
    created = verified_enterprises(enterprises)
    # Every 40th is a key enterprise, as in a real province's list.
    Enterprise.objects.filter(pk__in=[e.pk for e in created[::40]]).update(is_key_enterprise=True)
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"m{e}-{n}", email=f"m{e}-{n}@example.com")
            for e in range(enterprises)
            for n in range(per_enterprise)
        ],
        batch_size=1000,
    )
    memberships, preferences, expected = [], [], 0
    for number, user in enumerate(users):
        memberships.append(Membership(user=user, enterprise=created[number // per_enterprise]))
        mix = number % 10
        email, sms = mix != 8, mix in (6, 7, 8)
        expected += email + sms
        preferences.append(
            NotificationPreference(
                user=user,
                language="en" if mix == 9 else "zh-hans",
                email_enabled=email,
                sms_enabled=sms,
                sms_phone=f"139{number:08d}" if sms else "",
            )
        )
    Membership.objects.bulk_create(memberships, batch_size=1000)
    NotificationPreference.objects.bulk_create(preferences, batch_size=1000)
    hooks = [
        WebhookEndpoint(enterprise=enterprise, url=f"http://127.0.0.1:{http_port}/hook/{n}")
        for n, enterprise in enumerate(created)
        if n % 10 == 0
    ]
    WebhookEndpoint.objects.bulk_create(hooks)
    return expected + len(hooks)


def _key_rows() -> int:
    """Outbox rows an announcement to the key enterprises makes (the warm-up)."""
    from passes.messaging.audience import enterprises_for
    from passes.models import Announcement, Membership, WebhookEndpoint

    key = enterprises_for(Announcement(audience="key"))
    people = Membership.objects.filter(enterprise__in=key).select_related(
        "user__notification_preference"
    )
    rows = sum(
        m.user.notification_preference.email_enabled + m.user.notification_preference.sms_enabled
        for m in people
    )
    return rows + WebhookEndpoint.objects.filter(enterprise__in=key).count()


def _officer():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    officer = get_user_model().objects.create_user("bench-officer", "o@example.com", is_staff=True)
    officer.groups.add(Group.objects.get(name="Officers"))
    client = Client()
    client.force_login(officer)
    return client


def _publish(client, title, audience="all"):
    now = timezone.localtime()
    data = {
        "title": title,
        "body": "各物流企业：请按附件指引准备材料。https://example.cn/guide",
        "audience": audience,
        "pass_type": "",
        "district": "",
        "publish_at_0": now.strftime("%Y-%m-%d"),
        "publish_at_1": now.strftime("%H:%M:%S"),
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    started = time.perf_counter()
    response = client.post("/admin/passes/announcement/add/", data)
    took = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"publishing failed: HTTP {response.status_code}")
    return took, started


def _wait_sent(title, expected, started):
    from passes.messaging.announcements import EVENT
    from passes.models import Announcement, Notification

    announcement = Announcement.objects.get(title=title)
    rows = Notification.objects.filter(event=EVENT, object_id=announcement.pk)
    deadline = time.monotonic() + SEND_TIMEOUT
    while True:
        sent = rows.filter(status=Notification.Status.SENT).count()
        if sent >= expected:
            return time.perf_counter() - started
        dead = rows.filter(status=Notification.Status.DEAD).first()
        if dead is not None:
            raise RuntimeError(f"a {dead.channel} message is dead: {dead.last_error}")
        if time.monotonic() > deadline:
            stuck = dict(rows.exclude(status="sent").values_list("status").annotate())
            raise TimeoutError(f"{sent} of {expected} sent; others: {stuck}")
        time.sleep(0.1)


def run(stdout, runs: int) -> None:
    if connection.vendor != "postgresql":
        stdout.write("  skipped: needs DATABASE_URL pointing at PostgreSQL")
        return
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    broker = os.environ.get("PASSDESK_BENCH_BROKER", "redis://127.0.0.1:6379/8")
    enterprises = _env_int("PASSDESK_BENCH_ANNOUNCE_ENTERPRISES", 1000)
    per_enterprise = _env_int("PASSDESK_BENCH_ANNOUNCE_MEMBERS", 3)
    sink = _Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Hits)
    http_port = http.server_address[1]
    threading.Thread(target=http.serve_forever, daemon=True).start()
    worker_env = {
        "PASSDESK_SMS_BACKEND": "passes.notifications.channels.sms.HttpGatewaySmsBackend",
        "PASSDESK_SMS_GATEWAY_URL": f"http://127.0.0.1:{http_port}/sms",
        "PASSDESK_WEBHOOK_ALLOW_PRIVATE": "true",
        "PASSDESK_WEBHOOK_REQUIRE_HTTPS": "false",
    }
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            _environment(worker_env),
            _bench_database(),
            _producer(broker),
            _worker(broker, smtp_port, Path(tmp)),
        ):
            stdout.write(f"  {machine_line()}")
            expected = _audience(enterprises, per_enterprise, http_port)
            stdout.write(
                f"  audience: {enterprises} enterprises, {enterprises * per_enterprise} members, "
                f"{expected} outbox rows per announcement (e-mail, SMS, webhooks)"
            )
            client = _officer()
            # Warm-up (not counted): the key enterprises only, so the worker has imported,
            # rendered and connected once without a full delivery's time.
            took, started = _publish(client, "warm-up", audience="key")
            total = _wait_sent("warm-up", _key_rows(), started)
            stdout.write(f"    warm-up: admin request {took * 1000:.0f} ms, sent in {total:.1f} s")
            admin_times, totals = [], []
            for number in range(1, runs + 1):
                title = f"公告 {number} {datetime.datetime.now():%H%M%S%f}"
                mails, hits = sink.count(), _Hits.count
                took, started = _publish(client, title)
                total = _wait_sent(title, expected, started)
                stdout.write(
                    f"    run {number}: admin request {took * 1000:.0f} ms, all {expected} sent "
                    f"after {total:.1f} s ({sink.count() - mails} e-mails at SMTP, "
                    f"{_Hits.count - hits} SMS/webhook calls, "
                    f"{expected / total:.0f} messages/s)"
                )
                admin_times.append(took)
                totals.append(total)
            report(stdout, "admin request publishing the announcement", admin_times)
            report(stdout, "publish -> every outbox row sent", totals, unit="s", scale=1.0)
            worst = max(admin_times) * 1000
            verdict = "within" if worst < ADMIN_LIMIT_MS else "OVER"
            stdout.write(f"  slowest admin request {worst:.0f} ms: {verdict} {ADMIN_LIMIT_MS} ms")
    finally:
        http.shutdown()
        controller.stop()
