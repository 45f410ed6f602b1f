"""The request page: timeline, reviewer's reasons, replacing documents, resubmitting,
withdrawing, and the passes once issued."""

import pytest
from django.urls import reverse

from passes.documents import attach_document
from passes.models import Document, DocumentKind
from passes.requests import workflow
from tests import factories
from tests.portal_helpers import client_for, jpeg, member, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(enterprise):
    return member(enterprise)


@pytest.fixture
def client(user):
    return client_for(user)


def _returned_request(enterprise, user, reviewer):
    pass_type = factories.PassTypeFactory(
        code="with-licence", required_document_kinds=[DocumentKind.VEHICLE_LICENCE]
    )
    draft = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    item = draft.items.get()
    doc = attach_document(
        enterprise=enterprise,
        uploaded_file=pdf("blurred.pdf"),
        kind="vehicle_licence",
        by=user,
        request=draft,
        item=item,
    )
    workflow.submit(draft, by=user)
    workflow.claim(draft, by=reviewer)
    workflow.return_for_changes(
        draft,
        by=reviewer,
        reason="行驶证照片模糊，请重新上传。",
        document_reasons={doc.pk: "照片模糊，看不清车牌"},
    )
    return draft, item, doc


def test_timeline_and_reasons_of_a_returned_request(client, enterprise, user, reviewer):
    draft, item, doc = _returned_request(enterprise, user, reviewer)
    response = client.get(reverse("passes:request-detail", args=[draft.pk]))
    html = response.content.decode()
    labels = [row["label"] for row in response.context["timeline"]]
    assert labels[-3:] == ["Submitted", "Taken up for review", "Returned for changes"]
    returned = response.context["timeline"][-1]
    assert returned["from"] == "In review" and returned["to"] == "Returned for changes"
    assert "行驶证照片模糊，请重新上传。" in html
    assert "照片模糊，看不清车牌" in html  # the per-document reason, next to the document
    assert "Traffic office" in html  # the reviewer is shown as the office
    assert "Correct and resubmit" in html


def test_replace_document_then_resubmit(client, enterprise, user, reviewer):
    draft, item, doc = _returned_request(enterprise, user, reviewer)
    form_page = client.get(
        reverse("passes:request-step", args=[draft.pk, "documents"]) + f"?replace={doc.pk}"
    )
    assert form_page.context["upload_form"].initial["replaces"] == doc.pk
    response = client.post(
        reverse("passes:request-upload", args=[draft.pk]),
        {
            "kind": "vehicle_licence",
            "target": f"item:{item.pk}",
            "replaces": doc.pk,
            "file": jpeg("clear.jpg"),
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content
    assert not Document.objects.filter(pk=doc.pk).exists()
    assert Document.objects.get(request=draft).original_name == "clear.jpg"

    response = client.post(reverse("passes:request-step", args=[draft.pk, "review"]))
    draft.refresh_from_db()
    assert draft.status == "submitted"
    html = client.get(reverse("passes:request-detail", args=[draft.pk])).content.decode()
    assert "Resubmitted" in html and "Document replaced" in html


def test_withdraw_asks_first(client, enterprise):
    draft = factories.submittable_request(enterprise=enterprise)
    url = reverse("passes:request-withdraw", args=[draft.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "cannot be submitted again" in confirm.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    response = client.post(url, follow=True)
    draft.refresh_from_db()
    assert draft.status == "withdrawn"
    assert "was withdrawn" in response.content.decode()
    # A second withdrawal is refused with the workflow's message.
    response = client.post(url, follow=True)
    assert "cannot be withdraw" in response.content.decode()


def test_approved_request_lists_its_passes(client, enterprise, user, reviewer):
    draft = factories.submittable_request(enterprise=enterprise, vehicles=2)
    workflow.submit(draft, by=user)
    workflow.claim(draft, by=reviewer)
    passes = workflow.approve(draft, by=reviewer)
    html = client.get(reverse("passes:request-detail", args=[draft.pk])).content.decode()
    for issued in passes:
        assert issued.number in html
    for issued in passes:
        assert reverse("passes:pass-pdf", args=[issued.number]) in html
    assert reverse("passes:request-passes-pdf", args=[draft.pk]) in html
    download = client.get(reverse("passes:pass-pdf", args=[passes[0].number]))
    assert download.status_code == 200
    assert (
        b"".join(download.streaming_content if download.streaming else [download.content])[:5]
        == b"%PDF-"
    )
    assert "Withdraw" not in html


def test_request_list_filters_by_status(client, enterprise):
    draft = factories.PassRequestFactory(enterprise=enterprise)
    returned = factories.PassRequestFactory(enterprise=enterprise, status="returned")
    html = client.get(reverse("passes:request-list") + "?status=returned").content.decode()
    assert returned.reference in html and draft.reference not in html
