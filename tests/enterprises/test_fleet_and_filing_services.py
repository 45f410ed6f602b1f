"""``enterprises.fleet`` and ``requests.filing`` called directly, as the portal calls them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from passes.documents import attach_document
from passes.enterprises import fleet
from passes.models import AuditEvent, Document, PassRequest, Vehicle
from passes.requests import filing, workflow
from passes.requests.workflow import WorkflowError
from tests import factories, fixtures_files


def _window(days=3):
    start = timezone.now() + datetime.timedelta(hours=1)
    return start, start + datetime.timedelta(days=days)


@pytest.fixture
def pass_type(db):
    return factories.PassTypeFactory(max_validity_days=10)


def _draft(applicant, enterprise, pass_type, vehicles=1, drivers=1, **extra):
    vehicle_list = [factories.VehicleFactory(enterprise=enterprise) for _ in range(vehicles)]
    driver_list = [factories.DriverFactory(enterprise=enterprise) for _ in range(drivers)]
    valid_from, valid_until = _window()
    data = {
        "pass_type": pass_type,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "items": [{"vehicle": v, "drivers": driver_list} for v in vehicle_list],
        **extra,
    }
    return filing.create_draft(by=applicant, data=data), vehicle_list, driver_list


# --- fleet -------------------------------------------------------------------------------------


def test_create_vehicle_normalises_and_refuses_duplicates(applicant, enterprise):
    vehicle = fleet.create_vehicle(
        enterprise=enterprise, by=applicant, data={"plate": " 湘b-12345 "}
    )
    assert vehicle.plate == "湘B12345"
    with pytest.raises(ValidationError) as caught:
        fleet.create_vehicle(enterprise=enterprise, by=applicant, data={"plate": "湘B·12345"})
    assert "plate" in caught.value.message_dict
    # Another enterprise may have the same plate (a vehicle can change hands).
    other = factories.EnterpriseFactory()
    other_user = factories.MembershipFactory(enterprise=other).user
    assert fleet.create_vehicle(enterprise=other, by=other_user, data={"plate": "湘B12345"})


def test_only_members_change_a_fleet(applicant):
    other = factories.EnterpriseFactory()
    with pytest.raises(WorkflowError) as caught:
        fleet.create_vehicle(enterprise=other, by=applicant, data={"plate": "湘B12345"})
    assert caught.value.code == "not_allowed"
    vehicle = factories.VehicleFactory(enterprise=other)
    with pytest.raises(WorkflowError):
        fleet.delete_vehicle(vehicle, by=applicant)
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_vehicle_on_a_valid_pass_cannot_go_and_after_it_is_kept_for_the_record(
    applicant, enterprise, pass_type, reviewer
):
    pass_request, vehicles, _drivers = _draft(applicant, enterprise, pass_type)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    (issued,) = workflow.approve(pass_request, by=reviewer)

    with pytest.raises(WorkflowError) as caught:
        fleet.delete_vehicle(vehicles[0], by=applicant)
    assert caught.value.code == "vehicle_in_use"
    assert issued.number in caught.value.message

    issued.valid_until = timezone.now() - datetime.timedelta(minutes=1)
    issued.save()
    with pytest.raises(WorkflowError) as caught:
        fleet.delete_vehicle(vehicles[0], by=applicant)
    assert caught.value.code == "vehicle_has_history"
    assert Vehicle.objects.filter(pk=vehicles[0].pk).exists()


def test_deleting_a_driver_takes_their_standing_documents_and_files(
    applicant, enterprise, django_capture_on_commit_callbacks
):
    driver = fleet.create_driver(
        enterprise=enterprise,
        by=applicant,
        data={"name": "李师傅", "id_number": factories.make_id_number(3), "phone": "13912345678"},
    )
    licence = attach_document(
        enterprise=enterprise,
        uploaded_file=fixtures_files.upload("licence.jpg", fixtures_files.jpeg_bytes()),
        kind="driving_licence",
        by=applicant,
        driver=driver,
    )
    storage, name = licence.file.storage, licence.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        fleet.delete_driver(driver, by=applicant)
    assert not Document.objects.filter(pk=licence.pk).exists()
    assert not storage.exists(name)
    event = AuditEvent.objects.get(action="driver.delete")
    assert event.data["name"] == "李师傅"


def test_taking_a_driver_off_a_draft_takes_their_filed_documents(applicant, enterprise, pass_type):
    pass_request, _vehicles, drivers = _draft(applicant, enterprise, pass_type)
    attach_document(
        enterprise=enterprise,
        uploaded_file=fixtures_files.upload("licence.jpg", fixtures_files.jpeg_bytes()),
        kind="driving_licence",
        by=applicant,
        request=pass_request,
        driver=drivers[0],
    )
    with pytest.raises(WorkflowError) as caught:
        fleet.delete_driver(drivers[0], by=applicant)
    assert caught.value.code == "driver_on_request"
    filing.update_request(pass_request, by=applicant, data={"items": []})
    # Taking the driver off the request took the document filed for them with it...
    assert not Document.objects.filter(request=pass_request).exists()
    # ...so the driver can now go.
    fleet.delete_driver(drivers[0], by=applicant)


def test_driver_update_masks_the_id_number_in_the_audit(applicant, enterprise):
    driver = factories.DriverFactory(enterprise=enterprise)
    new_id = factories.make_id_number(42)
    fleet.update_driver(driver, by=applicant, data={"id_number": new_id, "unknown": "ignored"})
    driver.refresh_from_db()
    assert driver.id_number == new_id
    event = AuditEvent.objects.get(action="driver.update")
    assert new_id not in str(event.data)
    assert event.data["changes"]["id_number"][1].endswith(new_id[-4:])


def test_a_vehicle_and_a_driver_on_a_valid_pass_keep_their_identity(
    applicant, enterprise, pass_type, reviewer
):
    """Both kinds change through one path: what identifies them is refused while a valid pass
    carries them, other details change and are audited, and a clash names the field."""
    pass_request, vehicles, drivers = _draft(applicant, enterprise, pass_type)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    (issued,) = workflow.approve(pass_request, by=reviewer)
    vehicle, driver = vehicles[0], drivers[0]
    plate, name = vehicle.plate, driver.name

    with pytest.raises(WorkflowError) as caught:
        fleet.update_vehicle(vehicle, by=applicant, data={"plate": "湘B99999"})
    assert caught.value.code == "vehicle_in_use" and issued.number in caught.value.message
    assert plate in caught.value.message
    with pytest.raises(WorkflowError) as caught:
        fleet.update_driver(driver, by=applicant, data={"name": "张三丰"})
    assert caught.value.code == "driver_in_use" and name in caught.value.message

    fleet.update_driver(driver, by=applicant, data={"phone": "13700001111"})
    assert AuditEvent.objects.get(action="driver.update").data["changes"]["phone"][1]
    other = factories.VehicleFactory(enterprise=enterprise)
    with pytest.raises(ValidationError) as clash:
        fleet.update_vehicle(other, by=applicant, data={"plate": plate})
    assert "plate" in clash.value.message_dict
    other.refresh_from_db()
    assert other.plate != plate


# --- filing ------------------------------------------------------------------------------------


def test_create_draft_accepts_objects_ids_and_codes(applicant, enterprise, pass_type):
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    driver = factories.DriverFactory(enterprise=enterprise)
    checkpoint = factories.CheckpointFactory()
    pass_request = filing.create_draft(
        by=applicant,
        data={
            "pass_type": pass_type.code,
            "checkpoints": [str(checkpoint.pk)],
            "items": [{"vehicle": str(vehicle.pk), "drivers": [driver.pk, driver.pk]}],
        },
    )
    assert pass_request.pass_type == pass_type
    assert pass_request.status == PassRequest.Status.DRAFT
    assert list(pass_request.checkpoints.all()) == [checkpoint]
    (item,) = pass_request.items.all()
    assert list(item.drivers.all()) == [driver]  # duplicates folded


def test_create_draft_refusals(applicant, enterprise, pass_type, reviewer):
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    inactive = factories.CheckpointFactory(is_active=False)
    old_type = factories.PassTypeFactory(is_active=False)
    past = timezone.now() - datetime.timedelta(days=3)

    cases = [
        ({"pass_type": old_type.pk}, "pass_type"),
        ({"pass_type": pass_type.pk, "checkpoints": [inactive.pk]}, "checkpoints"),
        ({"pass_type": pass_type.pk, "cargo_category": "gold"}, "cargo_category"),
        ({"pass_type": pass_type.pk, "origin": "x" * 201}, "origin"),
        (
            {
                "pass_type": pass_type.pk,
                "valid_from": past,
                "valid_until": past + datetime.timedelta(days=1),
            },
            "valid_until",
        ),
        ({"pass_type": pass_type.pk, "items": [{"vehicle": vehicle.pk}] * 2}, "items.1.vehicle"),
        ({"pass_type": pass_type.pk, "items": "many"}, "items"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as caught:
            filing.create_draft(by=applicant, data=data)
        assert field in caught.value.message_dict, (data, caught.value.message_dict)
    assert not PassRequest.objects.exists()

    with pytest.raises(WorkflowError) as caught:
        filing.create_draft(by=reviewer, data={"pass_type": pass_type.pk})
    assert caught.value.code == "not_a_member"


def test_update_checks_membership_and_state(applicant, enterprise, pass_type):
    pass_request, _vehicles, _drivers = _draft(applicant, enterprise, pass_type)
    stranger = factories.MembershipFactory().user
    with pytest.raises(WorkflowError) as caught:
        filing.update_request(pass_request, by=stranger, data={"origin": "x"})
    assert caught.value.code == "not_allowed"

    workflow.submit(pass_request, by=applicant)
    with pytest.raises(WorkflowError) as caught:
        filing.update_request(pass_request, by=applicant, data={"origin": "x"})
    assert caught.value.code == "not_editable"


def test_partial_update_keeps_the_rest_and_checks_the_window_with_the_stored_type(
    applicant, enterprise, pass_type
):
    pass_request, vehicles, _drivers = _draft(applicant, enterprise, pass_type)
    with pytest.raises(ValidationError) as caught:
        filing.update_request(
            pass_request,
            by=applicant,
            data={"valid_until": pass_request.valid_from + datetime.timedelta(days=11)},
        )
    assert "valid_until" in caught.value.message_dict
    updated = filing.update_request(pass_request, by=applicant, data={"destination": "岳阳"})
    assert updated.destination == "岳阳"
    assert [item.vehicle for item in updated.items.all()] == vehicles
    # Nothing changed: nothing audited.
    filing.update_request(pass_request, by=applicant, data={"destination": "岳阳"})
    assert AuditEvent.objects.filter(action="request.update").count() == 1
