"""The outbox: rows written with the change, delivered once, retried with backoff, swept."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation

from passes import notifications
from passes.models import Notification, PassRequest
from passes.notifications import backoff, outbox
from passes.notifications.outbox import deliver_notification
from passes.requests import workflow
from tests import factories
from tests.factories.notifications import PreferenceFactory, approved_request

Status = Notification.Status


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def approved_rows(pass_request):
    return Notification.objects.filter(
        event=notifications.REQUEST_APPROVED, object_id=pass_request.pk
    )


# --- Outbox rows -------------------------------------------------------------------------------


def test_approval_writes_its_notification_in_the_same_transaction(applicant, reviewer):
    pass_request, passes = approved_request(applicant, reviewer, vehicles=2)

    row = approved_rows(pass_request).get()
    assert row.status == Status.QUEUED
    assert row.recipient == applicant
    assert row.address == applicant.email
    assert row.channel == "email"
    assert row.language == "zh-hans"
    assert "已批准" in row.subject
    assert all(p.number in row.body_text for p in passes)
    assert sorted(row.attachments) == sorted(p.pk for p in passes)
    assert row.idempotency_key.startswith(f"request.approved:{pass_request.pk}:")


def test_a_rolled_back_approval_leaves_no_notification(applicant, reviewer):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)

    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.approve(pass_request, by=reviewer)
        raise RuntimeError("the office's power went out")

    assert not approved_rows(pass_request).exists()
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.IN_REVIEW


def test_dispatch_waits_for_the_commit(applicant, reviewer, django_capture_on_commit_callbacks):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.approve(pass_request, by=reviewer)
    assert approved_rows(pass_request).get().status == Status.QUEUED
    assert not mail.outbox  # nothing sent before the commit

    for callback in callbacks:  # the commit: eager Celery delivers in-process
        callback()
    assert approved_rows(pass_request).get().status == Status.SENT
    assert [message.to for message in mail.outbox if "已批准" in message.subject] == [
        [applicant.email]
    ]


def test_queueing_the_same_event_twice_writes_one_row(applicant, reviewer):
    pass_request, _passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()

    with transaction.atomic():
        again = notifications.queue_event(
            notifications.REQUEST_APPROVED,
            object_id=pass_request.pk,
            audit_event_id=row.audit_event_id,
        )

    assert approved_rows(pass_request).count() == 1
    assert again == [row.pk]


def test_a_request_returned_twice_is_told_twice(applicant, reviewer):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    for _round in range(2):
        workflow.submit(pass_request, by=applicant) if _round == 0 else workflow.resubmit(
            pass_request, by=applicant
        )
        workflow.claim(pass_request, by=reviewer)
        workflow.return_for_changes(pass_request, by=reviewer, reason=f"第{_round + 1}次补正")

    rows = Notification.objects.filter(event=notifications.REQUEST_RETURNED)
    assert sorted(row.body_text.count("次补正") for row in rows) == [1, 1]
    assert {("第1次补正" in r.body_text, "第2次补正" in r.body_text) for r in rows} == {
        (True, False),
        (False, True),
    }


def test_running_the_task_twice_sends_once(applicant, reviewer):
    pass_request, _passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()

    first = deliver_notification(row.pk)
    second = deliver_notification(row.pk)

    assert (first, second) == ("sent", "skipped")
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert row.sent_at is not None


def test_a_row_claimed_by_another_worker_is_not_sent_again(applicant, reviewer):
    pass_request, _passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()
    assert outbox.claim(row.pk) is not None  # another worker is sending it right now

    assert deliver_notification(row.pk) == "skipped"
    assert mail.outbox == []


# --- Content and language ----------------------------------------------------------------------


def test_email_has_text_and_html_parts_in_the_recipients_language(applicant, reviewer):
    PreferenceFactory(user=applicant, language="en")
    pass_request, passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()

    deliver_notification(row.pk)

    message = mail.outbox[0]
    assert message.subject == (
        f"[passdesk] Request {pass_request.reference} approved: 1 pass issued"
    )
    assert passes[0].number in message.body and passes[0].plate in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert passes[0].number in html and 'lang="en"' in html
    assert "<a href=" in html  # the link to the passes


def test_chinese_email_for_a_returned_request_lists_each_documents_reason(
    applicant, reviewer, enterprise
):
    from django.core.files.base import ContentFile

    from passes.models import Document, DocumentKind

    pass_request = factories.submittable_request(enterprise=enterprise)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    document = Document.objects.create(
        enterprise=enterprise,
        request=pass_request,
        kind=DocumentKind.VEHICLE_LICENCE,
        file=ContentFile(b"%PDF-1.4 test", name="x.pdf"),
        original_name="行驶证-湘B12345.pdf",
        sha256="0" * 64,
        content_type="application/pdf",
        size=13,
    )
    workflow.return_for_changes(
        pass_request,
        by=reviewer,
        reason="材料不清晰",
        document_reasons={document.pk: "行驶证照片模糊，请重新扫描"},
    )

    row = Notification.objects.get(event=notifications.REQUEST_RETURNED)
    assert "需要补正" in row.subject
    assert "审核意见：材料不清晰" in row.body_text
    assert "「行驶证-湘B12345.pdf」：行驶证照片模糊，请重新扫描" in row.body_text


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "未获批准"), ("en", "was rejected")]
)
def test_rejection_carries_the_reason_in_both_languages(applicant, reviewer, language, expected):
    PreferenceFactory(user=applicant, language=language)
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    workflow.reject(pass_request, by=reviewer, reason="车辆不在保障名单内")

    row = Notification.objects.get(event=notifications.REQUEST_REJECTED)
    assert expected in row.subject
    assert "车辆不在保障名单内" in row.body_text
    assert translation.get_language() != language or language == "zh-hans"  # no leak


def test_every_member_is_told_and_disabled_channels_are_skipped(applicant, reviewer, enterprise):
    colleague = factories.MembershipFactory(enterprise=enterprise).user
    PreferenceFactory(
        user=colleague, email_enabled=False, sms_enabled=True, sms_phone="13912345678"
    )
    pass_request, _passes = approved_request(applicant, reviewer)

    rows = approved_rows(pass_request)
    assert {(r.recipient_id, r.channel, r.address) for r in rows} == {
        (applicant.pk, "email", applicant.email),
        (colleague.pk, "sms", "13912345678"),
    }


# --- Failures, backoff, dead rows, sweeper ---------------------------------------------------


def test_backoff_grows_exponentially_with_bounded_jitter():
    low = [
        backoff.retry_delay(n, base=30, cap=3600, jitter=0.5, rand=lambda: 0.0)
        for n in (1, 2, 3, 4)
    ]
    high = [
        backoff.retry_delay(n, base=30, cap=3600, jitter=0.5, rand=lambda: 1.0)
        for n in (1, 2, 3, 4)
    ]
    assert low == [15, 30, 60, 120]
    assert high == [30, 60, 120, 240]
    assert backoff.retry_delay(20, base=30, cap=3600, rand=lambda: 1.0) == 3600
    assert backoff.retry_delay(20, base=30, cap=3600, rand=lambda: 0.0) == 1800


def test_backoff_jitter_spreads_rows_that_failed_together():
    delays = {round(backoff.retry_delay(3), 3) for _ in range(50)}
    assert len(delays) > 40
    assert all(60 <= delay <= 120 for delay in delays)
    assert len(backoff.retry_schedule(8)) == 7
    with pytest.raises(ValueError):
        backoff.retry_delay(0)


def test_a_failed_send_is_retried_later_then_dead(applicant, reviewer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    settings.PASSDESK_NOTIFY_MAX_ATTEMPTS = 3
    pass_request, _passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()

    before = timezone.now()
    assert deliver_notification(row.pk) == "retry"
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 1
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    wait = (row.next_attempt_at - before).total_seconds()
    assert 14 <= wait <= 31  # first backoff: 15..30 s
    assert deliver_notification(row.pk) == "skipped"  # not due yet

    for attempt in (2, 3):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert deliver_notification(row.pk) == ("retry" if attempt < 3 else "dead")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.DEAD, 3)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.retry([row.pk]) == 1  # the admin's retry action
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 0)
    assert deliver_notification(row.pk) == "sent"
    assert len(mail.outbox) == 1


def test_sweeper_dispatches_rows_the_broker_never_got(applicant, reviewer):
    pass_request, _passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()
    Notification.objects.filter(pk=row.pk).update(dispatched_at=None)  # the publish failed

    result = outbox.sweep()  # eager Celery: dispatching delivers in-process

    assert result["due"] >= 1
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(mail.outbox) == 1
    assert outbox.sweep()["due"] == 0
    assert len(mail.outbox) == 1


def test_sweeper_leaves_freshly_dispatched_rows_alone(applicant, reviewer):
    pass_request, _passes = approved_request(applicant, reviewer)
    assert outbox.sweep(grace=120)["due"] == 0
    later = timezone.now() + datetime.timedelta(seconds=121)
    queued = Notification.objects.filter(status=Status.QUEUED).count()
    assert queued == 3  # the submission receipt, the approval and the driver's e-pass link
    assert outbox.sweep(now=later, grace=120)["due"] == queued


def test_sweeper_recovers_a_row_stuck_in_sending(applicant, reviewer):
    pass_request, _passes = approved_request(applicant, reviewer)
    row = approved_rows(pass_request).get()
    outbox.claim(row.pk)  # the worker died after claiming it
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )

    outbox.sweep(sending_timeout=900)

    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2
    assert len(mail.outbox) == 1


def test_a_worker_keeps_its_smtp_connection_and_reopens_it_when_dropped(
    applicant, reviewer, enterprise, settings
):
    from tests.smtp_sink import running_smtp_server

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    first_request, _ = approved_request(applicant, reviewer)
    second_request, _ = approved_request(applicant, reviewer)
    e_mails = Notification.objects.filter(channel="email")  # not the drivers' e-pass SMS
    rows = list(e_mails.order_by("pk").values_list("pk", flat=True))
    assert len(rows) == 4  # two receipts, two approvals

    with running_smtp_server() as server:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        assert [deliver_notification(pk) for pk in rows[:3]] == ["sent"] * 3
        assert server.sink.sessions == 1  # one connection for the three messages
        port = server.port
    with running_smtp_server(port) as restarted:  # the server went away and came back
        assert deliver_notification(rows[3]) == "sent"
        assert restarted.sink.sessions == 1 and len(restarted.sink.messages) == 1
    assert e_mails.filter(status=Status.SENT).count() == 4


def test_approval_email_attaches_the_stored_pdf_without_drawing_it_again(
    applicant, reviewer, monkeypatch
):
    from passes.issuing import rendering
    from passes.models import PassPdf

    renders = []
    real_render = rendering._render
    monkeypatch.setattr(rendering, "_render", lambda *args: renders.append(1) or real_render(*args))
    pass_request, _passes = approved_request(applicant, reviewer, vehicles=2)
    row = approved_rows(pass_request).get()

    deliver_notification(row.pk)

    (attachment,) = mail.outbox[0].attachments
    record = PassPdf.objects.get(request=pass_request, pass_obj__isnull=True)
    with record.file.open("rb") as handle:
        assert attachment[1] == handle.read()  # the stored file, byte for byte
    assert rendering.request_pdf(pass_request).pk == record.pk  # a download: no new render
    assert len(renders) == 1
