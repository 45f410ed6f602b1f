"""Bulk approval with mixed warnings, and the query-count bounds of the queue and review page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from passes.models import DocumentKind, PassRequest
from tests import factories
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db
QUEUE = "admin:passes_reviewqueue_changelist"
# Measured: 14 for the queue, 25 for the review page (session, user, permissions, the page's own
# queries, the request's messages and its renewal summary); a little headroom for other areas'
# context processors, none for a per-row query.
QUEUE_QUERIES = 16
REVIEW_QUERIES = 27


def test_bulk_approval_confirms_then_leaves_out_warned_and_held_requests(
    client, reviewer, other_reviewer
):
    clean = queued_request(vehicles=2)
    mine = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    held = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=other_reviewer)
    warned = queued_request(enterprise=factories.EnterpriseFactory(verification_status="pending"))
    selected = [clean.pk, mine.pk, held.pk, warned.pk]
    client.force_login(reviewer)
    form = {"action": "bulk_approve", "_selected_action": selected}
    confirm = client.post(reverse(QUEUE), form, HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "2 requests will be approved, issuing 3 passes" in html
    assert "2 requests are left out" in html
    assert "is being reviewed by reviewer2." in html and "is not verified." in html
    assert PassRequest.objects.filter(status=PassRequest.Status.APPROVED).count() == 0

    done = client.post(
        reverse(QUEUE), {**form, "confirm": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    statuses = dict(PassRequest.objects.values_list("pk", "status"))
    assert statuses[clean.pk] == statuses[mine.pk] == PassRequest.Status.APPROVED
    assert statuses[held.pk] == PassRequest.Status.IN_REVIEW
    assert statuses[warned.pk] == PassRequest.Status.SUBMITTED
    clean.refresh_from_db()
    assert clean.assigned_reviewer == reviewer  # claimed first, then approved
    messages = [str(m) for m in done.context["messages"]]
    assert messages[0] == "2 requests approved, 3 passes issued."
    assert held.reference in messages[1] and warned.reference in messages[1]


def _populate(count, documents_per_request):
    pass_type = factories.PassTypeFactory(
        health_proof_max_age_hours=48,
        required_document_kinds=[DocumentKind.BUSINESS_LICENCE, DocumentKind.NUCLEIC_ACID_TEST],
    )
    created = []
    for index in range(count):
        req = queued_request(vehicles=2, hours_waiting=index + 1, pass_type=pass_type)
        for item in req.items.all():
            driver = item.drivers.first()
            add_document(
                req,
                kind=DocumentKind.NUCLEIC_ACID_TEST,
                driver=driver,
                tested_at=timezone.now() - datetime.timedelta(hours=3),
            )
        for _ in range(documents_per_request):
            add_document(req, kind=DocumentKind.OTHER)
        created.append(req)
    return created


@pytest.mark.parametrize("size", [3, 12])
def test_queue_queries_do_not_grow_with_page_size(
    client, reviewer, django_assert_max_num_queries, size
):
    _populate(size, documents_per_request=size)
    client.force_login(reviewer)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse(QUEUE))
    assert len(response.context["cl"].result_list) == size


@pytest.mark.parametrize("documents", [2, 25])
def test_review_page_queries_do_not_grow_with_documents(
    client, reviewer, django_assert_max_num_queries, documents
):
    (pass_request,) = _populate(1, documents_per_request=documents)
    client.force_login(reviewer)
    with django_assert_max_num_queries(REVIEW_QUERIES):
        response = client.get(reverse("admin:passes_reviewqueue_change", args=[pass_request.pk]))
    assert len(response.context["documents"]) == documents + 2
