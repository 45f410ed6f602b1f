"""Where people see the machine check: the enterprise (portal, API) before it submits, the
reviewer's one-page review and the scan viewer, the queue, bulk approval and the dashboard;
and who may see or re-read it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from passes.models import AuditEvent, DocumentKind, DocumentReading, PassRequest
from passes.requests import workflow
from tests import api_support, factories
from tests.ocr_helpers import scan_upload
from tests.portal_helpers import client_for

pytestmark = pytest.mark.django_db
QUEUE = "admin:passes_reviewqueue_changelist"


@pytest.fixture(autouse=True)
def ocr_on(settings):
    settings.PASSDESK_OCR_ENABLED = True


def _licence(item, plate=None):
    return {
        "plate": plate or item.vehicle.plate,
        "vehicle_type": "重型货车",
        "owner": item.request.enterprise.name,
    }


def _draft_with_licence(applicant, enterprise, capture, *, plate=None):
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    item = factories.RequestItemFactory(request=pass_request)
    client = client_for(applicant)
    with capture(execute=True):
        response = client.post(
            reverse("passes:request-upload", args=[pass_request.pk]),
            {
                "kind": DocumentKind.VEHICLE_LICENCE,
                "target": f"item:{item.pk}",
                "file": scan_upload(DocumentKind.VEHICLE_LICENCE, _licence(item, plate)),
            },
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code in (200, 201), response.content
    return pass_request, item, client


def _wrong(plate):
    return plate[:-1] + ("7" if plate[-1] != "7" else "8")


@pytest.fixture
def mismatched(applicant, enterprise, django_capture_on_commit_callbacks):
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    item = factories.RequestItemFactory(request=pass_request)
    wrong = _wrong(item.vehicle.plate)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(applicant).post(
            reverse("passes:request-upload", args=[pass_request.pk]),
            {
                "kind": DocumentKind.VEHICLE_LICENCE,
                "target": f"item:{item.pk}",
                "file": scan_upload(DocumentKind.VEHICLE_LICENCE, _licence(item, wrong)),
            },
            HTTP_ACCEPT="application/json",
        )
    return pass_request, item, wrong


def test_the_enterprise_sees_the_plate_mismatch_before_submitting(applicant, mismatched):
    pass_request, item, wrong = mismatched
    client = client_for(applicant)
    review_step = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "review"]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert f"行驶证上的号牌读作{wrong}，与申请车辆{item.vehicle.plate}不符" in review_step
    documents_step = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "documents"]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Machine check: mismatch" in documents_step
    assert f"reads {wrong}, which does not match the vehicle filed, {item.vehicle.plate}" in (
        documents_step
    )


def test_the_api_shows_the_machine_check_and_only_to_the_enterprise(applicant, mismatched):
    pass_request, item, wrong = mismatched
    client = api_support.client_for(applicant)
    data = client.get(f"/api/v1/requests/{pass_request.pk}/").json()
    check = data["documents"][0]["machine_check"]
    assert (check["status"], check["outcome"]) == ("read", "mismatch")
    plate = next(line for line in check["checks"] if line["field"] == "plate")
    assert (plate["status"], plate["read"], plate["filed"]) == (
        "mismatch",
        wrong,
        item.vehicle.plate,
    )
    stranger = api_support.client_for(factories.MembershipFactory().user)
    assert stranger.get(f"/api/v1/requests/{pass_request.pk}/").status_code == 404


def test_a_document_being_read_is_shown_as_such_and_polled(applicant, enterprise):
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    item = factories.RequestItemFactory(request=pass_request)
    client = client_for(applicant)
    # No on-commit execution: the reading stays pending, as while the worker works.
    client.post(
        reverse("passes:request-upload", args=[pass_request.pk]),
        {
            "kind": DocumentKind.VEHICLE_LICENCE,
            "target": f"item:{item.pk}",
            "file": scan_upload(DocumentKind.VEHICLE_LICENCE, _licence(item)),
        },
    )
    page = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "documents"]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Machine check: being read" in page and "data-reading-pending" in page


def test_reviewer_sees_reading_beside_filed_value_mismatch_first_and_boxes(
    client, reviewer, mismatched
):
    pass_request, item, wrong = mismatched
    workflow.submit(pass_request, by=pass_request.enterprise.memberships.first().user)
    client.force_login(reviewer)
    page = client.get(
        reverse("admin:passes_reviewqueue_change", args=[pass_request.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert 'id="machine-mismatches"' in page
    assert page.index('id="machine-mismatches"') < page.index("pd-vehicle")
    row = page[page.index('class="pd-check-mismatch"') :]
    assert wrong in row[:400] and item.vehicle.plate in row[:400]
    assert "Read again" not in page  # reviewers see readings; officers re-read
    document = pass_request.documents.get()
    viewer = client.get(
        reverse("admin:passes_review_document_viewer", args=[document.pk])
    ).content.decode()
    assert "ocr-box ocr-box-mismatch" in viewer and "ocr-box ocr-box-match" in viewer
    # The red box says what was read and what was filed.
    red = viewer[viewer.index("ocr-box ocr-box-mismatch") :]
    title = red[red.index('title="') : red.index("></span>")]
    assert wrong in title and item.vehicle.plate in title
    # No green "no warnings" box above the machine's red one.
    assert "pd-okbox" not in page


def test_only_officers_may_ask_for_a_re_read(
    client, reviewer, officer, mismatched, django_capture_on_commit_callbacks
):
    pass_request, _item, _wrong_plate = mismatched
    # The review side acts on filed requests only (a draft's documents are a 404 to it).
    PassRequest.objects.filter(pk=pass_request.pk).update(
        status=PassRequest.Status.SUBMITTED, submitted_at=timezone.now()
    )
    document = pass_request.documents.get()
    url = reverse("admin:passes_review_reread_document", args=[document.pk])
    client.force_login(reviewer)
    assert client.post(url).status_code == 403
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"next": "/admin/"})
    assert response.status_code == 302
    reading = DocumentReading.objects.get(document=document)
    assert reading.attempts == 2 and reading.outcome == "mismatch"
    assert AuditEvent.objects.filter(action="document.reread", actor=officer).exists()


def test_queue_marks_filters_and_bulk_approves_only_all_match(
    client, reviewer, applicant, enterprise, django_capture_on_commit_callbacks
):
    clean, _item, _c = _draft_with_licence(
        applicant, enterprise, django_capture_on_commit_callbacks
    )
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    factories.RequestItemFactory(request=pass_request)
    wrong, _item2, _c2 = _draft_with_licence(
        applicant, enterprise, django_capture_on_commit_callbacks, plate=None
    )
    # make the second request's licence show another plate
    wrong_item = wrong.items.get()
    document = wrong.documents.get()
    document.delete()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(applicant).post(
            reverse("passes:request-upload", args=[wrong.pk]),
            {
                "kind": DocumentKind.VEHICLE_LICENCE,
                "target": f"item:{wrong_item.pk}",
                "file": scan_upload(
                    DocumentKind.VEHICLE_LICENCE,
                    _licence(wrong_item, _wrong(wrong_item.vehicle.plate)),
                    seed=5,
                ),
            },
            HTTP_ACCEPT="application/json",
        )
    unread = pass_request  # no scan at all: not all machine-read
    for req in (clean, wrong, unread):
        workflow.submit(req, by=applicant)
    client.force_login(reviewer)
    listing = client.get(reverse(QUEUE), {"machine": "all_match"}, HTTP_ACCEPT_LANGUAGE="en")
    shown = {row.pk for row in listing.context["cl"].result_list}
    assert shown == {clean.pk}
    mismatch = client.get(reverse(QUEUE), {"machine": "mismatch"})
    assert {row.pk for row in mismatch.context["cl"].result_list} == {wrong.pk}
    assert "✔ all match" in listing.content.decode()

    form = {"action": "bulk_approve", "_selected_action": [clean.pk, wrong.pk, unread.pk]}
    confirm = client.post(reverse(QUEUE), form, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 request will be approved" in confirm
    left_out = confirm[confirm.index('id="pd-left-out"') :]
    assert wrong.reference in left_out and unread.reference in left_out
    assert "Machine check: not all match" in left_out
    client.post(reverse(QUEUE), {**form, "confirm": "yes"})
    statuses = dict(PassRequest.objects.values_list("pk", "status"))
    assert statuses[clean.pk] == PassRequest.Status.APPROVED
    assert statuses[wrong.pk] == statuses[unread.pk] == PassRequest.Status.SUBMITTED

    # The reviewer approves the mismatched one by hand: an override on the dashboard.
    workflow.claim(wrong, by=reviewer)
    workflow.approve(wrong, by=reviewer)
    from passes.documents.ocr.request_checks import machine_check_figures

    figures = machine_check_figures(timezone.now() - datetime.timedelta(days=1))
    assert (figures["decided"], figures["all_match"], figures["mismatch"]) == (2, 1, 1)
    assert figures["override_rate"] == 1.0
    officer = factories.UserFactory(username="chief", is_staff=True, groups=["Officers"])
    client.force_login(officer)
    dashboard = client.get(reverse("passes_admin_dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert "approved despite a machine mismatch: 1 of 1" in dashboard.content.decode()


def test_machine_check_does_not_leak_id_numbers_into_logs(
    caplog, applicant, enterprise, django_capture_on_commit_callbacks
):
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    driver = factories.DriverFactory(enterprise=enterprise, name="王建军")
    factories.RequestItemFactory(request=pass_request, drivers=[driver])
    other = factories.make_id_number(555)
    with caplog.at_level("DEBUG"), django_capture_on_commit_callbacks(execute=True):
        client_for(applicant).post(
            reverse("passes:request-upload", args=[pass_request.pk]),
            {
                "kind": DocumentKind.DRIVING_LICENCE,
                "target": f"driver:{driver.pk}",
                "file": scan_upload(
                    DocumentKind.DRIVING_LICENCE,
                    {"name": "王建军", "id_number": other, "licence_class": "A2"},
                ),
            },
        )
    assert DocumentReading.objects.get().outcome == "mismatch"
    assert other not in caplog.text and driver.id_number not in caplog.text


def test_a_standing_vehicle_licence_is_checked_against_the_vehicle(
    applicant, enterprise, django_capture_on_commit_callbacks
):
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    client = client_for(applicant)
    url = reverse("passes:vehicle-detail", args=[vehicle.pk])
    truth = {"plate": _wrong(vehicle.plate), "vehicle_type": "重型货车", "owner": enterprise.name}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "kind": DocumentKind.VEHICLE_LICENCE,
                "file": scan_upload(DocumentKind.VEHICLE_LICENCE, truth),
            },
        )
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Machine check: mismatch" in page and _wrong(vehicle.plate) in page
