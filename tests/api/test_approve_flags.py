"""The API's approval obeys the reviewer's flags: ``acknowledge_flags`` or a 409."""

import pytest
from django.core.cache import cache

from passes.models import DocumentReview, PassRequest
from tests.api_support import API, assert_error, client_for
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # throttle counters


def test_approving_flagged_documents_needs_acknowledge_flags(reviewer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    document = add_document(pass_request, name="营业执照.png")
    DocumentReview.objects.create(
        document=document,
        verdict=DocumentReview.Verdict.FLAGGED,
        reason="印章不清",
        reviewer=reviewer,
    )
    staff = client_for(reviewer)
    url = f"{API}/review/{pass_request.pk}/approve/"
    body = assert_error(staff.post(url, {}, format="json"), 409, "flags_not_acknowledged")
    assert "营业执照.png" in body["message"]
    refused = staff.post(url, {"acknowledge_flags": False}, format="json")
    assert_error(refused, 409, "flags_not_acknowledged")
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.IN_REVIEW

    approved = staff.post(url, {"acknowledge_flags": True}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved" and len(approved.json()["passes"]) == 1


def test_the_schema_documents_acknowledge_flags(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    approve = schema["components"]["schemas"]["ApproveInRequest"]["properties"]["acknowledge_flags"]
    assert approve["type"] == "boolean" and approve["default"] is False
    assert "flags_not_acknowledged" in approve["description"]
