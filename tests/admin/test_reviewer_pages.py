"""The reviewer's admin as a reviewer meets it: landing on the queue, a confirmation before any
bulk or final decision, reply templates in the demo and manageable by officers."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from passes.models import PassRequest, ReplyTemplate
from passes.requests import renewal
from tests import factories
from tests.factories.issuing import issued_passes
from tests.factories.review import queued_request

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-123"


def test_reviewer_lands_on_the_queue_and_officer_on_the_dashboard(reviewer, officer):
    for user, landing in (
        (reviewer, reverse("admin:passes_reviewqueue_changelist")),
        (officer, reverse("passes_admin_dashboard")),
    ):
        response = Client().post(
            reverse("login"), {"username": user.username, "password": PASSWORD}
        )
        assert response["Location"] == landing


def test_lists_are_titled_by_what_they_list(client, officer):
    client.force_login(officer)
    page = client.get(reverse("admin:passes_enterprise_changelist")).content.decode()
    assert "<h1>企业</h1>" in page
    assert "选择" not in page.split("<h1>", 1)[1].split("</h1>", 1)[0]


def _renewals(applicant, reviewer, count=2):
    enterprise = applicant.membership.enterprise
    found = []
    for _n in range(count):
        passes = issued_passes(factories.submittable_request(enterprise=enterprise), reviewer)
        found.append(renewal.file_renewals(passes, by=applicant)[0])
    return found


def test_bulk_renewal_approval_confirms_and_leaves_machine_unchecked_ones_out(
    client, applicant, reviewer, settings
):
    first, second = _renewals(applicant, reviewer)
    settings.PASSDESK_OCR_ENABLED = True  # neither renewal's scans were machine-read
    client.force_login(reviewer)
    queue = reverse("admin:passes_reviewqueue_changelist")
    chosen = {"action": "approve_clean_renewals", "_selected_action": [first.pk, second.pk]}
    page = client.post(queue, chosen).content.decode()
    left_out = page.split('id="pd-left-out"', 1)[1]
    assert first.reference in left_out and second.reference in left_out
    assert 'id="pd-bulk-confirm"' not in page  # nothing to approve
    client.post(queue, {**chosen, "confirm": "yes"})
    for req in (first, second):
        req.refresh_from_db()
        assert req.status == PassRequest.Status.SUBMITTED

    settings.PASSDESK_OCR_ENABLED = False
    page = client.post(queue, chosen).content.decode()
    ready = page.split('id="pd-ready"', 1)[1].split("</table>", 1)[0]
    assert first.reference in ready and second.reference in ready
    first.refresh_from_db()
    assert first.status == PassRequest.Status.SUBMITTED  # the page alone approves nothing
    client.post(queue, {**chosen, "confirm": "yes"})
    first.refresh_from_db()
    assert first.status == PassRequest.Status.APPROVED


def test_reject_asks_to_confirm_it_is_final(client, reviewer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("admin:passes_reviewqueue_change", args=[pass_request.pk]))
    assert 'name="final" value="1" required' in page.content.decode()
    decide = reverse("admin:passes_review_decide", args=[pass_request.pk, "reject"])
    client.post(decide, {"reason": "车辆不符"})
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.IN_REVIEW
    client.post(decide, {"reason": "车辆不符", "final": "1"})
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.REJECTED


def test_reply_templates_are_offered_for_insertion_and_managed_by_officers(
    client, reviewer, officer
):
    ReplyTemplate.objects.create(title="已收到", body="您好，已收到，正在审核。")
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    url = reverse("admin:passes_reviewqueue_change", args=[pass_request.pk])
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert 'data-target="pd-reply-body"' in page
    assert 'data-insert="您好，已收到，正在审核。"' in page
    assert 'name="reply_templates"' not in page  # nothing added behind the reviewer's back
    manage = reverse("admin:passes_replytemplate_changelist")
    assert manage not in page
    client.force_login(officer)
    assert manage in client.get(url).content.decode()
    officers = Group.objects.get(name="Officers").permissions.values_list("codename", flat=True)
    assert {"add_replytemplate", "change_replytemplate"} <= set(officers)
