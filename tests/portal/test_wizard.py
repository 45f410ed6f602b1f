"""The new-request wizard: each step saves the draft, drafts resume, documents upload one file at
a time through the JSON endpoint with a clear refusal, and the review step submits."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from passes.models import Document, DocumentKind, PassRequest
from tests import factories, fixtures_files
from tests.portal_helpers import client_for, jpeg, member, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def pass_type(db):
    return factories.PassTypeFactory(
        code="wizard-type",
        name="城区货车通行证",
        max_validity_days=30,
        required_document_kinds=[DocumentKind.VEHICLE_LICENCE, DocumentKind.DRIVING_LICENCE],
    )


@pytest.fixture
def user(enterprise):
    return member(enterprise)


@pytest.fixture
def client(user):
    return client_for(user)


def _step(pk, name):
    return reverse("passes:request-step", args=[pk, name])


def _details(**overrides):
    start = timezone.localtime() + datetime.timedelta(hours=2)
    data = {
        "cargo_category": "raw_materials",
        "cargo_description": "木材原料 20 吨",
        "origin": "株洲市荷塘区",
        "destination": "长沙市雨花区",
        "route_description": "沪昆高速—京港澳高速",
        "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (start + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_steps_save_the_draft_and_it_resumes(client, enterprise, pass_type):
    checkpoint = factories.CheckpointFactory()
    page = client.get(reverse("passes:request-new"))
    assert page.status_code == 200 and "城区货车通行证" in page.content.decode()
    assert 'aria-current="step"' in page.content.decode()

    response = client.post(reverse("passes:request-new"), {"pass_type": pass_type.pk})
    draft = PassRequest.objects.get(enterprise=enterprise)
    assert draft.status == "draft" and draft.pass_type == pass_type
    assert response["Location"] == _step(draft.pk, "details")

    # Leaving after the first step: the draft resumes at the details step.
    assert client.get(reverse("passes:request-resume", args=[draft.pk]))["Location"] == _step(
        draft.pk, "details"
    )

    response = client.post(
        _step(draft.pk, "details"), {**_details(), "checkpoints": [checkpoint.pk]}
    )
    assert response["Location"] == _step(draft.pk, "vehicles")
    draft.refresh_from_db()
    assert draft.origin == "株洲市荷塘区" and list(draft.checkpoints.all()) == [checkpoint]
    assert timezone.localtime(draft.valid_from).hour == (timezone.localtime().hour + 2) % 24

    vehicle = factories.VehicleFactory(enterprise=enterprise)
    driver = factories.DriverFactory(enterprise=enterprise)
    response = client.post(
        _step(draft.pk, "vehicles"),
        {"action": "add", "vehicle": vehicle.pk, "drivers": [driver.pk]},
    )
    assert response["Location"] == _step(draft.pk, "vehicles")
    item = draft.items.get()
    assert item.vehicle == vehicle and list(item.drivers.all()) == [driver]

    # "Save and exit" from the vehicles step, then resume: the documents step is next.
    response = client.post(_step(draft.pk, "vehicles"), {"exit": "1"})
    assert response["Location"] == reverse("passes:request-detail", args=[draft.pk])
    assert client.get(reverse("passes:request-resume", args=[draft.pk]))["Location"] == _step(
        draft.pk, "documents"
    )
    listing = client.get(reverse("passes:request-list")).content.decode()
    assert reverse("passes:request-resume", args=[draft.pk]) in listing


def test_details_step_enforces_the_pass_type_maximum(client, enterprise, pass_type):
    draft = factories.PassRequestFactory(
        enterprise=enterprise, pass_type=pass_type, valid_from=None, valid_until=None
    )
    start = timezone.localtime() + datetime.timedelta(hours=1)
    too_long = (start + datetime.timedelta(days=45)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_step(draft.pk, "details"), _details(valid_until=too_long))
    assert response.status_code == 200
    assert "at most 30 days" in str(response.context["form"].errors["valid_until"])
    assert 'href="#id_valid_until"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.valid_until is None


def test_vehicles_step_refuses_to_go_on_without_a_vehicle(client, enterprise, pass_type):
    draft = factories.PassRequestFactory(enterprise=enterprise, pass_type=pass_type)
    response = client.post(_step(draft.pk, "vehicles"), {"action": "next"})
    assert response.status_code == 200
    assert "Add at least one vehicle" in response.content.decode()
    item = factories.RequestItemFactory(request=draft)
    response = client.post(_step(draft.pk, "vehicles"), {"action": f"remove:{item.vehicle_id}"})
    assert not draft.items.exists()


def _draft_with_item(enterprise, pass_type):
    draft = factories.PassRequestFactory(enterprise=enterprise, pass_type=pass_type)
    item = factories.RequestItemFactory(request=draft)
    return draft, item, item.drivers.get()


def test_upload_endpoint_accepts_and_refuses_with_a_message(client, enterprise, pass_type):
    draft, item, driver = _draft_with_item(enterprise, pass_type)
    url = reverse("passes:request-upload", args=[draft.pk])
    headers = {"HTTP_ACCEPT": "application/json"}

    ok = client.post(
        url,
        {"kind": "vehicle_licence", "target": f"item:{item.pk}", "file": pdf("行驶证.pdf")},
        **headers,
    )
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["ok"] is True and "行驶证.pdf" in body["message"]
    document = Document.objects.get(pk=body["document"]["id"])
    assert document.request == draft and document.item == item

    refused = client.post(
        url,
        {
            "kind": "driving_licence",
            "target": f"driver:{driver.pk}",
            "file": fixtures_files.upload("licence.pdf", fixtures_files.encrypted_pdf_bytes()),
        },
        **headers,
    )
    assert refused.status_code == 400
    assert refused.json()["ok"] is False
    assert "licence.pdf" in refused.json()["message"]
    assert refused.json()["code"]

    duplicate = client.post(
        url,
        {"kind": "vehicle_licence", "target": f"item:{item.pk}", "file": pdf("again.pdf")},
        **headers,
    )
    assert duplicate.status_code == 400 and "same file" in duplicate.json()["message"]
    assert Document.objects.filter(request=draft).count() == 1


def test_upload_without_scripts_takes_several_files(client, enterprise, pass_type):
    draft, item, driver = _draft_with_item(enterprise, pass_type)
    url = reverse("passes:request-upload", args=[draft.pk])
    response = client.post(
        url,
        {
            "kind": "driving_licence",
            "target": f"driver:{driver.pk}",
            "file": [jpeg("front.jpg"), fixtures_files.upload("x.png", fixtures_files.png_bytes())],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Document.objects.filter(request=draft, driver=driver).count() == 2
    assert "front.jpg" in response.content.decode()


def test_standing_documents_count_on_the_documents_step(client, enterprise, pass_type):
    draft, item, driver = _draft_with_item(enterprise, pass_type)
    from passes.documents import attach_document

    user = enterprise.memberships.get().user
    attach_document(
        enterprise=enterprise,
        uploaded_file=pdf("standing.pdf"),
        kind="driving_licence",
        by=user,
        driver=driver,
    )
    page = client.get(_step(draft.pk, "documents"))
    slots = {(s.kind, s.owner): s for s in page.context["slots"]}
    assert slots[("driving_licence", driver.name)].satisfied
    assert not slots[("vehicle_licence", item.vehicle.plate)].satisfied
    assert "standing.pdf" in page.content.decode()
    review = client.get(_step(draft.pk, "review")).content.decode()
    assert "Vehicle licence for vehicle" in review and "Driving licence for driver" not in review


def test_review_step_submits_when_complete(client, enterprise, pass_type, user):
    draft, item, driver = _draft_with_item(enterprise, pass_type)
    response = client.post(_step(draft.pk, "review"), follow=True)
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert "Required documents are missing" in response.content.decode()

    from passes.documents import attach_document

    attach_document(
        enterprise=enterprise,
        uploaded_file=pdf("v.pdf"),
        kind="vehicle_licence",
        by=user,
        request=draft,
        item=item,
    )
    attach_document(
        enterprise=enterprise,
        uploaded_file=jpeg("d.jpg"),
        kind="driving_licence",
        by=user,
        request=draft,
        driver=driver,
    )
    response = client.post(_step(draft.pk, "review"))
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert response["Location"] == reverse("passes:request-submitted", args=[draft.pk])
    # Once submitted the wizard sends people to the request page.
    assert client.get(_step(draft.pk, "details"))["Location"] == reverse(
        "passes:request-detail", args=[draft.pk]
    )


def test_document_remove_needs_post_and_editable_request(client, enterprise, pass_type, user):
    draft, item, driver = _draft_with_item(enterprise, pass_type)
    from passes.documents import attach_document

    doc = attach_document(
        enterprise=enterprise,
        uploaded_file=pdf(),
        kind="vehicle_licence",
        by=user,
        request=draft,
        item=item,
    )
    url = reverse("passes:request-document-remove", args=[draft.pk, doc.pk])
    assert client.get(url).status_code == 200 and Document.objects.filter(pk=doc.pk).exists()
    client.post(url)
    assert not Document.objects.filter(pk=doc.pk).exists()
