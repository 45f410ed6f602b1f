"""Defects found by walking every role (issue 14, points 13-19): each test shows a person would
now see the right thing."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from passes.signing import keys as signing_keys
from tests import factories
from tests.factories.issuing import issued_passes
from tests.factories.review import queued_request
from tests.portal_helpers import PASSWORD

pytestmark = pytest.mark.django_db


def zh_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if user is not None:
        client.force_login(user)
    return client


def test_dashboard_speaks_hours_days_and_has(officer, reviewer):
    factories.EnterpriseFactory(is_key_enterprise=True)
    queued_request(hours_waiting=30)
    reviewer.first_name, reviewer.last_name = "李", "审核"
    reviewer.save()
    from passes.requests import workflow

    pass_request = queued_request()
    workflow.claim(pass_request, by=reviewer)
    workflow.reject(pass_request, by=reviewer, reason="不符")
    html = zh_client(officer).get(reverse("passes_admin_dashboard")).content.decode()
    assert "1–3 天" in html and "&lt; 4 小时" in html
    assert " d<" not in html and "4 h<" not in html
    assert "1 家中有 0 家" in html
    assert "李 审核" in html  # the reviewer's name, not the username "reviewer"


def test_wizard_marks_the_test_time_and_names_the_vehicle_choice(applicant, enterprise):
    pass_request = factories.submittable_request(enterprise=enterprise)
    factories.VehicleFactory(enterprise=enterprise)  # one more to choose in step 3
    client = zh_client(applicant)
    documents = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "documents"])
    ).content.decode()
    tested = re.search(r'<label for="id_tested_at">(.*?)</label>', documents, re.S).group(1)
    assert "required-mark" in tested
    assert 'data-required-when="id_kind=nucleic_acid_test"' in documents
    vehicles = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "vehicles"])
    ).content.decode()
    assert "请选择车辆" in vehicles and "---------" not in vehicles


def test_webhooks_page_links_to_its_documentation(applicant):
    client = zh_client(applicant)
    html = client.get(reverse("passes:webhook-list")).content.decode()
    docs = reverse("passes:webhook-docs")
    assert f'href="{docs}"' in html
    assert 'type="url"' in html
    page = client.get(docs).content.decode()
    assert "X-Passdesk-Signature" in page and "hmac.compare_digest" in page


def test_inspector_lands_on_the_checkpoint_page(inspector):
    inspector.set_password(PASSWORD)
    inspector.save()
    response = Client().post(
        reverse("login"), {"username": inspector.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("passes:checkpoint")


def test_applicant_still_lands_on_the_home_page(applicant):
    applicant.set_password(PASSWORD)
    applicant.save()
    response = Client().post(
        reverse("login"), {"username": applicant.username, "password": PASSWORD}
    )
    assert response["Location"] == "/"


def test_login_label_names_user_names_too():
    html = zh_client().get(reverse("login")).content.decode()
    assert "手机号码、电子邮箱或用户名" in html


def test_admin_gets_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".ico")


def _luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_key_enterprise_badge_has_enough_contrast():
    from django.contrib.staticfiles import finders

    with open(finders.find("passes_admin/review.css"), encoding="utf-8") as handle:
        css = handle.read()
    light = re.search(r"--pd-key: (#[0-9a-fA-F]{6})", css).group(1)  # the first: light theme
    ratio = (1.0 + 0.05) / (_luminance(light) + 0.05)  # on the white card
    assert ratio >= 4.5, (light, ratio)


def test_verify_page_shows_a_live_beijing_clock_and_the_check_time(reviewer):
    (issued,) = issued_passes(factories.submittable_request(), reviewer=reviewer)
    token = signing_keys.sign_pass(issued)
    before = timezone.localtime()
    html = zh_client().get(reverse("passes:verify-token", args=[token])).content.decode()
    assert "data-live-clock" in html and "clock.js" in html
    shown = re.search(r'id="checked-at" datetime="([^"]+)"', html).group(1)
    checked = datetime.datetime.fromisoformat(shown)
    assert abs((checked - before).total_seconds()) < 60
    assert checked.utcoffset() == datetime.timedelta(hours=8)  # Beijing time
