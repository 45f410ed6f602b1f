"""A worker killed with ``kill -9`` in the middle of sending an e-mail (the SMTP server holds
the message): the row stays "sending" with nobody working on it. The sweeper on another worker
leaves it alone while a live send could still be running, and once
``PASSDESK_NOTIFY_SENDING_TIMEOUT`` has passed it is sent, exactly once, by that worker."""

import asyncio
import datetime
import os
import signal
import threading

import pytest
from aiosmtpd.controller import Controller

from passes import notifications
from passes.models import Notification
from passes.notifications.outbox import sweep_notifications
from passes.requests import workflow
from tests import factories
from tests.smtp_sink import Sink, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

SENDING_TIMEOUT = 300  # the default


class HoldingSink(Sink):
    """Holds the first message's DATA unanswered (a slow mail server) until released; that
    message is never accepted."""

    def __init__(self):
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._held = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        if not self._held:
            self._held = True
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_smtp():
    sink = HoldingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "120",  # the held send must not time out before the kill
        "PASSDESK_NOTIFY_SENDING_TIMEOUT": str(SENDING_TIMEOUT),
    }
    try:
        yield sink, env
    finally:
        sink.release.set()
        controller.stop()


def approval_mails(sink, pass_request):
    return sink.matching(lambda item: pass_request.reference in str(item["message"]["Subject"]))


def wait_for_task(worker, task_id):
    worker.wait_for(
        lambda: f"[{task_id}] succeeded" in worker.log(),
        timeout=60,
        message=f"task {task_id} to finish",
    )


def test_an_email_claimed_by_a_killed_worker_is_sent_after_the_sending_timeout(
    start_celery_worker, holding_smtp, applicant, reviewer
):
    sink, env = holding_smtp
    pass_request = factories.submittable_request(
        vehicles=1, enterprise=applicant.membership.enterprise
    )
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)

    with start_celery_worker(env=env) as first:
        workflow.approve(pass_request, by=reviewer)
        first.wait_for(sink.holding.is_set, timeout=90, message="the e-mail to reach the server")
        os.kill(first.process.pid, signal.SIGKILL)  # the solo pool sends in this very process
        first.process.wait(timeout=30)
    sink.release.set()
    row = Notification.objects.get(event=notifications.REQUEST_APPROVED)
    assert (row.status, row.attempts) == (Notification.Status.SENDING, 1)

    with start_celery_worker(env=env) as second:
        # A send that might still be running is left alone...
        wait_for_task(second, sweep_notifications.delay().id)
        row.refresh_from_db()
        assert row.status == Notification.Status.SENDING
        assert not approval_mails(sink, pass_request)

        # ...and once the timeout has passed since the claim, the next sweep sends it.
        claimed = row.claimed_at - datetime.timedelta(seconds=SENDING_TIMEOUT + 1)
        Notification.objects.filter(pk=row.pk).update(claimed_at=claimed)
        wait_for_task(second, sweep_notifications.delay().id)
        sink.wait_for(lambda item: pass_request.reference in str(item["message"]["Subject"]))
        second.wait_for(
            lambda: Notification.objects.get(pk=row.pk).status == Notification.Status.SENT,
            message="the row to be marked sent",
        )

    assert len(approval_mails(sink, pass_request)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 2)
