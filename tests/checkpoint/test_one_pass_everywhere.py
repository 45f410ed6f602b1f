"""One pass reads the same on paper, on the public page and at the checkpoint (issue 29,
point 17): the plate's colour, the end of the window, and a revocation's date."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from passes.checkpoint import services
from passes.checkpoint.summary import pass_summary
from passes.issuing.rendering import sheet_for
from passes.models import Vehicle
from passes.models.enterprises import plate_colour
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests.factories.checkpoint import make_pass

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "plate, vehicle_type, colour",
    [
        ("湘B12345", Vehicle.VehicleType.HEAVY_TRUCK, "yellow"),
        ("湘B12345", Vehicle.VehicleType.VAN, "blue"),
        ("湘BD21836", Vehicle.VehicleType.HEAVY_TRUCK, "yellow-green"),
        ("湘BD21836", Vehicle.VehicleType.VAN, "green"),
        ("湘B1234挂", Vehicle.VehicleType.OTHER, "yellow"),
    ],
)
def test_the_printed_pass_and_the_inspector_show_one_plate_colour(plate, vehicle_type, colour):
    issued = make_pass(plate=plate)
    Vehicle.objects.filter(pk=issued.vehicle_id).update(vehicle_type=vehicle_type)
    issued.refresh_from_db()
    assert plate_colour(issued.plate, vehicle_type) == colour
    printed = sheet_for(issued, signing_keys.current_signer()).plate_colour
    scanned = services.evaluate(at=timezone.now(), number=issued.number, plate=issued.plate)
    assert printed == pass_summary(scanned.pass_obj)["plate_colour"] == colour


def test_public_page_gives_a_revocation_its_date_and_a_midnight_end_as_24_00(officer):
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    issued = make_pass(valid_from=midnight, valid_until=midnight + datetime.timedelta(days=7))
    last_day = (midnight + datetime.timedelta(days=6)).strftime("%Y-%m-%d")
    url = signing.verification_url(signing_keys.sign_pass(issued))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert f"{last_day} 24:00" in client.get(url).content.decode()

    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    issued.refresh_from_db()
    page = client.get(url).content.decode()
    revoked = timezone.localtime(issued.revoked_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert "吊销时间" in page and f'<dd id="revoked-at">{revoked}</dd>' in page
