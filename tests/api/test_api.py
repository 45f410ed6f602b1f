"""The REST API end to end through DRF's test client: every endpoint an enterprise uses."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from passes.models import AuditEvent, Document, Driver, PassRequest, Vehicle
from tests import factories, fixtures_files
from tests.api_support import API, assert_error, client_for, create_draft, fleet, window


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # throttle counters


@pytest.fixture
def api(applicant):
    return client_for(applicant)


@pytest.fixture
def pass_type(db):
    return factories.PassTypeFactory(code="city-truck", max_validity_days=30)


# --- Token -----------------------------------------------------------------------------------


def test_token_for_username_and_password_then_token_authenticates(applicant):
    client = client_for()
    response = client.post(
        f"{API}/auth/token/",
        {"username": applicant.username, "password": "pw-for-tests-123"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token"}

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/vehicles/").status_code == 200
    # Asking again gives the same token.
    again = client_for().post(
        f"{API}/auth/token/",
        {"username": applicant.username, "password": "pw-for-tests-123"},
        format="json",
    )
    assert again.json()["token"] == token


def test_token_refused_for_wrong_password(applicant):
    response = client_for().post(
        f"{API}/auth/token/", {"username": applicant.username, "password": "nope"}, format="json"
    )
    assert_error(response, 400, "invalid_credentials")


def test_token_requires_both_fields(db):
    response = client_for().post(f"{API}/auth/token/", {"username": "x"}, format="json")
    assert_error(response, 400, "invalid", field="password")


def test_session_authentication_works_for_the_portal_scripts(client, applicant):
    client.force_login(applicant)
    response = client.get(f"{API}/vehicles/")
    assert response.status_code == 200


def test_session_post_without_csrf_token_is_refused(applicant):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(applicant)
    response = client.post(f"{API}/vehicles/", {"plate": "湘B12345"}, format="json")
    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not Vehicle.objects.exists()


# --- Vehicles and drivers --------------------------------------------------------------------


def test_vehicle_crud_normalises_the_plate_and_audits(api, enterprise):
    created = api.post(
        f"{API}/vehicles/", {"plate": "湘b·12345", "vehicle_type": "van"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["plate"] == "湘B12345"
    assert body["vehicle_type"] == "van"
    vehicle_id = body["id"]

    assert api.get(f"{API}/vehicles/{vehicle_id}/").json()["plate"] == "湘B12345"
    patched = api.patch(f"{API}/vehicles/{vehicle_id}/", {"licence_number": "XS-1"}, format="json")
    assert patched.json()["licence_number"] == "XS-1"
    assert patched.json()["plate"] == "湘B12345"
    put = api.put(
        f"{API}/vehicles/{vehicle_id}/",
        {"plate": "湘BD12345", "vehicle_type": "tanker"},
        format="json",
    )
    assert put.status_code == 200
    assert put.json()["plate"] == "湘BD12345"

    assert api.delete(f"{API}/vehicles/{vehicle_id}/").status_code == 204
    assert not Vehicle.objects.filter(pk=vehicle_id).exists()
    actions = list(
        AuditEvent.objects.filter(enterprise=enterprise).values_list("action", flat=True)
    )
    assert actions == ["vehicle.create", "vehicle.update", "vehicle.update", "vehicle.delete"]


def test_vehicle_with_bad_plate_is_a_400_naming_the_field(api):
    response = api.post(f"{API}/vehicles/", {"plate": "ABC123"}, format="json")
    error = assert_error(response, 400, field="plate")
    assert "plate" in error["message"]
    assert not Vehicle.objects.exists()


def test_vehicle_plate_must_be_unique_in_the_fleet(api, enterprise):
    factories.VehicleFactory(enterprise=enterprise, plate="湘B12345")
    response = api.post(f"{API}/vehicles/", {"plate": "湘B 12345"}, format="json")
    assert_error(response, 400, field="plate")
    assert Vehicle.objects.filter(enterprise=enterprise).count() == 1


def test_vehicle_list_is_paginated(api, enterprise):
    for number in range(5):
        factories.VehicleFactory(enterprise=enterprise, plate=f"湘B1000{number}")
    first = api.get(f"{API}/vehicles/?page_size=2").json()
    assert first["count"] == 5
    assert [v["plate"] for v in first["results"]] == ["湘B10000", "湘B10001"]
    assert first["next"] and first["previous"] is None
    last = api.get(f"{API}/vehicles/?page_size=2&page=3").json()
    assert [v["plate"] for v in last["results"]] == ["湘B10004"]
    assert_error(api.get(f"{API}/vehicles/?page=9"), 404, "not_found")


def test_driver_crud_masks_the_id_number(api, enterprise):
    id_number = factories.make_id_number(7)
    response = api.post(
        f"{API}/drivers/",
        {"name": "王师傅", "id_number": id_number.lower(), "phone": "+86 139 0000 1111"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert "id_number" not in body
    assert body["id_number_masked"] == f"{id_number[:6]}********{id_number[-4:]}"
    assert body["phone"] == "13900001111"
    driver = Driver.objects.get(pk=body["id"])
    assert driver.id_number == id_number.upper()
    audit = AuditEvent.objects.get(action="driver.create")
    assert id_number not in str(audit.data)

    assert (
        api.patch(f"{API}/drivers/{driver.pk}/", {"name": "王建国"}, format="json").json()["name"]
        == "王建国"
    )
    assert api.delete(f"{API}/drivers/{driver.pk}/").status_code == 204


def test_driver_with_bad_id_number_and_phone_names_both_fields(api):
    response = api.post(
        f"{API}/drivers/",
        {"name": "王师傅", "id_number": "430202198506150011", "phone": "12345"},
        format="json",
    )
    error = assert_error(response, 400, field="id_number")
    assert "phone" in error["fields"]
    assert not Driver.objects.exists()


def test_vehicle_on_a_request_under_review_cannot_be_deleted(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    draft = create_draft(api, pass_type, vehicles, drivers)
    on_draft = api.delete(f"{API}/vehicles/{vehicles[0].pk}/")
    assert_error(on_draft, 409, "vehicle_on_request")
    api.post(f"{API}/requests/{draft['id']}/submit/")

    response = api.delete(f"{API}/vehicles/{vehicles[0].pk}/")
    error = assert_error(response, 409, "vehicle_in_use")
    assert draft["reference"] in error["message"]
    assert Vehicle.objects.filter(pk=vehicles[0].pk).exists()
    assert_error(api.delete(f"{API}/drivers/{drivers[0].pk}/"), 409, "driver_in_use")
    # Nor may the plate change under the reviewer's eyes.
    assert_error(
        api.patch(f"{API}/vehicles/{vehicles[0].pk}/", {"plate": "湘B99999"}, format="json"),
        409,
        "vehicle_in_use",
    )


def test_staff_without_an_enterprise_cannot_use_fleet_endpoints(reviewer):
    response = client_for(reviewer).get(f"{API}/vehicles/")
    assert_error(response, 403, "not_a_member")


# --- Requests --------------------------------------------------------------------------------


def test_create_draft_with_items_and_retrieve_it(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise, vehicles=2, drivers=2)
    checkpoint = factories.CheckpointFactory()
    body = create_draft(api, pass_type, vehicles, drivers, checkpoints=[checkpoint.pk])

    assert body["status"] == "draft"
    assert body["reference"].startswith("SQ")
    assert body["pass_type"]["code"] == "city-truck"
    assert [item["vehicle"]["plate"] for item in body["items"]] == [v.plate for v in vehicles]
    assert [d["id"] for d in body["items"][0]["drivers"]] == [d.pk for d in drivers]
    assert body["checkpoints"][0]["code"] == checkpoint.code
    assert body["events"][0]["action"] == "request.create"
    assert body["actions"] == ["submit", "withdraw"]
    assert body["passes"] == []

    shown = api.get(f"{API}/requests/{body['id']}/").json()
    assert shown["items"] == body["items"]
    pass_request = PassRequest.objects.get(pk=body["id"])
    assert pass_request.enterprise == enterprise
    assert pass_request.created_by.membership.enterprise == enterprise


def test_create_draft_refuses_bad_input_and_saves_nothing(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    valid_from, valid_until = window(days=45)  # the type allows 30
    response = api.post(
        f"{API}/requests/",
        {
            "pass_type": pass_type.pk,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "items": [{"vehicle": vehicles[0].pk, "drivers": [drivers[0].pk]}],
        },
        format="json",
    )
    assert_error(response, 400, field="valid_until")

    unknown_type = api.post(f"{API}/requests/", {"pass_type": 99999}, format="json")
    assert_error(unknown_type, 400, field="pass_type")
    wrong_shape = api.post(
        f"{API}/requests/", {"pass_type": pass_type.pk, "items": [{"drivers": "x"}]}, format="json"
    )
    error = assert_error(wrong_shape, 400, field="items.0.vehicle")
    assert "items.0.drivers" in error["fields"]
    assert not PassRequest.objects.exists()


def test_same_vehicle_twice_is_refused(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    item = {"vehicle": vehicles[0].pk, "drivers": [drivers[0].pk]}
    response = api.post(
        f"{API}/requests/", {"pass_type": pass_type.pk, "items": [item, item]}, format="json"
    )
    assert_error(response, 400, field="items.1.vehicle")


def test_request_list_filters(api, enterprise, pass_type):
    other_type = factories.PassTypeFactory(code="emergency")
    vehicles, drivers = fleet(enterprise)
    first = create_draft(api, pass_type, vehicles, drivers)
    second = create_draft(api, other_type, vehicles, drivers)
    api.post(f"{API}/requests/{second['id']}/submit/")

    def ids(query):
        response = api.get(f"{API}/requests/{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids("") == [second["id"], first["id"]]
    assert ids("?status=submitted") == [second["id"]]
    assert ids("?status=draft") == [first["id"]]
    assert ids("?pass_type=emergency") == [second["id"]]
    assert ids(f"?pass_type={pass_type.pk}") == [first["id"]]
    today = PassRequest.objects.get(pk=first["id"]).created_at.astimezone().date()
    assert ids(f"?created_after={today}&created_before={today}") == [second["id"], first["id"]]
    assert ids("?created_after=2099-01-01") == []
    valid_on = first["valid_from"][:10]
    assert first["id"] in ids(f"?valid_on={valid_on}")
    assert ids("?valid_on=2001-01-01") == []
    assert_error(api.get(f"{API}/requests/?status=nonsense"), 400, field="status")
    assert_error(api.get(f"{API}/requests/?created_after=yesterday"), 400, field="created_after")


def test_update_draft_replaces_items_and_drops_their_documents(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise, vehicles=2, drivers=1)
    body = create_draft(api, pass_type, vehicles, drivers)
    upload = api.post(
        f"{API}/requests/{body['id']}/documents/",
        {
            "file": fixtures_files.upload("licence.jpg", fixtures_files.jpeg_bytes()),
            "kind": "vehicle_licence",
            "item": body["items"][1]["id"],
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.content

    response = api.patch(
        f"{API}/requests/{body['id']}/",
        {
            "origin": "株洲市石峰区",
            "items": [{"vehicle": vehicles[0].pk, "drivers": [drivers[0].pk]}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["origin"] == "株洲市石峰区"
    assert [i["vehicle"]["id"] for i in updated["items"]] == [vehicles[0].pk]
    assert updated["items"][0]["id"] == body["items"][0]["id"]  # kept, not recreated
    assert updated["documents"] == []
    event = AuditEvent.objects.filter(action="request.update").get()
    assert event.data["items"]["removed"] == [vehicles[1].plate]
    assert event.data["items"]["documents_removed"] == [upload.json()["id"]]


def test_update_only_while_draft_or_returned(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    api.post(f"{API}/requests/{body['id']}/submit/")
    response = api.patch(f"{API}/requests/{body['id']}/", {"origin": "别处"}, format="json")
    assert_error(response, 409, "not_editable")
    assert PassRequest.objects.get(pk=body["id"]).origin == "株洲市荷塘区"


def test_requests_cannot_be_deleted_only_withdrawn(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    assert_error(api.delete(f"{API}/requests/{body['id']}/"), 405, "method_not_allowed")
    withdrawn = api.post(f"{API}/requests/{body['id']}/withdraw/")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["actions"] == []


# --- Documents -------------------------------------------------------------------------------


def test_upload_and_remove_documents(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    url = f"{API}/requests/{body['id']}/documents/"
    tested_at = (timezone.now() - datetime.timedelta(hours=6)).astimezone(datetime.UTC)
    response = api.post(
        url,
        {
            "file": fixtures_files.upload("test.pdf", fixtures_files.pdf_bytes()),
            "kind": "nucleic_acid_test",
            "driver": drivers[0].pk,
            "tested_at": tested_at.isoformat(),  # any zone will do
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["kind"] == "nucleic_acid_test"
    assert document["driver"] == drivers[0].pk
    assert document["content_type"] == "application/pdf"
    assert len(document["sha256"]) == 64
    assert tested_at

    shown = api.get(f"{API}/requests/{body['id']}/").json()
    assert [d["id"] for d in shown["documents"]] == [document["id"]]

    assert api.delete(f"{url}{document['id']}/").status_code == 204
    assert not Document.objects.filter(pk=document["id"]).exists()
    assert_error(api.delete(f"{url}{document['id']}/"), 404, "not_found")


def test_refused_uploads_say_why(api, enterprise, pass_type, settings):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    url = f"{API}/requests/{body['id']}/documents/"

    program = api.post(
        url,
        {"file": fixtures_files.upload("scan.pdf", fixtures_files.elf_bytes()), "kind": "other"},
        format="multipart",
    )
    error = assert_error(program, 400, field="file")
    assert error["code"] != "invalid"

    settings.PASSDESK_UPLOAD_MAX_BYTES = 10_000
    too_big = api.post(
        url,
        {
            "file": fixtures_files.upload("big.jpg", fixtures_files.noise_jpeg_bytes(20_000)),
            "kind": "other",
        },
        format="multipart",
    )
    assert_error(too_big, 413, "too_large", field="file")

    no_kind = api.post(
        url,
        {"file": fixtures_files.upload("a.jpg", fixtures_files.jpeg_bytes())},
        format="multipart",
    )
    assert_error(no_kind, 400, field="kind")
    stranger = api.post(
        url,
        {
            "file": fixtures_files.upload("a.jpg", fixtures_files.jpeg_bytes()),
            "kind": "driving_licence",
            "driver": factories.DriverFactory(enterprise=enterprise).pk,  # not on the request
        },
        format="multipart",
    )
    assert_error(stranger, 400, field="driver")
    assert not Document.objects.exists()


def test_documents_frozen_once_submitted(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    url = f"{API}/requests/{body['id']}/documents/"
    document = api.post(
        url,
        {"file": fixtures_files.upload("a.png", fixtures_files.png_bytes()), "kind": "other"},
        format="multipart",
    ).json()
    api.post(f"{API}/requests/{body['id']}/submit/")

    assert_error(api.delete(f"{url}{document['id']}/"), 409, "not_editable")
    late = api.post(
        url,
        {"file": fixtures_files.upload("b.jpg", fixtures_files.jpeg_bytes()), "kind": "other"},
        format="multipart",
    )
    assert_error(late, 409, "not_editable")
    assert Document.objects.filter(request_id=body["id"]).count() == 1


# --- Transitions -----------------------------------------------------------------------------


def test_submit_withdraw_and_illegal_transitions(api, enterprise, pass_type):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    submitted = api.post(f"{API}/requests/{body['id']}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"]

    again = api.post(f"{API}/requests/{body['id']}/submit/")
    error = assert_error(again, 409, "invalid_transition")
    assert body["reference"] in error["message"]
    assert_error(api.post(f"{API}/requests/{body['id']}/resubmit/"), 409, "invalid_transition")
    assert api.post(f"{API}/requests/{body['id']}/withdraw/").json()["status"] == "withdrawn"


def test_submit_names_missing_documents(api, enterprise):
    pass_type = factories.PassTypeFactory(required_document_kinds=["vehicle_licence"])
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    assert body["missing_documents"] == [f"Vehicle licence for vehicle {vehicles[0].plate}"]
    error = assert_error(api.post(f"{API}/requests/{body['id']}/submit/"), 409, "documents_missing")
    assert vehicles[0].plate in error["message"]
    assert PassRequest.objects.get(pk=body["id"]).status == "draft"


def test_pending_enterprise_cannot_submit(db, pass_type):
    enterprise = factories.EnterpriseFactory(verification_status="pending")
    user = factories.MembershipFactory(enterprise=enterprise).user
    api = client_for(user)
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    assert_error(api.post(f"{API}/requests/{body['id']}/submit/"), 409, "enterprise_not_verified")


# --- Review ----------------------------------------------------------------------------------


def _submitted(api, enterprise, pass_type, vehicles=1):
    vehicle_list, drivers = fleet(enterprise, vehicles=vehicles)
    body = create_draft(api, pass_type, vehicle_list, drivers)
    assert api.post(f"{API}/requests/{body['id']}/submit/").status_code == 200
    return body


def test_review_queue_claim_and_approve_issues_passes(api, enterprise, pass_type, reviewer):
    body = _submitted(api, enterprise, pass_type, vehicles=2)
    draft = create_draft(api, pass_type, *fleet(enterprise))
    staff = client_for(reviewer)

    queue = staff.get(f"{API}/review/queue/").json()
    assert [r["id"] for r in queue["results"]] == [body["id"]]
    assert queue["results"][0]["enterprise"]["name"] == enterprise.name
    assert_error(staff.get(f"{API}/review/{draft['id']}/"), 404, "not_found")

    claimed = staff.post(f"{API}/review/{body['id']}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["status"] == "in_review"
    assert claimed.json()["assigned_reviewer"] == reviewer.username
    assert claimed.json()["actions"] == ["claim", "approve", "return", "reject"]
    assert staff.get(f"{API}/review/queue/?mine=true").json()["count"] == 1

    approved = staff.post(f"{API}/review/{body['id']}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    passes = approved.json()["passes"]
    assert len(passes) == 2
    assert all(len(p["number"]) == 12 and p["status"] == "active" for p in passes)

    # The enterprise sees its passes on the request.
    mine = api.get(f"{API}/requests/{body['id']}/").json()
    assert mine["status"] == "approved"
    assert sorted(p["number"] for p in mine["passes"]) == sorted(p["number"] for p in passes)
    assert [e["action"] for e in mine["events"]] == [
        "request.create",
        "request.submit",
        "request.claim",
        "request.approve",
    ]


def test_return_needs_a_reason_then_resubmit(api, enterprise, pass_type, reviewer):
    body = _submitted(api, enterprise, pass_type)
    staff = client_for(reviewer)
    staff.post(f"{API}/review/{body['id']}/claim/")

    assert_error(
        staff.post(f"{API}/review/{body['id']}/return/", {}, format="json"), 400, field="reason"
    )
    returned = staff.post(
        f"{API}/review/{body['id']}/return/", {"reason": "行驶证不清晰"}, format="json"
    )
    assert returned.json()["status"] == "returned"
    assert returned.json()["decision_reason"] == "行驶证不清晰"

    mine = api.get(f"{API}/requests/{body['id']}/").json()
    assert mine["actions"] == ["resubmit", "withdraw"]
    patched = api.patch(f"{API}/requests/{body['id']}/", {"origin": "新地址"}, format="json")
    assert patched.status_code == 200
    resubmitted = api.post(f"{API}/requests/{body['id']}/resubmit/")
    assert resubmitted.json()["status"] == "submitted"


def test_return_with_per_document_reasons(api, enterprise, pass_type, reviewer):
    vehicles, drivers = fleet(enterprise)
    body = create_draft(api, pass_type, vehicles, drivers)
    doc = api.post(
        f"{API}/requests/{body['id']}/documents/",
        {"file": fixtures_files.upload("a.png", fixtures_files.png_bytes()), "kind": "other"},
        format="multipart",
    ).json()
    api.post(f"{API}/requests/{body['id']}/submit/")
    staff = client_for(reviewer)
    staff.post(f"{API}/review/{body['id']}/claim/")

    unknown = staff.post(
        f"{API}/review/{body['id']}/return/",
        {"reason": "补正", "documents": {"999999": "?"}},
        format="json",
    )
    assert_error(unknown, 400, field="documents")
    response = staff.post(
        f"{API}/review/{body['id']}/return/",
        {"reason": "补正", "documents": {str(doc["id"]): "看不清"}},
        format="json",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="request.return")
    assert event.data["documents"] == {str(doc["id"]): "看不清"}


def test_reject_and_claimed_by_other(api, enterprise, pass_type, reviewer, other_reviewer):
    body = _submitted(api, enterprise, pass_type)
    client_for(reviewer).post(f"{API}/review/{body['id']}/claim/")
    other = client_for(other_reviewer)
    assert_error(other.post(f"{API}/review/{body['id']}/claim/"), 409, "claimed_by_other")
    assert_error(
        other.post(f"{API}/review/{body['id']}/reject/", {"reason": "x"}, format="json"),
        409,
        "claimed_by_other",
    )
    rejected = client_for(reviewer).post(
        f"{API}/review/{body['id']}/reject/", {"reason": "材料不实"}, format="json"
    )
    assert rejected.json()["status"] == "rejected"


def test_enterprise_members_cannot_use_review_endpoints(api, enterprise, pass_type):
    body = _submitted(api, enterprise, pass_type)
    assert_error(api.get(f"{API}/review/queue/"), 403, "not_a_reviewer")
    assert_error(api.post(f"{API}/review/{body['id']}/claim/"), 403, "not_a_reviewer")
    assert PassRequest.objects.get(pk=body["id"]).status == "submitted"


# --- Schema and documentation ----------------------------------------------------------------


def test_openapi_schema_and_docs_pages_without_a_cdn(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/vehicles/{id}/",
        "/api/v1/requests/{id}/documents/",
        "/api/v1/requests/{id}/submit/",
        "/api/v1/review/queue/",
        "/api/v1/review/{id}/return/",
    ):
        assert path in document["paths"], path

    for page in ("/api/docs/", "/api/redoc/"):
        html = client.get(page).content.decode()
        assert "drf_spectacular_sidecar" in html, page
        assert "cdn" not in html.lower() and "unpkg" not in html.lower(), page


def test_enterprise_sees_the_office_not_the_reviewer(
    api, applicant, enterprise, pass_type, reviewer
):
    body = _submitted(api, enterprise, pass_type)
    staff = client_for(reviewer)
    staff.post(f"{API}/review/{body['id']}/claim/")
    staff.post(f"{API}/review/{body['id']}/return/", {"reason": "补正"}, format="json")

    events = api.get(f"{API}/requests/{body['id']}/").json()["events"]
    assert [e["actor"] for e in events] == [
        applicant.username,
        applicant.username,
        "Traffic office",
        "Traffic office",
    ]
    assert reviewer.username not in str(events)
    assert events[-1]["reason"] == "补正"
    # The office itself sees who did what.
    office_view = staff.get(f"{API}/review/{body['id']}/").json()["events"]
    assert office_view[-1]["actor"] == reviewer.username


# --- Downloads -------------------------------------------------------------------------------


def test_document_downloads_with_the_token(api, enterprise, pass_type, applicant):
    body = create_draft(api, pass_type, *fleet(enterprise))
    png = fixtures_files.png_bytes()
    document = api.post(
        f"{API}/requests/{body['id']}/documents/",
        {"file": fixtures_files.upload("营业执照.png", png), "kind": "other"},
        format="multipart",
    ).json()
    assert document["url"] == f"{API}/requests/{body['id']}/documents/{document['id']}/"

    response = api.get(document["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    stranger = client_for(factories.MembershipFactory().user)
    assert_error(stranger.get(document["url"]), 404, "not_found")


def test_pass_pdfs_download_once_approved(api, enterprise, pass_type, reviewer):
    body = _submitted(api, enterprise, pass_type, vehicles=2)
    assert_error(api.get(f"{API}/requests/{body['id']}/passes/pdf/"), 404, "not_found")
    staff = client_for(reviewer)
    staff.post(f"{API}/review/{body['id']}/claim/")
    approved = staff.post(f"{API}/review/{body['id']}/approve/", {}, format="json").json()
    assert approved["passes"][0]["pdf_url"].startswith("/passes/")  # the office's own view

    mine = api.get(f"{API}/requests/{body['id']}/").json()
    one = mine["passes"][0]
    assert one["pdf_url"] == f"{API}/requests/{body['id']}/passes/{one['number']}/pdf/"
    single = api.get(one["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert single.status_code == 200, single.content[:300]
    assert single["Content-Type"] == "application/pdf"
    assert b"".join(single.streaming_content).startswith(b"%PDF")
    combined = api.get(mine["all_passes_pdf_url"])
    assert combined.status_code == 200
    assert b"".join(combined.streaming_content).startswith(b"%PDF")
    # A pass number that is not on this request, asked for as a PDF, still errs in JSON.
    missing = api.get(
        f"{API}/requests/{body['id']}/passes/999999999999/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert missing["Content-Type"] == "application/json"
    assert_error(missing, 404, "not_found")


def test_lists_and_the_review_queue_count_each_requests_vehicles(
    api, enterprise, pass_type, reviewer
):
    small = create_draft(api, pass_type, *fleet(enterprise, vehicles=1))
    large = create_draft(api, pass_type, *fleet(enterprise, vehicles=3))
    for draft in (small, large):
        assert api.post(f"{API}/requests/{draft['id']}/submit/").status_code == 200

    listed = api.get(f"{API}/requests/").json()["results"]
    assert {row["id"]: row["vehicle_count"] for row in listed} == {small["id"]: 1, large["id"]: 3}
    queue = client_for(reviewer).get(f"{API}/review/queue/").json()["results"]
    assert {row["id"]: row["vehicle_count"] for row in queue} == {small["id"]: 1, large["id"]: 3}
    assert api.get(f"{API}/requests/?status=submitted").json()["count"] == 2


def test_every_transition_answers_with_what_reading_the_request_shows(
    api, enterprise, pass_type, reviewer
):
    """The answers are built from the rows the transition has just written; a fresh read of
    the request right after shows exactly the same."""
    office = client_for(reviewer)

    def same(answer, path, client):
        assert answer.status_code in (200, 201), answer.content
        assert answer.json() == client.get(path).json()
        return answer.json()

    kept = create_draft(api, pass_type, *fleet(enterprise, vehicles=2))
    assert kept == api.get(f"{API}/requests/{kept['id']}/").json()
    mine, theirs = f"{API}/requests/{kept['id']}/", f"{API}/review/{kept['id']}/"
    assert same(api.post(f"{mine}submit/"), mine, api)["status"] == "submitted"
    assert same(office.post(f"{theirs}claim/"), theirs, office)["assigned_reviewer"] == "reviewer"
    approved = same(office.post(f"{theirs}approve/", {}, format="json"), theirs, office)
    assert approved["status"] == "approved" and len(approved["passes"]) == 2

    for action, body in (
        ("return", {"reason": "行驶证模糊"}),
        ("reject", {"reason": "不符合条件"}),
    ):
        other = create_draft(api, pass_type, *fleet(enterprise))
        mine, theirs = f"{API}/requests/{other['id']}/", f"{API}/review/{other['id']}/"
        same(api.post(f"{mine}submit/"), mine, api)
        same(office.post(f"{theirs}claim/"), theirs, office)
        decided = same(office.post(f"{theirs}{action}/", body, format="json"), theirs, office)
        assert decided["decision_reason"] == body["reason"]
        if action == "return":
            assert same(api.post(f"{mine}resubmit/"), mine, api)["status"] == "submitted"
    withdrawn = create_draft(api, pass_type, *fleet(enterprise))
    path = f"{API}/requests/{withdrawn['id']}/"
    assert same(api.post(f"{path}withdraw/"), path, api)["status"] == "withdrawn"
