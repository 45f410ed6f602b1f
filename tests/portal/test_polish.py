"""Small things people read (issue 29, point 16): a driver's 姓名, an unknown vehicle type
answered with the types that are accepted, one banner after sign-up."""

import pytest
from django.urls import reverse
from django.utils import translation

from passes.enterprises.fleet_import import check_vehicle
from tests.portal_helpers import client_for, fresh_cache

__all__ = ["fresh_cache"]  # a fixture

pytestmark = pytest.mark.django_db


def test_an_unknown_vehicle_type_is_answered_with_the_accepted_ones():
    with translation.override("zh-hans"):
        _vehicle, _plate, message = check_vehicle({"plate": "湘B12345", "vehicle_type": "拖拉机"})
    assert "拖拉机" in message
    assert "重型货车" in message and "牵引车" in message, message


def test_the_driver_form_asks_for_a_person_s_name(applicant):
    page = client_for(applicant).get(
        reverse("passes:driver-create"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = page.content.decode()
    label = html[html.index('for="id_name"') :]
    label = label[: label.index("</label>")]
    assert "姓名" in label and "名称" not in label


@pytest.mark.usefixtures("fresh_cache")
def test_after_sign_up_the_wait_for_verification_is_said_once():
    from django.test import Client

    from tests.portal_helpers import jpeg, signup_data

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(
        reverse("passes:signup"), {**signup_data(), "licence": jpeg()}, follow=True
    ).content.decode()
    assert "Welcome! Your enterprise is registered." in page
    assert page.count("waiting for verification") == 1  # the banner
    welcome = page[page.index('<ul class="messages"') :]
    welcome = welcome[: welcome.index("</ul>")]
    assert "verification" not in welcome and "drafts" not in welcome, welcome
