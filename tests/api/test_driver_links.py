"""``/api/v1/passes/<number>/driver-links/``: the enterprise lists, resends, hands over and
withdraws its drivers' e-pass links; staff and other enterprises cannot; limits answer 429."""

import pytest

from passes.epass import links
from passes.models import AuditEvent, DriverLink, Notification
from tests import factories
from tests.api_support import assert_error, client_for
from tests.factories.checkpoint import make_pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(enterprise):
    pass_obj = make_pass(enterprise=enterprise, driver_names=("李小明", "王大力"))
    links.pass_issued([pass_obj])
    return pass_obj


def base(pass_obj):
    return f"/api/v1/passes/{pass_obj.number}/driver-links/"


def test_list_send_handover_withdraw(applicant, issued):
    api = client_for(applicant)
    listed = api.get(base(issued)).json()["links"]
    assert {row["name"] for row in listed} == {"李小明", "王大力"}
    assert {row["link_state"] for row in listed} == {"active"}
    assert all("token" not in key for row in listed for key in row)

    driver = issued.drivers.get(name="李小明")
    sent = api.post(base(issued) + "send/", {"drivers": [driver.pk]}, format="json")
    assert sent.status_code == 200
    row = next(r for r in sent.json()["links"] if r["driver"] == driver.pk)
    assert row["send_count"] == 2
    assert Notification.objects.filter(event=links.EVENT_LINK, address=driver.phone).count() == 2

    handed = api.post(base(issued) + "handover/", {"driver": driver.pk}, format="json")
    assert handed.status_code == 201
    token = handed.json()["link"].rsplit("/", 1)[1]
    assert links.resolve(token).driver == driver

    withdrawn = api.post(base(issued) + "withdraw/", {}, format="json")
    assert {row["link_state"] for row in withdrawn.json()["links"]} == {"withdrawn"}
    assert links.resolve(token).state() == "withdrawn"
    actions = set(AuditEvent.objects.filter(pass_obj=issued).values_list("action", flat=True))
    assert {"epass.send", "epass.handover", "epass.withdraw"} <= actions


def test_a_driver_not_on_the_pass_is_refused(applicant, issued, enterprise):
    stranger = factories.DriverFactory(enterprise=enterprise)
    response = client_for(applicant).post(
        base(issued) + "send/", {"drivers": [stranger.pk]}, format="json"
    )
    assert_error(response, 409, "invalid_drivers")


def test_too_many_sends_answer_429(applicant, issued, settings):
    settings.PASSDESK_EPASS_SENDS_PER_HOUR = 1
    api = client_for(applicant)
    driver = issued.drivers.first()
    assert (
        api.post(base(issued) + "send/", {"drivers": [driver.pk]}, format="json").status_code == 200
    )
    again = api.post(base(issued) + "send/", {"drivers": [driver.pk]}, format="json")
    assert_error(again, 429, "too_many_sends")


def test_other_enterprise_404_and_staff_403(issued, officer):
    other = factories.MembershipFactory(enterprise=factories.EnterpriseFactory()).user
    assert_error(client_for(other).get(base(issued)), 404)
    response = client_for(other).post(base(issued) + "withdraw/", {}, format="json")
    assert_error(response, 404)
    assert_error(client_for(officer).get(base(issued)), 403)
    assert not DriverLink.objects.filter(pass_obj=issued, withdrawn_at__isnull=False).exists()
