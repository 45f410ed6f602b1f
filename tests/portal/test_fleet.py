"""Vehicles and drivers through the portal: lists, forms, standing documents, deletion."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from passes.models import AuditEvent, Document, DocumentKind, Driver, Vehicle
from tests import factories
from tests.portal_helpers import client_for, jpeg, member, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(enterprise):
    return client_for(member(enterprise))


def test_add_vehicle_normalises_the_plate(client, enterprise):
    response = client.post(
        reverse("passes:vehicle-create"),
        {"plate": "湘b·12345", "vehicle_type": "heavy_truck", "licence_number": "X1"},
    )
    vehicle = Vehicle.objects.get(enterprise=enterprise)
    assert response.status_code == 302
    assert response["Location"] == reverse("passes:vehicle-detail", args=[vehicle.pk])
    assert vehicle.plate == "湘B12345"
    assert AuditEvent.objects.filter(action="vehicle.create").exists()
    listing = client.get(reverse("passes:vehicle-list")).content.decode()
    assert "湘B12345" in listing


def test_bad_and_duplicate_plates_are_explained(client, enterprise):
    factories.VehicleFactory(enterprise=enterprise, plate="湘B12345")
    response = client.post(
        reverse("passes:vehicle-create"), {"plate": "XX123", "vehicle_type": "heavy_truck"}
    )
    assert "plate" in response.context["form"].errors
    assert 'href="#id_plate"' in response.content.decode()
    response = client.post(
        reverse("passes:vehicle-create"), {"plate": "湘B 12345", "vehicle_type": "van"}
    )
    assert "already has a vehicle" in str(response.context["form"].errors["plate"])
    assert Vehicle.objects.filter(enterprise=enterprise).count() == 1


def test_edit_vehicle(client, enterprise):
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    response = client.post(
        reverse("passes:vehicle-edit", args=[vehicle.pk]),
        {"plate": vehicle.plate, "vehicle_type": "van", "licence_number": "L-9"},
    )
    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.vehicle_type == "van" and vehicle.licence_number == "L-9"


def test_driver_list_masks_id_numbers(client, enterprise):
    driver = factories.DriverFactory(enterprise=enterprise)
    html = client.get(reverse("passes:driver-list")).content.decode()
    assert driver.masked_id_number in html
    assert driver.id_number not in html
    detail = client.get(reverse("passes:driver-detail", args=[driver.pk])).content.decode()
    assert driver.id_number not in detail


def test_add_driver_checks_the_id_check_digit(client, enterprise):
    good = factories.make_id_number(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(
        reverse("passes:driver-create"), {"name": "张三", "id_number": bad, "phone": "13912345678"}
    )
    assert "id_number" in response.context["form"].errors
    response = client.post(
        reverse("passes:driver-create"),
        {"name": "张三", "id_number": good.lower(), "phone": "139 1234 5678"},
    )
    assert response.status_code == 302
    driver = Driver.objects.get(enterprise=enterprise)
    assert driver.id_number == good.upper() and driver.phone == "13912345678"


def test_delete_vehicle_with_confirmation(client, enterprise):
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    confirm = client.get(reverse("passes:vehicle-delete", args=[vehicle.pk]))
    assert confirm.status_code == 200 and Vehicle.objects.filter(pk=vehicle.pk).exists()
    response = client.post(reverse("passes:vehicle-delete", args=[vehicle.pk]))
    assert response.status_code == 302
    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_vehicle_on_a_request_under_review_is_not_deleted(client, enterprise):
    pass_request = factories.submittable_request(enterprise=enterprise, status="submitted")
    vehicle = pass_request.items.get().vehicle
    response = client.post(reverse("passes:vehicle-delete", args=[vehicle.pk]), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_standing_documents_upload_and_refusal(client, enterprise):
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    url = reverse("passes:vehicle-detail", args=[vehicle.pk])
    response = client.post(url, {"kind": DocumentKind.VEHICLE_LICENCE, "file": pdf("行驶证.pdf")})
    assert response.status_code == 302
    doc = Document.objects.get(vehicle=vehicle)
    assert doc.request_id is None and doc.original_name == "行驶证.pdf"

    from tests import fixtures_files

    refused = client.post(
        url,
        {
            "kind": DocumentKind.VEHICLE_LICENCE,
            "file": fixtures_files.upload("evil.pdf", fixtures_files.elf_bytes()),
        },
    )
    assert refused.status_code == 200
    assert "file" in refused.context["form"].errors
    assert Document.objects.filter(vehicle=vehicle).count() == 1

    remove = reverse("passes:vehicle-document-remove", args=[vehicle.pk, doc.pk])
    assert client.post(remove).status_code == 302
    assert not Document.objects.filter(vehicle=vehicle).exists()


def test_driver_test_report_needs_its_test_time(client, enterprise):
    driver = factories.DriverFactory(enterprise=enterprise)
    url = reverse("passes:driver-detail", args=[driver.pk])
    response = client.post(url, {"kind": DocumentKind.NUCLEIC_ACID_TEST, "file": jpeg()})
    assert "tested_at" in response.context["form"].errors
    tested = timezone.localtime() - datetime.timedelta(hours=6)  # Beijing time, this morning
    response = client.post(
        url,
        {
            "kind": DocumentKind.NUCLEIC_ACID_TEST,
            "file": jpeg(),
            "tested_at": tested.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    doc = Document.objects.get(driver=driver)
    assert doc.tested_at is not None
    html = client.get(url).content.decode()
    assert tested.strftime("%Y-%m-%d %H:%M") in html


def test_new_vehicle_from_the_wizard_returns_to_it(client, enterprise):
    draft = factories.PassRequestFactory(enterprise=enterprise)
    step = reverse("passes:request-step", args=[draft.pk, "vehicles"])
    page = client.get(step).content.decode()
    assert reverse("passes:vehicle-create") + "?next=" in page
    response = client.post(
        reverse("passes:vehicle-create") + f"?next={step}",
        {"plate": "湘B22222", "vehicle_type": "van", "next": step},
    )
    assert response["Location"] == step
    response = client.post(
        reverse("passes:vehicle-create"),
        {"plate": "湘B33333", "vehicle_type": "van", "next": "https://elsewhere.example/"},
    )
    assert response["Location"].startswith("/vehicles/")
