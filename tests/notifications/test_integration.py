"""End to end against real services: an approval committed in PostgreSQL, its notification
travelling through Redis to a real Celery worker process, and the e-mail received by a real SMTP
server (aiosmtpd) — also when the broker was unreachable at the moment of approval."""

import io

import pytest
from pypdf import PdfReader

from passes import notifications
from passes.models import Notification, PassRequest
from passes.notifications.outbox import deliver_notification, sweep_notifications
from passes.requests import workflow
from tests import factories
from tests.faults import broker_unreachable
from tests.smtp_sink import running_smtp_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def smtp_server():
    with running_smtp_server() as server:
        yield server


def approval_mail(pass_request):
    def match(item):
        return pass_request.reference in item["message"]["Subject"] and "已批准" in str(
            item["message"]["Subject"]
        )

    return match


def ready_for_approval(applicant, reviewer, vehicles=2):
    pass_request = factories.submittable_request(
        vehicles=vehicles, enterprise=applicant.membership.enterprise
    )
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    return pass_request


def wait_for_task(worker, task_id, timeout=60):
    worker.wait_for(
        lambda: f"[{task_id}] succeeded" in worker.log(),
        timeout=timeout,
        message=f"task {task_id} to finish",
    )


def test_approval_email_reaches_a_real_smtp_server_through_a_real_worker(
    start_celery_worker, smtp_server, applicant, reviewer
):
    pass_request = ready_for_approval(applicant, reviewer)
    with start_celery_worker(env=smtp_server.env()):
        passes = workflow.approve(pass_request, by=reviewer)
        (received,) = smtp_server.sink.wait_for(approval_mail(pass_request), timeout=90)

    message = received["message"]
    assert received["to"] == [applicant.email]
    assert message["To"] == applicant.email
    assert str(message["Subject"]).strip() == (
        f"【通行证】申请 {pass_request.reference} 已批准，签发通行证 2 张"
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for issued in passes:
        assert issued.number in text and issued.plate in text and issued.number in html
    assert "http://" in text  # the link to the passes
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"passdesk-passes-{pass_request.reference}.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert len(pdf.pages) == 2  # one page per pass
    pdf_text = "".join(page.extract_text() for page in pdf.pages)
    assert all(issued.number in pdf_text.replace(" ", "") for issued in passes)

    row = Notification.objects.get(event=notifications.REQUEST_APPROVED)
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)


def test_broker_outage_delays_the_email_but_loses_none_and_sends_it_once(
    start_celery_worker, smtp_server, applicant, reviewer
):
    pass_request = ready_for_approval(applicant, reviewer, vehicles=1)
    with start_celery_worker(env=smtp_server.env()) as worker:
        with broker_unreachable():
            workflow.approve(pass_request, by=reviewer)

        # The approval committed and its notification waits in the outbox, undispatched: no
        # task message exists, so nothing can have been sent (no waiting to prove an absence).
        assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.APPROVED
        row = Notification.objects.get(event=notifications.REQUEST_APPROVED)
        assert row.status == Notification.Status.QUEUED and row.dispatched_at is None
        assert row.attempts == 0
        assert not smtp_server.sink.matching(approval_mail(pass_request))

        # The broker is back: the beat's sweeper task runs on the worker and dispatches it.
        wait_for_task(worker, sweep_notifications.delay().id)
        smtp_server.sink.wait_for(approval_mail(pass_request), timeout=60)

        # A second sweep and a duplicate task message change nothing.
        wait_for_task(worker, sweep_notifications.delay().id)
        wait_for_task(worker, deliver_notification.delay(row.pk).id)

    assert len(smtp_server.sink.matching(approval_mail(pass_request))) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)
