"""The review page: what it shows, the decisions taken from it, documents opened and marked."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from passes.models import (
    AuditEvent,
    DocumentKind,
    DocumentReview,
    DocumentView,
    PassRequest,
    ReturnReasonTemplate,
)
from passes.requests import review, workflow
from tests import factories
from tests.factories.review import add_document, png_bytes, queued_request

pytestmark = pytest.mark.django_db
IN_REVIEW = PassRequest.Status.IN_REVIEW


def page(pass_request):
    return reverse("admin:passes_reviewqueue_change", args=[pass_request.pk])


def decide(pass_request, decision):
    return reverse("admin:passes_review_decide", args=[pass_request.pk, decision])


def shown(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_review_page_shows_everything_with_masked_ids(en_client, reviewer):
    checkpoint = factories.CheckpointFactory(name="湘江大桥卡口")
    pass_request = queued_request(vehicles=2, status=IN_REVIEW, reviewer=reviewer)
    pass_request.checkpoints.add(checkpoint)
    driver = pass_request.items.first().drivers.first()
    add_document(pass_request, name="营业执照.png")
    en_client.force_login(reviewer)
    html = en_client.get(page(pass_request)).content.decode()
    for text in (
        pass_request.enterprise.name,
        pass_request.enterprise.credit_code,
        "沪昆高速—京港澳高速",
        "木材原料",
        "湘江大桥卡口",
        driver.name,
        driver.masked_id_number,
        "营业执照.png",
        "You are reviewing this request.",
    ):
        assert text in html
    assert driver.id_number not in html
    for item in pass_request.items.all():
        assert item.vehicle.plate in html


def test_review_page_lists_warnings(en_client, reviewer):
    pass_type = factories.PassTypeFactory(max_validity_days=3, health_proof_max_age_hours=48)
    suspended = factories.EnterpriseFactory(verification_status="suspended")
    pass_request = queued_request(pass_type=pass_type, enterprise=suspended)
    en_client.force_login(reviewer)
    response = en_client.get(page(pass_request))
    codes = {w.code for w in response.context["warnings"]}
    assert codes == {"enterprise_suspended", "validity_too_long", "health_proof_stale"}
    assert "allows at most 3" in response.content.decode()


def test_approve_with_a_narrower_validity(en_client, reviewer):
    pass_request = queued_request(vehicles=2, status=IN_REVIEW, reviewer=reviewer)
    start = timezone.localtime(pass_request.valid_from).replace(second=0, microsecond=0)
    en_client.force_login(reviewer)
    response = en_client.post(
        decide(pass_request, "approve"),
        {
            "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (start + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.APPROVED
    assert pass_request.valid_until - pass_request.valid_from == datetime.timedelta(days=2)
    numbers = list(pass_request.passes.order_by("number").values_list("number", flat=True))
    assert shown(response) == [
        f"{pass_request.reference} approved; passes issued: {'、'.join(numbers)}."
    ]
    assert response.redirect_chain[-1][0] == reverse("admin:passes_reviewqueue_changelist")


def test_approve_beyond_the_maximum_is_refused_with_the_workflow_message(en_client, reviewer):
    pass_request = queued_request(status=IN_REVIEW, reviewer=reviewer)  # type allows 30 days
    start = timezone.localtime(pass_request.valid_from)
    en_client.force_login(reviewer)
    response = en_client.post(
        decide(pass_request, "approve"),
        {
            "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (start + datetime.timedelta(days=31)).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    pass_request.refresh_from_db()
    assert pass_request.status == IN_REVIEW
    assert shown(response) == [
        "A 城区货车通行证 pass is valid for at most 30 days; the window asked for is longer."
    ]


def test_approving_someone_elses_request_is_refused(en_client, reviewer, other_reviewer):
    pass_request = queued_request(status=IN_REVIEW, reviewer=other_reviewer)
    start = timezone.localtime(pass_request.valid_from)
    en_client.force_login(reviewer)
    response = en_client.post(
        decide(pass_request, "approve"),
        {
            "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (start + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    assert shown(response) == [f"Request {pass_request.reference} is being reviewed by reviewer2."]
    pass_request.refresh_from_db()
    assert pass_request.status == IN_REVIEW


def test_return_with_templates_free_text_and_flagged_documents(en_client, reviewer):
    blurry = ReturnReasonTemplate.objects.create(
        title="不清晰", text="材料扫描不清晰，请重新上传。"
    )
    ReturnReasonTemplate.objects.create(title="其他", text="不应出现")
    pass_request = queued_request(status=IN_REVIEW, reviewer=reviewer)
    licence = add_document(pass_request, name="licence.png")
    good = add_document(pass_request, kind=DocumentKind.COMMITMENT_LETTER)
    en_client.force_login(reviewer)
    mark = "admin:passes_review_mark_document"
    en_client.post(reverse(mark, args=[licence.pk]), {"verdict": "flagged", "reason": "缺公章"})
    en_client.post(reverse(mark, args=[good.pk]), {"verdict": "accepted"})
    response = en_client.post(
        decide(pass_request, "return"),
        {"templates": [blurry.pk], "reason": "请补充盖章页"},
        follow=True,
    )
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.RETURNED
    assert pass_request.decision_reason == "材料扫描不清晰，请重新上传。\n请补充盖章页"
    event = AuditEvent.objects.get(request=pass_request, action="request.return")
    assert event.data == {"documents": {str(licence.pk): "缺公章"}}
    assert shown(response) == [
        "licence.png: Flagged.",
        "commitment_letter.png: Accepted.",
        f"{pass_request.reference} returned to the enterprise for changes.",
    ]


def test_return_without_any_reason_is_refused(en_client, reviewer):
    pass_request = queued_request(status=IN_REVIEW, reviewer=reviewer)
    en_client.force_login(reviewer)
    response = en_client.post(decide(pass_request, "return"), {"reason": " "}, follow=True)
    assert shown(response) == ["A reason is required."]


def test_reject_requires_a_reason(en_client, reviewer):
    pass_request = queued_request(status=IN_REVIEW, reviewer=reviewer)
    en_client.force_login(reviewer)
    final = {"final": "1"}
    response = en_client.post(decide(pass_request, "reject"), {"reason": "", **final}, follow=True)
    assert shown(response) == ["A reason is required."]
    # Rejection is final: without the reviewer's confirmation nothing happens.
    response = en_client.post(decide(pass_request, "reject"), {"reason": "车辆不符"}, follow=True)
    pass_request.refresh_from_db()
    assert pass_request.status == IN_REVIEW
    assert shown(response) == [
        f"Tick that rejecting is final to reject {pass_request.reference}; "
        "or return it for changes."
    ]
    response = en_client.post(
        decide(pass_request, "reject"), {"reason": "车辆不符", **final}, follow=True
    )
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.REJECTED
    assert shown(response) == [f"{pass_request.reference} rejected."]


def test_decisions_on_an_unclaimed_request_say_claim_first(en_client, reviewer):
    pass_request = queued_request()
    en_client.force_login(reviewer)
    response = en_client.post(
        decide(pass_request, "reject"), {"reason": "x", "final": "1"}, follow=True
    )
    assert shown(response) == [f"Claim request {pass_request.reference} before deciding on it."]


def test_flagging_needs_a_reason_and_a_claim(en_client, reviewer, other_reviewer):
    pass_request = queued_request(status=IN_REVIEW, reviewer=other_reviewer)
    document = add_document(pass_request)
    en_client.force_login(reviewer)
    url = reverse("admin:passes_review_mark_document", args=[document.pk])
    response = en_client.post(url, {"verdict": "flagged", "reason": "bad"}, follow=True)
    assert shown(response) == [f"Request {pass_request.reference} is being reviewed by reviewer2."]
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(other_reviewer)
    response = other.post(url, {"verdict": "flagged", "reason": ""}, follow=True)
    assert shown(response) == ["Say what is wrong with the document."]
    other.post(url, {"verdict": "flagged", "reason": "看不清"})
    assert DocumentReview.objects.get(document=document).verdict == "flagged"
    assert AuditEvent.objects.filter(request=pass_request, action="document.flagged").exists()


def test_opening_a_document_is_recorded_and_streamed_inline(client, reviewer):
    pass_request = queued_request(status=IN_REVIEW, reviewer=reviewer)
    content = png_bytes(color=(10, 200, 10))
    document = add_document(pass_request, content=content)
    client.force_login(reviewer)
    viewer = client.get(reverse("admin:passes_review_document_viewer", args=[document.pk]))
    assert viewer.status_code == 200
    assert viewer["X-Frame-Options"] == "SAMEORIGIN"
    view = DocumentView.objects.get()
    assert (view.user, view.document) == (reviewer, document)
    # The bytes fetched by the viewer belong to that view; nothing more is recorded.
    raw = client.get(viewer.context["file_url"])
    assert raw["Content-Disposition"].startswith("inline")
    assert b"".join(raw.streaming_content) == content
    page = client.get(viewer.context["page_urls"][0])
    assert page["Content-Type"] == "image/jpeg", "the page picture the (eager) worker stored"
    assert DocumentView.objects.count() == 1
    # Fetched directly, without the viewer, the file is still recorded.
    client.get(reverse("admin:passes_review_document_file", args=[document.pk]))
    assert DocumentView.objects.count() == 2


def test_bulk_warnings_agree_with_the_workflow_health_rule(reviewer):
    pass_type = factories.PassTypeFactory(health_proof_max_age_hours=48)
    now = timezone.now()
    fresh = queued_request(pass_type=pass_type)
    stale = queued_request(pass_type=pass_type)
    future = queued_request(pass_type=pass_type)
    standing = queued_request(pass_type=pass_type)
    for req, tested in (
        (fresh, now - datetime.timedelta(hours=10)),
        (stale, now - datetime.timedelta(hours=50)),
        (future, now + datetime.timedelta(hours=5)),
    ):
        driver = req.items.first().drivers.first()
        add_document(req, kind=DocumentKind.NUCLEIC_ACID_TEST, driver=driver, tested_at=tested)
    driver = standing.items.first().drivers.first()
    add_document(
        standing,
        kind=DocumentKind.NUCLEIC_ACID_TEST,
        driver=driver,
        standing=True,
        tested_at=now - datetime.timedelta(hours=1),
    )
    requests = PassRequest.objects.select_related("enterprise", "pass_type").filter(
        pk__in=[fresh.pk, stale.pk, future.pk, standing.pk]
    )
    bulk = review.warnings_for(requests, at=now)
    for req in requests:
        by_workflow = bool(workflow.stale_health_proofs(req, at=now))
        by_bulk = any(w.code == review.HEALTH_PROOF for w in bulk[req.pk])
        assert by_bulk == by_workflow, req
    assert [bool(workflow.stale_health_proofs(r, at=now)) for r in (fresh, stale, future)] == [
        False,
        True,
        True,
    ]


def test_duplicate_documents_across_enterprises_are_warned(reviewer):
    first = queued_request()
    second = queued_request()
    same_enterprise = queued_request(enterprise=first.enterprise)
    add_document(first, sha256="a" * 64)
    add_document(second, sha256="a" * 64)
    add_document(same_enterprise, sha256="b" * 64)
    add_document(first, sha256="b" * 64, kind=DocumentKind.OTHER)
    requests = PassRequest.objects.select_related("enterprise", "pass_type")
    found = review.warnings_for(requests)
    assert [w.code for w in found[first.pk]] == ["duplicate_document"]
    assert second.reference not in str(found[second.pk]) and first.reference in str(
        found[second.pk][0]
    )
    assert found[same_enterprise.pk] == []
