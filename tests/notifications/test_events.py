"""Who hears about what, in which language, and SMS that fit one 70-character segment."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from passes import notifications
from passes.models import Enterprise, Notification, NotificationPreference
from passes.notifications import outbox, periodic, recipients, texts
from passes.notifications.channels import sms
from passes.requests import workflow
from tests import factories
from tests.factories.notifications import PreferenceFactory, approved_request

EVENTS_WITH_SMS = [
    ("request_submitted", notifications.REQUEST_SUBMITTED),
    ("request_resubmitted", notifications.REQUEST_RESUBMITTED),
    ("review_new_work", notifications.REQUEST_SUBMITTED),
    ("request_returned", notifications.REQUEST_RETURNED),
    ("request_rejected", notifications.REQUEST_REJECTED),
    ("request_approved", notifications.REQUEST_APPROVED),
    ("pass_revoked", notifications.PASS_REVOKED),
    ("pass_expiring", notifications.PASS_EXPIRING),
    ("enterprise_verified", notifications.ENTERPRISE_VERIFIED),
    ("enterprise_suspended", notifications.ENTERPRISE_SUSPENDED),
]


@pytest.fixture
def worst_case_context(applicant, reviewer, enterprise):
    """A real approved request whose printed values are as long as they get: a new-energy plate,
    hundreds of passes and vehicles, a long enterprise name and reason."""
    enterprise.name = "湖南省株洲市天元区某某国际供应链管理与冷链物流股份有限公司"
    enterprise.save()
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    vehicle = factories.VehicleFactory(enterprise=enterprise, plate="湘BD12345")
    factories.RequestItemFactory(request=pass_request, vehicle=vehicle)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    issued = workflow.approve(pass_request, by=reviewer)[0]
    subject = recipients.load_subject(notifications.REQUEST_APPROVED, pass_request.pk, None)
    subject.pass_obj = issued
    subject.reason = "车辆行驶证已过期，且驾驶员核酸检测报告超过48小时，请补充材料后重新提交" * 2
    context = subject.context()
    context.update(pass_count=500, vehicle_count=500)
    return context


@pytest.mark.parametrize("language", texts.LANGUAGES)
@pytest.mark.parametrize(("template", "event"), EVENTS_WITH_SMS)
def test_every_sms_fits_one_segment(worst_case_context, template, event, language):
    text = texts.render(template, language, {**worst_case_context, "event": event}).sms
    assert text, "empty SMS"
    assert len(text) <= sms.MAX_LENGTH, f"{len(text)} characters: {text}"
    assert sms.fit(text) == text  # never cut: the template itself fits


@pytest.mark.parametrize("language", texts.LANGUAGES)
@pytest.mark.parametrize(("template", "event"), EVENTS_WITH_SMS)
def test_every_email_renders_without_gaps(worst_case_context, template, event, language):
    rendered = texts.render(template, language, {**worst_case_context, "event": event})
    assert rendered.subject and "\n" not in rendered.subject
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in part and "{%" not in part and "None" not in part
    reference = worst_case_context["pass_request"].reference
    if template.startswith("request_") or template == "review_new_work":
        assert reference in rendered.subject
    if language == "zh-hans":
        assert "【" in rendered.subject
    else:
        assert rendered.subject.startswith("[passdesk]")
    assert f'lang="{"zh-Hans" if language == "zh-hans" else "en"}"' in rendered.html


def test_submission_receipt_goes_to_members_and_new_work_to_immediate_reviewers(
    applicant, reviewer, other_reviewer, enterprise
):
    PreferenceFactory(user=reviewer, review_mode=NotificationPreference.ReviewMode.IMMEDIATE)
    PreferenceFactory(user=other_reviewer)  # digest, the default
    pass_request = factories.submittable_request(enterprise=enterprise)

    workflow.submit(pass_request, by=applicant)

    rows = Notification.objects.filter(object_id=pass_request.pk)
    assert {(r.event, r.recipient_id) for r in rows} == {
        (notifications.REQUEST_SUBMITTED, applicant.pk),
        (notifications.REVIEW_NEW_WORK, reviewer.pk),
    }
    new_work = rows.get(event=notifications.REVIEW_NEW_WORK)
    assert enterprise.name in new_work.subject


def test_digest_lists_new_submissions_once(applicant, reviewer, enterprise, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    PreferenceFactory(user=reviewer, language="en")
    first = factories.submittable_request(enterprise=enterprise)
    second = factories.submittable_request(enterprise=enterprise)
    workflow.submit(first, by=applicant)
    workflow.submit(second, by=applicant)

    assert periodic.send_review_digests() == 1
    digest = Notification.objects.get(event=notifications.REVIEW_DIGEST)
    assert digest.recipient == reviewer
    assert digest.subject == "[passdesk] 2 new pass requests to review"
    assert first.reference in digest.body_text and second.reference in digest.body_text

    assert periodic.send_review_digests() == 0  # nothing new since
    third = factories.submittable_request(enterprise=enterprise)
    workflow.submit(third, by=applicant)
    assert periodic.send_review_digests() == 1
    latest = Notification.objects.filter(event=notifications.REVIEW_DIGEST).first()
    assert third.reference in latest.body_text and first.reference not in latest.body_text


def test_expiring_passes_are_announced_once(applicant, reviewer):
    pass_request, (issued,) = approved_request(applicant, reviewer)
    issued.valid_until = timezone.now() + datetime.timedelta(hours=20)
    issued.save()
    later_request, (later,) = approved_request(applicant, reviewer)
    later.valid_until = timezone.now() + datetime.timedelta(hours=30)
    later.save()

    assert periodic.notify_expiring_passes() == 1
    assert periodic.notify_expiring_passes() == 0
    row = Notification.objects.get(event=notifications.PASS_EXPIRING)
    assert row.object_id == issued.pk
    assert issued.number in row.subject and "24 小时内到期" in row.subject


def test_revocation_tells_the_enterprise_with_the_reason(applicant, reviewer, officer):
    pass_request, (issued,) = approved_request(applicant, reviewer)
    workflow.revoke_pass(issued, by=officer, reason="车辆发生交通违法")

    row = Notification.objects.get(event=notifications.PASS_REVOKED)
    assert row.recipient == applicant
    assert issued.plate in row.subject and "已被撤销" in row.subject
    assert "原因：车辆发生交通违法" in row.body_text


def test_enterprise_verification_and_suspension_are_announced(applicant, officer, enterprise):
    workflow.set_enterprise_verification(
        enterprise, status=Enterprise.Verification.SUSPENDED, by=officer, reason="资质过期"
    )
    workflow.set_enterprise_verification(
        enterprise, status=Enterprise.Verification.VERIFIED, by=officer
    )

    events = dict(
        Notification.objects.filter(recipient=applicant).values_list("event", "body_text")
    )
    assert "资质过期" in events[notifications.ENTERPRISE_SUSPENDED]
    assert "已通过" in events[notifications.ENTERPRISE_VERIFIED]


def test_sms_goes_through_the_configured_backend(applicant, reviewer, settings):
    PreferenceFactory(
        user=applicant, email_enabled=False, sms_enabled=True, sms_phone="13912345678"
    )
    sms.LoggingSmsBackend.sent = []
    pass_request, _passes = approved_request(applicant, reviewer)
    row = Notification.objects.get(event=notifications.REQUEST_APPROVED)

    assert outbox.deliver(row.pk) == "sent"
    phone, text = sms.LoggingSmsBackend.sent[-1]
    assert phone == "13912345678"
    assert pass_request.reference in text and len(text) <= 70


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(_Gateway.status)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.received = []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_http_gateway_backend_posts_the_templated_json(applicant, reviewer, settings, gateway):
    settings.PASSDESK_SMS_BACKEND = "passes.notifications.channels.sms.HttpGatewaySmsBackend"
    settings.PASSDESK_SMS_GATEWAY_URL = f"http://127.0.0.1:{gateway.server_port}/sms/send"
    settings.PASSDESK_SMS_GATEWAY_TOKEN = "gw-token"
    settings.PASSDESK_SMS_GATEWAY_TEMPLATE = (
        '{"to": "{phone}", "msg": {"text": "{text}", "sign": "株洲交通"}}'
    )
    PreferenceFactory(
        user=applicant, email_enabled=False, sms_enabled=True, sms_phone="13912345678"
    )
    pass_request, _passes = approved_request(applicant, reviewer)
    row = Notification.objects.get(event=notifications.REQUEST_APPROVED)

    assert outbox.deliver(row.pk) == "sent"
    path, headers, payload = _Gateway.received[-1]
    assert path == "/sms/send"
    assert headers["Authorization"] == "Bearer gw-token"
    assert payload["to"] == "13912345678" and payload["msg"]["sign"] == "株洲交通"
    assert pass_request.reference in payload["msg"]["text"]

    _Gateway.status = 503  # the gateway is down: retried later, not lost
    other = Notification.objects.get(event=notifications.REQUEST_SUBMITTED)
    assert outbox.deliver(other.pk) == "retry"
    other.refresh_from_db()
    assert other.status == Notification.Status.FAILED and "503" in other.last_error


def test_a_template_error_never_blocks_the_approval(applicant, reviewer, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("template bug")

    monkeypatch.setattr(texts, "render", broken)
    pass_request, passes = approved_request(applicant, reviewer)
    assert pass_request.status == "approved" and passes
    assert not Notification.objects.filter(event=notifications.REQUEST_APPROVED).exists()
    with transaction.atomic():  # and the connection is still usable afterwards
        # Only the driver's e-pass link is queued: it is not a rendered template (epass.links).
        assert list(Notification.objects.values_list("event", flat=True)) == ["driver.epass_link"]


def test_chinese_digest_lists_each_request(applicant, reviewer, enterprise):
    PreferenceFactory(user=reviewer)  # zh-hans, digest
    pass_request = factories.submittable_request(enterprise=enterprise, vehicles=2)
    workflow.submit(pass_request, by=applicant)

    periodic.send_review_digests()

    digest = Notification.objects.get(event=notifications.REVIEW_DIGEST)
    assert digest.subject == "【待审核】1 份新的通行证申请"
    assert f"{pass_request.reference}　{enterprise.name}" in digest.body_text
    assert "2 辆车" in digest.body_text
    assert pass_request.reference in digest.body_html


def test_the_submission_notice_counts_the_vehicles_and_other_events_do_not_count_them(
    applicant, reviewer, enterprise
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PreferenceFactory(user=applicant, language="en")
    pass_request = factories.submittable_request(enterprise=enterprise, vehicles=2)
    workflow.submit(pass_request, by=applicant)
    notice = Notification.objects.get(event=notifications.REQUEST_SUBMITTED, recipient=applicant)
    assert "2 vehicles" in notice.body_text

    with CaptureQueriesContext(connection) as queries:
        workflow.claim(pass_request, by=reviewer)
    counts = [q["sql"] for q in queries if "COUNT(*)" in q["sql"] and "requestitem" in q["sql"]]
    assert counts == []
