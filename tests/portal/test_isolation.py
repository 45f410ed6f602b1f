"""Every portal URL that names an object, tried by a member of another enterprise: 404, and
nothing changes. Also: people who act for no enterprise get 404 on member pages."""

import pytest
from django.urls import reverse

from passes.documents import attach_document
from passes.models import Document, Driver, Membership, PassRequest, Vehicle
from passes.models.imports import ImportJob
from tests import factories
from tests.portal_helpers import client_for, jpeg, member, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(db):
    enterprise = factories.EnterpriseFactory()
    owner = member(enterprise)
    staff = factories.MembershipFactory(enterprise=enterprise, role="staff")
    draft = factories.submittable_request(enterprise=enterprise)
    item = draft.items.get()
    vehicle, driver = item.vehicle, item.drivers.get()
    request_doc = attach_document(
        enterprise=enterprise,
        uploaded_file=pdf(),
        kind="vehicle_licence",
        by=owner,
        request=draft,
        item=item,
    )
    standing = attach_document(
        enterprise=enterprise, uploaded_file=jpeg(), kind="driving_licence", by=owner, driver=driver
    )
    vehicle_doc = attach_document(
        enterprise=enterprise,
        uploaded_file=pdf("v.pdf"),
        kind="vehicle_licence",
        by=owner,
        vehicle=vehicle,
    )
    job = ImportJob.objects.create(enterprise=enterprise, kind="vehicles", original_name="a.csv")
    return {
        "enterprise": enterprise,
        "staff": staff,
        "request": draft,
        "vehicle": vehicle,
        "driver": driver,
        "request_doc": request_doc,
        "standing": standing,
        "vehicle_doc": vehicle_doc,
        "job": job,
    }


def _urls(v):
    r, vehicle, driver = v["request"].pk, v["vehicle"].pk, v["driver"].pk
    urls = [
        reverse("passes:vehicle-detail", args=[vehicle]),
        reverse("passes:vehicle-edit", args=[vehicle]),
        reverse("passes:vehicle-delete", args=[vehicle]),
        reverse("passes:vehicle-document-remove", args=[vehicle, v["vehicle_doc"].pk]),
        reverse("passes:driver-detail", args=[driver]),
        reverse("passes:driver-edit", args=[driver]),
        reverse("passes:driver-delete", args=[driver]),
        reverse("passes:driver-document-remove", args=[driver, v["standing"].pk]),
        reverse("passes:import-detail", args=[v["job"].pk]),
        reverse("passes:import-status", args=[v["job"].pk]),
        reverse("passes:request-detail", args=[r]),
        reverse("passes:request-resume", args=[r]),
        reverse("passes:request-withdraw", args=[r]),
        reverse("passes:request-upload", args=[r]),
        reverse("passes:request-document-remove", args=[r, v["request_doc"].pk]),
        reverse("passes:staff-remove", args=[v["staff"].pk]),
    ]
    urls += [
        reverse("passes:request-step", args=[r, step])
        for step in ("type", "details", "vehicles", "documents", "review")
    ]
    return urls


def _snapshot(v):
    return (
        PassRequest.objects.get(pk=v["request"].pk).status,
        Vehicle.objects.filter(pk=v["vehicle"].pk).values_list("plate", "vehicle_type").first(),
        Driver.objects.filter(pk=v["driver"].pk).values_list("name", "phone").first(),
        sorted(Document.objects.values_list("pk", flat=True)),
        Membership.objects.filter(pk=v["staff"].pk).exists(),
        list(v["request"].items.values_list("vehicle_id", flat=True)),
    )


def test_every_portal_url_is_404_for_another_enterprise(victim):
    intruder = client_for(member(factories.EnterpriseFactory()))
    before = _snapshot(victim)
    payloads = {
        "plate": "湘B99999",
        "vehicle_type": "van",
        "name": "x",
        "phone": "13900000000",
        "id_number": factories.make_id_number(99),
        "pass_type": victim["request"].pass_type_id,
        "action": f"remove:{victim['vehicle'].pk}",
        "kind": "other",
        "target": "request",
        "file": jpeg("intruder.jpg"),
    }
    for url in _urls(victim):
        assert intruder.get(url).status_code in (404, 405), url
        payloads["file"] = jpeg("intruder.jpg")
        assert intruder.post(url, payloads).status_code == 404, url
    assert _snapshot(victim) == before


def test_lists_show_only_own_objects(victim):
    intruder = client_for(member(factories.EnterpriseFactory()))
    for name in ("vehicle-list", "driver-list", "request-list", "import-new", "home"):
        html = intruder.get(reverse(f"passes:{name}")).content.decode()
        assert victim["vehicle"].plate not in html, name
        assert victim["driver"].name not in html, name
        assert victim["request"].reference not in html, name


def test_non_members_get_404_and_anonymous_are_sent_to_login(victim, reviewer):
    staff_client = client_for(reviewer)
    assert staff_client.get(reverse("passes:vehicle-list")).status_code == 404
    assert (
        staff_client.get(reverse("passes:request-detail", args=[victim["request"].pk])).status_code
        == 404
    )
    from django.test import Client

    response = Client().get(reverse("passes:request-detail", args=[victim["request"].pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_forms_carry_csrf_tokens(victim):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(victim["enterprise"].memberships.filter(role="owner").first().user)
    response = client.post(reverse("passes:vehicle-create"), {"plate": "湘B11111"})
    assert response.status_code == 403
    assert not Vehicle.objects.filter(plate="湘B11111").exists()
    page = client.get(reverse("passes:vehicle-create")).content.decode()
    assert "csrfmiddlewaretoken" in page
