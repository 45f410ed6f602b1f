"""Every machine-check mismatch the reviewer will see is shown in the wizard before submit: a
vehicle's standing 行驶证 read as another plate flags the documents checklist (no tick), the
stepper's documents step, and the last step's list, just as a scan on the request does."""

import pytest
from django.urls import reverse

from passes.models import DocumentKind, DocumentReading
from tests import factories
from tests.ocr_helpers import attach_scan
from tests.portal_helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ocr_on(settings):
    settings.PASSDESK_OCR_ENABLED = True


def _wrong(plate):
    return plate[:-1] + ("7" if plate[-1] != "7" else "8")


@pytest.fixture
def draft_on_a_misread_vehicle(applicant, enterprise, django_capture_on_commit_callbacks):
    pass_type = factories.PassTypeFactory(required_document_kinds=[DocumentKind.VEHICLE_LICENCE])
    pass_request = factories.PassRequestFactory(enterprise=enterprise, pass_type=pass_type)
    item = factories.RequestItemFactory(request=pass_request)
    wrong = _wrong(item.vehicle.plate)
    with django_capture_on_commit_callbacks(execute=True):
        standing = attach_scan(
            applicant,
            enterprise,
            DocumentKind.VEHICLE_LICENCE,
            {"plate": wrong, "vehicle_type": "重型货车", "owner": enterprise.name},
            vehicle=item.vehicle,
        )
    standing.refresh_from_db()
    assert standing.reading.outcome == DocumentReading.Outcome.MISMATCH  # the premise
    return pass_request, item, wrong


def test_a_standing_licence_read_as_another_plate_is_shown_before_submit(
    applicant, draft_on_a_misread_vehicle
):
    pass_request, item, wrong = draft_on_a_misread_vehicle
    client = client_for(applicant)
    sentence = f"行驶证上的号牌读作{wrong}，与申请车辆{item.vehicle.plate}不符"

    documents = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "documents"]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    checklist = documents[documents.index('id="doc-checklist"') :]
    checklist = checklist[: checklist.index("</ul>")]
    assert 'class="flagged"' in checklist and sentence in checklist
    assert "✓" not in checklist

    review = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "review"]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    banner = review[review.index('id="machine-mismatches"') :]
    assert sentence in banner[: banner.index("</div>")]
    # The stepper's documents step is flagged, not ticked green.
    stepper = review[review.index('class="stepper"') : review.index("</ol>")]
    assert stepper.count('class="flagged"') == 1, stepper
    assert stepper.count('class="done"') == 3  # type, details, vehicles: ticked


def test_a_matching_standing_licence_keeps_its_tick(
    applicant, enterprise, django_capture_on_commit_callbacks
):
    pass_type = factories.PassTypeFactory(required_document_kinds=[DocumentKind.VEHICLE_LICENCE])
    pass_request = factories.PassRequestFactory(enterprise=enterprise, pass_type=pass_type)
    item = factories.RequestItemFactory(request=pass_request)
    with django_capture_on_commit_callbacks(execute=True):
        attach_scan(
            applicant,
            enterprise,
            DocumentKind.VEHICLE_LICENCE,
            {"plate": item.vehicle.plate, "vehicle_type": "重型货车", "owner": enterprise.name},
            vehicle=item.vehicle,
        )
    client = client_for(applicant)
    documents = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "documents"])
    ).content.decode()
    checklist = documents[documents.index('id="doc-checklist"') :]
    checklist = checklist[: checklist.index("</ul>")]
    assert "✓" in checklist and "flagged" not in checklist
    review = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "review"])
    ).content.decode()
    assert 'id="machine-mismatches"' not in review
    assert 'class="flagged"' not in review
