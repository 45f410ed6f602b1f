"""Several offices in one deployment: staff listed on an office work for it only; staff on no
office and superusers work deployment-wide (so one-office deployments behave as before)."""

import json
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.checkpoint import fastscan
from passes.errors import WorkflowError
from passes.models import Office, PassRequest
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens
from tests import factories
from tests.factories.checkpoint import make_pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_office():
    return Office.objects.order_by("pk").first()


@pytest.fixture
def second_office():
    return Office.objects.create(name="湘潭市交通运输局", region_code="430300")


def test_the_migration_made_the_settings_office_the_first(first_office, settings):
    assert first_office.region_code == settings.PASSDESK_REGION_CODE
    assert first_office.name == settings.PASSDESK_OFFICE_TITLE


def test_a_second_office_numbers_and_signs_its_own_passes(second_office):
    pass_type = factories.PassTypeFactory(office=second_office)
    key = signing_keys.create_key(office=second_office)
    issued = make_pass()
    PassRequest.objects.filter(pk=issued.request_id).update(pass_type=pass_type)
    other = make_pass()
    assert other.number.startswith("430200")
    issued.request.refresh_from_db()
    from django.db import transaction

    from passes.issuing import numbering

    with transaction.atomic():
        (second,) = numbering.issue_passes(
            issued.request,
            valid_from=issued.valid_from,
            valid_until=issued.valid_until,
            items=[issued.item],
        )
    assert second.number == "430300000001"
    assert signing_keys.current_signer(second_office.pk).kid == key.kid


def _submitted_for(office):
    pass_request = factories.submittable_request(pass_type=factories.PassTypeFactory(office=office))
    member = factories.MembershipFactory(enterprise=pass_request.enterprise).user
    workflow.submit(pass_request, by=member)
    return pass_request


def test_reviewers_see_and_decide_only_their_office(second_office, first_office, client):
    ours = _submitted_for(first_office)
    theirs = _submitted_for(second_office)
    reviewer = factories.UserFactory(username="xt", is_staff=True, groups=["Reviewers"])
    second_office.staff.add(reviewer)
    client.force_login(reviewer)
    queue = client.get("/admin/passes/reviewqueue/").content.decode()
    assert theirs.reference in queue and ours.reference not in queue
    assert client.get(f"/admin/passes/reviewqueue/{ours.pk}/change/").status_code == 404
    with pytest.raises(WorkflowError):
        workflow.claim(ours, by=reviewer)
    workflow.claim(theirs, by=reviewer)
    api = APIClient()
    api.force_authenticate(reviewer)
    assert api.get(f"/api/v1/review/{ours.pk}/").status_code == 404
    assert api.get(f"/api/v1/review/{theirs.pk}/").status_code == 200
    # Transitions scope and lock in one statement: another office's request is a 404 too.
    for action in ("claim", "approve", "reject"):
        assert api.post(f"/api/v1/review/{ours.pk}/{action}/", {"reason": "x"}).status_code == 404
    ours.refresh_from_db()
    assert ours.status == PassRequest.Status.SUBMITTED and ours.assigned_reviewer is None
    # A reviewer on no office still sees everything (one-office deployments are unchanged).
    everyone = factories.UserFactory(username="all", is_staff=True, groups=["Reviewers"])
    client.force_login(everyone)
    queue = client.get("/admin/passes/reviewqueue/").content.decode()
    assert ours.reference in queue and theirs.reference in queue


@pytest.mark.parametrize("lean", [True, False])
def test_inspectors_scan_only_at_their_office_checkpoints(
    lean, second_office, first_office, inspector, monkeypatch
):
    second_office.staff.add(inspector)
    ours = factories.CheckpointFactory(code="bridge-a", office=first_office)
    theirs = factories.CheckpointFactory(code="bridge-b", office=second_office)
    key = Token.objects.create(user=inspector).key
    if not lean:
        monkeypatch.setattr(fastscan, "handle", lambda request: None)
    code = tokens.verification_url(signing_keys.sign_pass(make_pass()))

    def post(checkpoint):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        data = {
            "code": code,
            "checkpoint": checkpoint.code,
            "nonce": str(uuid.uuid4()),
            "scanned_at": timezone.now().isoformat(),
        }
        return client.post("/api/v1/scans/", json.dumps(data), content_type="application/json")

    refused = post(ours)
    assert refused.status_code == 400
    assert "another office" in json.dumps(refused.json())
    assert post(theirs).status_code == 201


def test_officers_see_their_office_only_and_cannot_add_offices(second_office, officer, client):
    second_office.staff.add(officer)
    client.force_login(officer)
    page = client.get("/admin/passes/office/").content.decode()
    assert "湘潭市交通运输局" in page
    assert Office.objects.count() == 2 and "株洲" not in page
    assert client.get("/admin/passes/office/add/").status_code == 403


def test_another_offices_documents_are_hidden_from_a_scoped_reviewer(
    second_office, first_office, client
):
    from django.urls import reverse

    from tests.factories.workflow import make_document

    ours = _submitted_for(first_office)
    document = make_document(ours.enterprise, "business_licence", request=ours)
    reviewer = factories.UserFactory(username="xt2", is_staff=True, groups=["Reviewers"])
    second_office.staff.add(reviewer)
    client.force_login(reviewer)
    for name in ("admin:passes_review_document_viewer", "admin:passes_review_document_file"):
        assert client.get(reverse(name, args=[document.pk])).status_code == 404
    first_office.staff.add(reviewer)
    assert (
        client.get(reverse("admin:passes_review_document_file", args=[document.pk])).status_code
        == 200
    )


def test_officers_manage_their_office_pass_types_and_checkpoints(
    second_office, first_office, officer, client
):
    factories.PassTypeFactory(name="株洲城区货车", office=first_office)
    factories.CheckpointFactory(name="湘潭一桥卡口", code="xt-bridge", office=second_office)
    factories.CheckpointFactory(name="株洲湘江大桥卡口", code="zz-bridge", office=first_office)
    second_office.staff.add(officer)
    client.force_login(officer)
    checkpoints = client.get("/admin/passes/checkpoint/").content.decode()
    assert "湘潭一桥卡口" in checkpoints and "株洲湘江大桥卡口" not in checkpoints
    assert "株洲城区货车" not in client.get("/admin/passes/passtype/").content.decode()
    response = client.post(
        "/admin/passes/checkpoint/add/",
        {"name": "湘潭二桥卡口", "code": "xt-bridge-2", "location": "", "is_active": "on"},
    )
    assert response.status_code == 302
    from passes.models import Checkpoint

    assert Checkpoint.objects.get(code="xt-bridge-2").office == second_office


def test_passdesk_keys_creates_a_key_for_an_office(second_office):
    from io import StringIO

    from django.core.management import call_command

    from passes.models import SigningKey

    call_command("passdesk_keys", "create", "--office", "430300", stdout=StringIO())
    assert SigningKey.objects.get().office == second_office
