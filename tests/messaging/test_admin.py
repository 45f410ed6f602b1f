"""The officers' and reviewers' side: publishing and withdrawing announcements in the admin,
reach counts, reply templates on the review page, and the queue's "unanswered" mark and filter."""

import datetime

import pytest
from django.utils import timezone

from passes.messaging import announcements
from passes.messaging.messages import post_message
from passes.models import Announcement, AuditEvent, Notification, ReplyTemplate, RequestMessage
from passes.requests import workflow
from tests import factories, fixtures_files
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db
ADD = "/admin/passes/announcement/add/"
INLINE = "attachments"


def form_data(**overrides):
    now = timezone.localtime()
    data = {
        "title": "物流企业操作指引（第一版）",
        "body": "请阅读附件中的操作指引。",
        "audience": "key",
        "pass_type": "",
        "district": "",
        "publish_at_0": now.strftime("%Y-%m-%d"),
        "publish_at_1": now.strftime("%H:%M:%S"),
        f"{INLINE}-TOTAL_FORMS": "1",
        f"{INLINE}-INITIAL_FORMS": "0",
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_officer_publishes_with_a_pdf_guide_and_sees_the_reach(
    officer, django_capture_on_commit_callbacks
):
    key = factories.EnterpriseFactory(is_key_enterprise=True)
    reader = member(key)
    member(key)
    member(factories.EnterpriseFactory())
    client = client_for(officer)
    guide = fixtures_files.upload("操作指引.pdf", fixtures_files.pdf_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, form_data(**{f"{INLINE}-0-file": guide}))
    assert response.status_code == 302, response.content.decode()[:3000]
    published = Announcement.objects.get()
    assert published.attachments.get().content_type == "application/pdf"
    assert published.created_by == officer
    assert AuditEvent.objects.filter(action="announcement.publish", actor=officer).exists()
    assert Notification.objects.filter(event=announcements.EVENT).count() == 2

    client_for(reader).get(f"/announcements/{published.pk}/")
    listing = client.get("/admin/passes/announcement/").content.decode()
    assert "物流企业操作指引" in listing
    row = announcements.with_reach(Announcement.objects.all()).get()
    assert (row.members_addressed, row.members_reached, row.opened) == (2, 2, 1)
    page = client.get(f"/admin/passes/announcement/{published.pk}/change/").content.decode()
    assert "2 members reached" in page and "1 opened it in the portal" in page
    attachment = published.attachments.get()
    preview = client.get(f"/admin/passes/announcement/{published.pk}/files/{attachment.pk}/")
    assert preview.status_code == 200


def test_admin_refuses_a_fake_pdf_and_missing_audience_details(officer):
    client = client_for(officer)
    fake = fixtures_files.upload("guide.pdf", b"<html><script>x</script></html>")
    response = client.post(ADD, form_data(**{f"{INLINE}-0-file": fake}))
    assert response.status_code == 200 and not Announcement.objects.exists()
    response = client.post(ADD, form_data(audience="district", district="43"))
    assert response.status_code == 200 and "6-digit" in response.content.decode()
    assert not Announcement.objects.exists()


def test_scheduled_announcement_is_not_sent_at_once(officer, django_capture_on_commit_callbacks):
    member(factories.EnterpriseFactory(is_key_enterprise=True))
    later = timezone.localtime() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer).post(
            ADD,
            form_data(
                publish_at_0=later.strftime("%Y-%m-%d"), publish_at_1=later.strftime("%H:%M:%S")
            ),
        )
    assert response.status_code == 302
    assert Announcement.objects.get().delivery_started_at is None
    assert not Notification.objects.filter(event=announcements.EVENT).exists()


def test_withdraw_action_asks_first_and_says_sent_mail_stays_sent(
    officer, django_capture_on_commit_callbacks
):
    person = member(factories.EnterpriseFactory())
    with django_capture_on_commit_callbacks(execute=True):
        published = announcements.publish(Announcement(title="旧通知", body="作废"), by=officer)
    client = client_for(officer)
    data = {"action": "withdraw_selected", "_selected_action": [published.pk]}
    confirm = client.post("/admin/passes/announcement/", data)
    assert "cannot be recalled" in confirm.content.decode()
    published.refresh_from_db()
    assert not published.is_withdrawn
    done = client.post("/admin/passes/announcement/", {**data, "confirm": "yes"}, follow=True)
    assert "Messages already sent are not recalled" in done.content.decode()
    published.refresh_from_db()
    assert published.is_withdrawn
    page = client.get(f"/admin/passes/announcement/{published.pk}/change/").content.decode()
    assert "already sent are not recalled" in page
    assert client_for(person).get(f"/announcements/{published.pk}/").status_code == 404


def test_reviewers_cannot_publish(reviewer):
    assert client_for(reviewer).get(ADD).status_code == 403


@pytest.fixture
def asked(applicant):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    pass_request.refresh_from_db()
    post_message(pass_request, by=applicant, body="请问需要提供哪些材料？")
    return pass_request


def test_queue_marks_and_filters_unanswered_messages(asked, reviewer):
    quiet = factories.submittable_request()
    workflow.submit(quiet, by=factories.MembershipFactory(enterprise=quiet.enterprise).user)
    client = client_for(reviewer)
    queue = client.get("/admin/passes/reviewqueue/").content.decode()
    assert queue.count("pd-unanswered") == 1
    filtered = client.get("/admin/passes/reviewqueue/?messages=unanswered").content.decode()
    assert asked.reference in filtered and quiet.reference not in filtered


def test_reviewer_replies_with_a_template_from_the_review_page(
    asked, applicant, reviewer, django_capture_on_commit_callbacks
):
    template = ReplyTemplate.objects.create(
        title="材料清单", body="请上传营业执照、行驶证和驾驶证。"
    )
    client = client_for(reviewer)
    page = client.get(f"/admin/passes/reviewqueue/{asked.pk}/change/").content.decode()
    assert "请问需要提供哪些材料？" in page and "材料清单" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/passes/reviewqueue/{asked.pk}/messages/",
            {"reply_templates": [template.pk], "body": "有疑问请留言。"},
            follow=True,
        )
    assert "was sent to the enterprise" in response.content.decode()
    reply = RequestMessage.objects.get(from_office=True)
    assert reply.body == "请上传营业执照、行驶证和驾驶证。\n\n有疑问请留言。"
    mail = Notification.objects.get(event="request.message", recipient=applicant)
    assert "请上传营业执照" in mail.body_text
    queue = client.get("/admin/passes/reviewqueue/?messages=unanswered").content.decode()
    assert asked.reference not in queue


def test_an_inspector_cannot_reply(asked, inspector):
    response = client_for(inspector).post(
        f"/admin/passes/reviewqueue/{asked.pk}/messages/", {"body": "hi"}
    )
    assert response.status_code in (302, 403)
    assert not RequestMessage.objects.filter(author=inspector).exists()


def test_a_scheduled_announcement_can_be_changed_until_it_is_sent(
    officer, django_capture_on_commit_callbacks
):
    member(factories.EnterpriseFactory(is_key_enterprise=True))
    later = timezone.now() + datetime.timedelta(days=1)
    scheduled = announcements.publish(
        Announcement(title="草稿", body="x", publish_at=later), by=officer
    )
    now = timezone.localtime()
    data = form_data(
        title="改为立即发布",
        publish_at_0=now.strftime("%Y-%m-%d"),
        publish_at_1=now.strftime("%H:%M:%S"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer).post(
            f"/admin/passes/announcement/{scheduled.pk}/change/", data
        )
    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.title == "改为立即发布" and scheduled.delivery_started_at is not None
    assert AuditEvent.objects.filter(action="announcement.change", actor=officer).exists()
    assert Notification.objects.filter(event=announcements.EVENT).count() == 1
    # Sent: the text can no longer be changed.
    page = client_for(officer).get(f"/admin/passes/announcement/{scheduled.pk}/change/")
    assert 'name="title"' not in page.content.decode()
