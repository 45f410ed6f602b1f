"""我的通行证 › drivers' e-pass: the enterprise sends a new link, shows one as a QR code to hand
over, withdraws links; another enterprise's pass is a 404; every action is audited."""

import re

import pytest

from passes.epass import links
from passes.models import AuditEvent, DriverLink, Notification
from tests import factories
from tests.factories.checkpoint import make_pass
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(enterprise):
    pass_obj = make_pass(enterprise=enterprise, driver_names=("李小明", "王大力"))
    links.pass_issued([pass_obj])
    return pass_obj


def page_url(pass_obj):
    return f"/my-passes/{pass_obj.number}/drivers/"


def test_the_pass_list_leads_to_the_drivers_links(enterprise, issued):
    client = client_for(member(enterprise))
    listing = client.get("/my-passes/").content.decode()
    assert page_url(issued) in listing
    page = client.get(page_url(issued)).content.decode()
    for driver in issued.drivers.all():
        assert driver.name in page and f'data-driver="{driver.pk}" data-link-state="active"' in page


def test_send_a_new_link_by_sms(enterprise, issued):
    client = client_for(member(enterprise))
    driver = issued.drivers.get(name="李小明")
    before = DriverLink.objects.get(pass_obj=issued, driver=driver).token_hash
    response = client.post(page_url(issued), {"action": "send", "drivers": [driver.pk]})
    assert response.status_code == 302
    link = DriverLink.objects.get(pass_obj=issued, driver=driver)
    assert link.token_hash != before and link.send_count == 2
    assert Notification.objects.filter(event=links.EVENT_LINK, address=driver.phone).count() == 2
    assert AuditEvent.objects.filter(action="epass.send", pass_obj=issued).exists()


def test_hand_over_shows_the_link_as_a_qr_code_once(enterprise, issued):
    client = client_for(member(enterprise))
    driver = issued.drivers.get(name="王大力")
    page = client.post(page_url(issued), {"action": "handover", "drivers": [driver.pk]})
    text = page.content.decode()
    url = re.search(r'<code id="handover-url">([^<]+)</code>', text).group(1)
    assert links.resolve(url.rsplit("/", 1)[1]).driver == driver
    assert "<svg" in text and 'class="handover-qr"' in text
    # Not sent, and not shown again.
    assert Notification.objects.filter(event=links.EVENT_LINK, address=driver.phone).count() == 1
    assert url not in client.get(page_url(issued)).content.decode()


def test_withdraw(enterprise, issued):
    client = client_for(member(enterprise))
    ids = list(issued.drivers.values_list("pk", flat=True))
    client.post(page_url(issued), {"action": "withdraw", "drivers": ids})
    assert all(link.state() == "withdrawn" for link in DriverLink.objects.filter(pass_obj=issued))
    page = client.get(page_url(issued)).content.decode()
    assert page.count('data-link-state="withdrawn"') == 2


def test_too_many_sends_are_refused_with_a_message(enterprise, issued, settings):
    settings.PASSDESK_EPASS_SENDS_PER_HOUR = 1
    client = client_for(member(enterprise))
    driver = issued.drivers.first()
    client.post(page_url(issued), {"action": "send", "drivers": [driver.pk]})
    page = client.post(
        page_url(issued), {"action": "send", "drivers": [driver.pk]}, follow=True
    ).content.decode()
    assert "Too many links sent to" in page
    assert DriverLink.objects.get(pass_obj=issued, driver=driver).send_count == 2


def test_another_enterprise_gets_404_and_changes_nothing(issued):
    stranger = client_for(member(factories.EnterpriseFactory()))
    driver = issued.drivers.first()
    assert stranger.get(page_url(issued)).status_code == 404
    response = stranger.post(page_url(issued), {"action": "withdraw", "drivers": [driver.pk]})
    assert response.status_code == 404
    assert DriverLink.objects.get(pass_obj=issued, driver=driver).state() == "active"
