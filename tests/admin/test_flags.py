"""The admin's approvals and flagged documents: the single approval passes the reviewer's tick
to the workflow, bulk approval leaves flagged requests out and names them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from passes.models import DocumentReview, PassRequest
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db


def _flag(pass_request, reviewer, name):
    DocumentReview.objects.create(
        document=add_document(pass_request, name=name),
        verdict=DocumentReview.Verdict.FLAGGED,
        reason="印章不清",
        reviewer=reviewer,
    )


def test_single_approval_without_the_tick_says_which_documents_are_flagged(client, reviewer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    _flag(pass_request, reviewer, "营业执照.png")
    client.force_login(reviewer)
    window = {
        "valid_from": timezone.localtime(pass_request.valid_from).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": timezone.localtime(pass_request.valid_until).strftime("%Y-%m-%dT%H:%M"),
    }
    decide = reverse("admin:passes_review_decide", args=[pass_request.pk, "approve"])
    response = client.post(decide, window, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    shown = [str(m) for m in response.context["messages"]]
    assert any("are flagged (营业执照.png)" in m for m in shown), shown
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.IN_REVIEW
    client.post(decide, {**window, "despite_flags": "1"})
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.APPROVED


def test_bulk_approval_leaves_flagged_requests_out_and_names_them(client, reviewer):
    clean = queued_request()
    flagged = queued_request()
    _flag(flagged, reviewer, "行驶证.png")
    client.force_login(reviewer)
    queue = reverse("admin:passes_reviewqueue_changelist")
    form = {"action": "bulk_approve", "_selected_action": [clean.pk, flagged.pk]}
    confirm = client.post(queue, form, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "行驶证.png" in confirm and "1 request will be approved" in confirm
    done = client.post(queue, {**form, "confirm": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    statuses = dict(PassRequest.objects.values_list("pk", "status"))
    assert statuses[clean.pk] == PassRequest.Status.APPROVED
    assert statuses[flagged.pk] == PassRequest.Status.SUBMITTED
    shown = [str(m) for m in done.context["messages"]]
    assert any("flagged documents" in m and flagged.reference in m for m in shown), shown
