"""The API's catalogue, issued passes (list, token, revoke, amend, print, renew), bulk fleet,
document links for token-authenticated reviewers, tags, Redoc offline and JSON errors."""

import datetime
import io

import pypdf
import pytest
from django.test import override_settings
from django.utils import timezone

from passes.issuing import rendering
from passes.models import AuditEvent, Document, DocumentView, Pass, PassRequest, Vehicle
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.api_support import API, assert_error, client_for
from tests.factories.issuing import issued_passes
from tests.factories.workflow import make_document


@pytest.fixture
def issued(applicant, enterprise, reviewer):
    pass_request = factories.submittable_request(vehicles=2, enterprise=enterprise)
    return issued_passes(pass_request, reviewer=reviewer)


def test_catalogue_lists_pass_types_and_checkpoints(applicant):
    pass_type = factories.PassTypeFactory(
        required_document_kinds=["nucleic_acid_test"], health_proof_max_age_hours=48
    )
    retired = factories.PassTypeFactory(is_active=False)
    checkpoint = factories.CheckpointFactory()
    api = client_for(applicant)
    types = {t["code"]: t for t in api.get(f"{API}/pass-types/").json()["results"]}
    assert pass_type.code in types and retired.code not in types
    assert types[pass_type.code]["health_proof_max_age_hours"] == 48
    assert types[pass_type.code]["required_documents"] == ["Nucleic-acid test report"]
    assert api.get(f"{API}/pass-types/{pass_type.pk}/").json()["max_validity_days"]
    assert_error(api.get(f"{API}/pass-types/{retired.pk}/"), 404)
    points = api.get(f"{API}/checkpoints/").json()["results"]
    assert checkpoint.pk in [c["id"] for c in points]
    assert_error(client_for().get(f"{API}/checkpoints/"), 401)


def test_enterprise_lists_only_its_own_passes_with_a_verifiable_token(applicant, issued):
    other = factories.submittable_request(vehicles=1)
    foreign = issued_passes(other, reviewer=factories.UserFactory(groups=["Reviewers"]))[0]
    api = client_for(applicant)
    body = api.get(f"{API}/passes/").json()
    assert sorted(p["number"] for p in body["results"]) == [p.number for p in issued]
    first = next(p for p in body["results"] if p["number"] == issued[0].number)
    claims = signing.verify_token(first["token"], signing_keys.server_keyring())
    assert claims.number == issued[0].number
    assert first["qr_payload"].endswith("/v/" + first["token"])
    assert first["days_left"] == 7
    assert first["pdf_ready"] is False  # the rendering task runs after the commit
    rendering.request_pdf(issued[0].request)
    body = api.get(f"{API}/passes/{issued[0].number}/").json()
    assert body["pdf_ready"] is True
    assert "enterprise" not in first
    assert_error(api.get(f"{API}/passes/{foreign.number}/"), 404)
    # an enterprise filter cannot widen an enterprise's view
    body = api.get(f"{API}/passes/", {"enterprise": other.enterprise_id}).json()
    assert len(body["results"]) == 2


def test_pass_state_filters(applicant, issued):
    api = client_for(applicant)
    Pass.objects.filter(pk=issued[0].pk).update(
        valid_until=timezone.now() + datetime.timedelta(days=2)
    )
    Pass.objects.filter(pk=issued[1].pk).update(status=Pass.Status.REVOKED)

    def numbers(state):
        return [p["number"] for p in api.get(f"{API}/passes/", {"state": state}).json()["results"]]

    assert numbers("expiring") == [issued[0].number]
    assert numbers("active") == [issued[0].number]
    assert numbers("revoked") == [issued[1].number]
    assert numbers("expired") == []
    Pass.objects.filter(pk=issued[0].pk).update(valid_until=timezone.now())
    assert numbers("expired") == [issued[0].number]
    assert_error(api.get(f"{API}/passes/", {"state": "soon"}), 400, field="state")


def test_staff_see_all_passes_and_filter_by_enterprise(reviewer, issued, enterprise):
    other = issued_passes(factories.submittable_request(vehicles=1), reviewer=reviewer)
    api = client_for(reviewer)
    assert len(api.get(f"{API}/passes/").json()["results"]) == 3
    body = api.get(f"{API}/passes/", {"enterprise": enterprise.pk}).json()
    assert {p["number"] for p in body["results"]} == {p.number for p in issued}
    assert body["results"][0]["enterprise"]["id"] == enterprise.pk
    body = api.get(f"{API}/passes/", {"plate": other[0].plate[-4:]}).json()
    assert [p["number"] for p in body["results"]] == [other[0].number]


def test_inspectors_and_strangers_cannot_list_passes(inspector, issued):
    assert_error(client_for(inspector).get(f"{API}/passes/"), 403)
    assert_error(client_for().get(f"{API}/passes/"), 401)


def test_officer_revokes_with_a_reason_reviewer_cannot(officer, reviewer, issued):
    number = issued[0].number
    assert_error(client_for(reviewer).post(f"{API}/passes/{number}/revoke/", {"reason": "x"}), 403)
    api = client_for(officer)
    assert_error(api.post(f"{API}/passes/{number}/revoke/", {}), 400, field="reason")
    response = api.post(f"{API}/passes/{number}/revoke/", {"reason": "车辆转让"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert response.json()["revocation_reason"] == "车辆转让"
    assert AuditEvent.objects.filter(action="pass.revoke", pass_obj__number=number).exists()
    assert_error(
        api.post(f"{API}/passes/{number}/revoke/", {"reason": "again"}), 409, "already_revoked"
    )


def test_officer_amends_drivers_through_the_api(officer, issued, enterprise):
    new_driver = factories.DriverFactory(enterprise=enterprise)
    api = client_for(officer)
    response = api.post(
        f"{API}/passes/{issued[0].number}/drivers/",
        {"drivers": [new_driver.pk], "reason": "换驾驶员"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["replaces"] == issued[0].number
    assert [d["id"] for d in body["drivers"]] == [new_driver.pk]
    issued[0].refresh_from_db()
    assert issued[0].status == Pass.Status.REVOKED


def test_selection_prints_as_one_pdf(applicant, issued):
    api = client_for(applicant)
    response = api.post(
        f"{API}/passes/print/", {"passes": [p.number for p in issued]}, format="json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 2
    assert_error(api.post(f"{API}/passes/print/", {"passes": ["999999999999"]}, format="json"), 404)


def test_renewal_through_the_api_and_clean_approval(applicant, issued, reviewer):
    api = client_for(applicant)
    response = api.post(f"{API}/passes/renew/", {"passes": [issued[0].number]}, format="json")
    assert response.status_code == 201, response.content
    (filed,) = response.json()["requests"]
    assert filed["status"] == "submitted"
    assert [item["vehicle"]["plate"] for item in filed["items"]] == [issued[0].plate]
    old = issued[0]
    # the same pass cannot be renewed twice at once
    assert_error(
        api.post(f"{API}/passes/renew/", {"passes": [issued[0].number]}, format="json"),
        409,
        "already_renewing",
    )
    staff = client_for(reviewer)
    detail = staff.get(f"{API}/review/{filed['id']}/").json()
    (comparison,) = detail["renewal_of"]
    assert comparison["number"] == issued[0].number
    assert comparison["clean"] is True and comparison["changed"] == []
    assert "route" in comparison["unchanged"]
    response = staff.post(f"{API}/review/{filed['id']}/approve-renewal/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    renewed = Pass.objects.get(request_id=filed["id"])
    assert renewed.valid_from == old.valid_until


def test_changed_renewal_is_not_approved_in_bulk(applicant, issued, reviewer, enterprise):
    api = client_for(applicant)
    first, second = (
        api.post(f"{API}/passes/renew/", {"passes": [p.number]}, format="json").json()["requests"][
            0
        ]
        for p in issued
    )
    # the applicant withdraws the second, changes its route and files it again
    request = PassRequest.objects.get(pk=second["id"])
    workflow.withdraw(request, by=applicant)
    filed = api.post(
        f"{API}/passes/renew/", {"passes": [issued[1].number], "submit": False}, format="json"
    ).json()["requests"][0]
    api.patch(f"{API}/requests/{filed['id']}/", {"destination": "岳阳市"}, format="json")
    api.post(f"{API}/requests/{filed['id']}/submit/")
    staff = client_for(reviewer)
    detail = staff.get(f"{API}/review/{filed['id']}/").json()
    changed = detail["renewal_of"][0]["changed"]
    assert [c["what"] for c in changed] == ["route"]
    assert "岳阳市" in changed[0]["after"]
    body = staff.post(
        f"{API}/review/approve-renewals/", {"requests": [first["id"], filed["id"]]}, format="json"
    ).json()
    assert body["approved"] == [first["reference"]]
    assert list(body["skipped"]) == [filed["reference"]]


def test_renewal_asks_for_a_fresh_health_proof(applicant, enterprise, reviewer):
    pass_type = factories.PassTypeFactory(health_proof_max_age_hours=48)
    pass_request = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    driver = pass_request.items.get().drivers.get()
    proof = make_document(
        enterprise,
        "nucleic_acid_test",
        request=pass_request,
        driver=driver,
        tested_at=timezone.now() - datetime.timedelta(hours=2),
    )
    (old,) = issued_passes(pass_request, reviewer=reviewer)
    Document.objects.filter(pk=proof.pk).update(
        tested_at=timezone.now() - datetime.timedelta(hours=72)
    )
    api = client_for(applicant)
    (filed,) = api.post(f"{API}/passes/renew/", {"passes": [old.number]}, format="json").json()[
        "requests"
    ]
    assert filed["status"] == "draft"  # the old proof is out of its window: a new one is needed
    make_document(
        enterprise,
        "nucleic_acid_test",
        request_id=filed["id"],
        driver=driver,
        tested_at=timezone.now() - datetime.timedelta(hours=1),
    )
    response = api.post(f"{API}/requests/{filed['id']}/submit/")
    assert response.status_code == 200, response.content


def test_declaration_must_be_accepted_to_submit(applicant, enterprise):
    pass_type = factories.PassTypeFactory(declaration="本企业承诺所填信息真实。")
    draft = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    api = client_for(applicant)
    assert_error(api.post(f"{API}/requests/{draft.pk}/submit/"), 409, "declaration_required")
    response = api.post(
        f"{API}/requests/{draft.pk}/submit/", {"declaration_accepted": True}, format="json"
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.declaration_accepted_at is not None


def test_bulk_vehicles_save_good_rows_and_report_bad_ones(applicant, enterprise):
    factories.VehicleFactory(enterprise=enterprise, plate="湘B12345")
    api = client_for(applicant)
    rows = [
        {"plate": "湘B·54321", "vehicle_type": "冷藏车"},
        {"plate": "湘B12345"},
        {"plate": "XX"},
        {"plate": "湘b54321"},
        {"plate": "湘B67890", "vehicle_type": "飞机"},
        "not an object",
    ]
    response = api.post(f"{API}/vehicles/bulk/", {"vehicles": rows}, format="json")
    if response.status_code == 400:  # a non-object row is refused by the input serializer
        rows.pop()
        response = api.post(f"{API}/vehicles/bulk/", {"vehicles": rows}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [v["plate"] for v in body["created"]] == ["湘B54321"]
    assert body["created"][0]["vehicle_type"] == Vehicle.VehicleType.REFRIGERATED
    assert [e["row"] for e in body["errors"]] == [1, 2, 3, 4]
    assert "already exists" in body["errors"][0]["message"]
    assert "row 0" in body["errors"][2]["message"]
    assert AuditEvent.objects.filter(action="fleet.bulk_vehicles").count() == 1


def test_bulk_drivers_mask_id_numbers_in_errors(applicant, enterprise):
    api = client_for(applicant)
    good = factories.make_id_number(901)
    rows = [
        {"name": "张三", "id_number": good, "phone": "13800138000"},
        {"name": "李四", "id_number": good, "phone": "13800138001"},
        {"name": "王五", "id_number": "430202198506150000", "phone": "13800138002"},
        {"name": "赵六", "id_number": factories.make_id_number(902), "phone": "12345"},
    ]
    body = api.post(f"{API}/drivers/bulk/", {"drivers": rows}, format="json").json()
    assert [d["name"] for d in body["created"]] == ["张三"]
    assert [e["row"] for e in body["errors"]] == [1, 2, 3]
    assert good not in str(body)


def test_review_document_link_works_with_the_token(api_document_request, reviewer):
    pass_request, document = api_document_request
    staff = client_for(reviewer)
    detail = staff.get(f"{API}/review/{pass_request.pk}/").json()
    url = detail["documents"][0]["url"]
    assert url == f"{API}/review/{pass_request.pk}/documents/{document.pk}/"
    response = staff.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert DocumentView.objects.filter(document=document, user=reviewer).exists()


def test_review_document_is_found_only_under_its_own_filed_request(
    api_document_request, reviewer, applicant, enterprise
):
    pass_request, document = api_document_request
    other = factories.submittable_request(enterprise=enterprise)
    workflow.submit(other, by=applicant)
    draft = factories.submittable_request(enterprise=enterprise)
    staff = client_for(reviewer)
    for request_id in (other.pk, draft.pk, pass_request.pk + 10_000):
        url = f"{API}/review/{request_id}/documents/{document.pk}/"
        assert staff.get(url).status_code == 404
    assert not DocumentView.objects.filter(document=document).exists()


@pytest.fixture
def api_document_request(applicant, enterprise):
    pass_request = factories.submittable_request(enterprise=enterprise)
    document = make_document(enterprise, "other", request=pass_request)
    workflow.submit(pass_request, by=applicant)
    return pass_request, document


def test_schema_tags_operations_by_resource(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    tags = {
        op["tags"][0]
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "tags" in op
    }
    assert {"passes", "pass-types", "checkpoints", "vehicles", "review"} <= tags
    assert "v1" not in tags


def test_redoc_loads_nothing_from_outside(client):
    response = client.get("/api/redoc/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "googleapis" not in html and "https://" not in html
    assert "default-src 'self'" in response["Content-Security-Policy"]


@override_settings(DEBUG=True)
def test_api_errors_are_json_with_debug_on(client):
    response = client.get("/api/v1/no-such-thing/")
    assert_error(response, 404, "not_found")


def test_a_stored_combined_pdf_downloads_without_reading_the_request_again(applicant, issued):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pass_request = issued[0].request
    rendering.request_pdf(pass_request)  # stored, as the worker leaves it
    api = client_for(applicant)
    url = f"{API}/requests/{pass_request.pk}/passes/pdf/"
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert f"passdesk-passes-{pass_request.reference}.pdf" in response["Content-Disposition"]
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert (
        len([s for s in reads if s.split(" WHERE ")[0].endswith('FROM "passes_passrequest"')]) <= 1
    )
    assert not [s for s in reads if 'FROM "passes_passtype"' in s]
