"""Messages on a request: who may read and write them over every route, the audit trail, the
office's reply notified to the enterprise, attachments inspected, escaping and the rate limit."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from passes.documents.errors import UploadRejected
from passes.messaging.messages import MessageRateLimited, post_message, unanswered
from passes.models import AuditEvent, Notification, PassRequest, RequestMessage
from passes.requests import workflow
from passes.requests.guards import WorkflowError
from tests import factories, fixtures_files
from tests.api_support import API, assert_error
from tests.api_support import client_for as api_client
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def submitted(applicant):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    pass_request.refresh_from_db()
    return pass_request


def test_question_and_reply_are_audited_and_the_reply_is_notified(
    submitted, applicant, reviewer, django_capture_on_commit_callbacks
):
    question = post_message(submitted, by=applicant, body="请问什么时候能审核？")
    assert not question.from_office and question.answered_at is None
    assert PassRequest.objects.filter(unanswered(), pk=submitted.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        reply = post_message(submitted, by=reviewer, body="今天下班前审核完毕。")
    assert reply.from_office
    question.refresh_from_db()
    assert question.answered_at is not None
    assert not PassRequest.objects.filter(unanswered(), pk=submitted.pk).exists()
    events = AuditEvent.objects.filter(request=submitted, action="request.message")
    assert list(events.values_list("actor", "reason")) == [
        (applicant.pk, "请问什么时候能审核？"),
        (reviewer.pk, "今天下班前审核完毕。"),
    ]
    notified = Notification.objects.get(event="request.message", recipient=applicant)
    assert "今天下班前审核完毕。" in notified.body_text and notified.status == "sent"
    # The enterprise's own question is not mailed back to it.
    assert Notification.objects.filter(event="request.message").count() == 1


def test_only_the_enterprise_and_the_office_may_write(submitted, applicant, inspector):
    stranger = member(factories.EnterpriseFactory())
    for user in (stranger, inspector):
        with pytest.raises(WorkflowError) as error:
            post_message(submitted, by=user, body="hello")
        assert error.value.code == "not_allowed"
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    with pytest.raises(WorkflowError):
        post_message(draft, by=applicant, body="hello")
    with pytest.raises(ValidationError):
        post_message(submitted, by=applicant, body="  \n ")
    with pytest.raises(ValidationError):
        post_message(submitted, by=applicant, body="长" * 4001)
    assert not RequestMessage.objects.exists()


def test_per_member_rate_limit(submitted, applicant, settings):
    settings.PASSDESK_MESSAGE_RATE_LIMIT = (3, 600)
    colleague = member(applicant.membership.enterprise)
    for n in range(3):
        post_message(submitted, by=applicant, body=f"第{n}条")
    with pytest.raises(MessageRateLimited):
        post_message(submitted, by=applicant, body="第4条")
    post_message(submitted, by=colleague, body="同事的消息")  # counted per person
    response = client_for(applicant).post(
        f"/requests/{submitted.pk}/messages/", {"body": "门户第5条"}
    )
    assert response.status_code == 429
    api = api_client(applicant)
    assert_error(
        api.post(f"{API}/requests/{submitted.pk}/messages/", {"body": "接口"}), 429, "rate_limited"
    )
    assert RequestMessage.objects.count() == 4


def test_attachments_go_through_upload_inspection(submitted, applicant):
    with pytest.raises(UploadRejected):
        post_message(
            submitted,
            by=applicant,
            body="附件",
            uploaded_file=fixtures_files.upload("scan.pdf", b"MZ\x90\x00 not a pdf"),
        )
    message = post_message(
        submitted,
        by=applicant,
        body="",
        uploaded_file=fixtures_files.upload("行驶证.png", fixtures_files.png_bytes()),
    )
    assert message.content_type == "image/png" and len(message.sha256) == 64
    assert RequestMessage.objects.count() == 1


def test_messages_are_escaped_and_only_http_links_linkified(submitted, applicant, reviewer):
    post_message(
        submitted,
        by=applicant,
        body="<img src=x onerror=alert(1)> 见 https://a.example/x?y=1&z=2 或 javascript:alert(1)",
    )
    page = client_for(applicant).get(f"/requests/{submitted.pk}/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert '<a href="https://a.example/x?y=1&amp;z=2"' in page
    assert 'href="javascript' not in page
    admin_page = (
        client_for(reviewer)
        .get(f"/admin/passes/reviewqueue/{submitted.pk}/change/")
        .content.decode()
    )
    assert "<img src=x" not in admin_page and "&lt;img src=x onerror=alert(1)&gt;" in admin_page


def test_no_enterprise_reads_anothers_messages_over_any_route(submitted, applicant, reviewer):
    message = post_message(
        submitted,
        by=applicant,
        body="机密：司机电话 13900001111",
        uploaded_file=fixtures_files.upload("secret.pdf", fixtures_files.pdf_bytes()),
    )
    post_message(submitted, by=reviewer, body="收到")
    intruder = member(factories.EnterpriseFactory())
    portal = client_for(intruder)
    api = api_client(intruder)
    pk = submitted.pk
    for response in (
        portal.get(f"/requests/{pk}/"),
        portal.get(f"/requests/{pk}/messages/{message.pk}/file/"),
        portal.post(f"/requests/{pk}/messages/", {"body": "我也来"}),
        api.get(f"{API}/requests/{pk}/messages/"),
        api.post(f"{API}/requests/{pk}/messages/", {"body": "我也来"}),
        api.get(f"{API}/requests/{pk}/messages/{message.pk}/file/"),
        api.get(f"{API}/review/{pk}/messages/"),
        portal.get(f"/files/documents/{message.pk}/"),
    ):
        assert response.status_code in (403, 404), response
        body = response.content if hasattr(response, "content") else b""
        assert b"13900001111" not in body
    # Its own message file under its own request id, but asked through another request: 404.
    own = factories.submittable_request(enterprise=intruder.membership.enterprise)
    workflow.submit(own, by=intruder)
    own.refresh_from_db()
    assert portal.get(f"/requests/{own.pk}/messages/{message.pk}/file/").status_code == 404
    assert api.get(f"{API}/requests/{own.pk}/messages/{message.pk}/file/").status_code == 404
    assert api.get(f"{API}/requests/{own.pk}/messages/").json() == []
    assert RequestMessage.objects.filter(request=submitted).count() == 2

    # The owners and the office do see them.
    assert "13900001111" in client_for(applicant).get(f"/requests/{pk}/").content.decode()
    listed = api_client(applicant).get(f"{API}/requests/{pk}/messages/").json()
    assert [m["from_office"] for m in listed] == [False, True]
    assert listed[1]["author"] == "Traffic office"
    assert listed[0]["attachment"]["name"] == "secret.pdf"
    download = api_client(applicant).get(f"{API}/requests/{pk}/messages/{message.pk}/file/")
    assert download.status_code == 200
    assert api_client(reviewer).get(f"{API}/review/{pk}/messages/").status_code == 200


def test_api_writes_messages_with_the_usual_error_shape(submitted, applicant, reviewer):
    api = api_client(applicant)
    created = api.post(f"{API}/requests/{submitted.pk}/messages/", {"body": "何时审核？"})
    assert created.status_code == 201 and created.json()["body"] == "何时审核？"
    assert_error(api.post(f"{API}/requests/{submitted.pk}/messages/", {"body": ""}), 400)
    assert_error(
        api.post(
            f"{API}/requests/{submitted.pk}/messages/",
            {"body": "x", "file": fixtures_files.upload("a.pdf", b"%PDF-broken")},
            format="multipart",
        ),
        400,
    )
    reply = api_client(reviewer).post(f"{API}/review/{submitted.pk}/messages/", {"body": "今天"})
    assert reply.status_code == 201 and reply.json()["from_office"] is True
    # Enterprise members cannot use the office's route.
    assert api.post(f"{API}/review/{submitted.pk}/messages/", {"body": "x"}).status_code == 403
