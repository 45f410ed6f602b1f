"""Cross-cutting portal behaviour: language switch, dashboard reminders, the inspector's link,
brute-force limits on sign-up, login and uploads."""

import datetime

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from passes.requests import workflow
from tests import factories
from tests.portal_helpers import client_for, fresh_cache, jpeg, member, signup_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
__all__ = ["fresh_cache"]


def test_chinese_by_default_and_language_switch():
    client = Client()
    page = client.get(reverse("passes:home"))
    assert page.context["LANGUAGE_CODE"] == "zh-hans"
    assert 'lang="zh-Hans"' in page.content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/vehicles/"})
    assert response.status_code == 302 and response["Location"] == "/vehicles/"
    assert client.get(reverse("passes:home")).context["LANGUAGE_CODE"] == "en"


def test_dashboard_lists_passes_about_to_expire(enterprise, reviewer):
    user = member(enterprise)
    soon = factories.submittable_request(enterprise=enterprise)
    workflow.submit(soon, by=user)
    workflow.claim(soon, by=reviewer)
    now = timezone.now()
    (issued,) = workflow.approve(
        soon, by=reviewer, valid_from=now, valid_until=now + datetime.timedelta(days=1)
    )
    later = factories.submittable_request(enterprise=enterprise)
    workflow.submit(later, by=user)
    workflow.claim(later, by=reviewer)
    (far,) = workflow.approve(
        later, by=reviewer, valid_from=now, valid_until=now + datetime.timedelta(days=20)
    )
    draft = factories.PassRequestFactory(enterprise=enterprise)
    page = client_for(user).get(reverse("passes:home"))
    assert list(page.context["expiring"]) == [issued]
    html = page.content.decode()
    assert issued.number in html and far.number not in html
    assert reverse("passes:request-resume", args=[draft.pk]) in html
    counts = {row["status"]: row["count"] for row in page.context["by_status"]}
    assert counts["approved"] == 2 and counts["draft"] == 1


def test_inspectors_get_the_checkpoint_link(inspector):
    html = client_for(inspector).get(reverse("passes:home")).content.decode()
    try:
        assert reverse("passes:checkpoint") in html
    except NoReverseMatch:
        assert "not available yet" in html


def test_sign_up_attempts_are_limited_per_address(settings):
    settings.PASSDESK_PORTAL_RATE_LIMITS = {"signup": (3, 3600), "upload": (600, 600)}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        response = client.post(reverse("passes:signup"), {**signup_data(credit_code="bad")})
        assert response.status_code == 200
    response = client.post(reverse("passes:signup"), {**signup_data(), "licence": jpeg()})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_uploads_are_limited_per_user(settings, enterprise):
    settings.PASSDESK_PORTAL_RATE_LIMITS = {"signup": (20, 3600), "upload": (2, 600)}
    draft = factories.submittable_request(enterprise=enterprise)
    client = client_for(member(enterprise))
    url = reverse("passes:request-upload", args=[draft.pk])
    codes = [
        client.post(
            url,
            {"kind": "other", "target": "request", "file": jpeg(f"{n}.jpg")},
            HTTP_ACCEPT="application/json",
        ).status_code
        for n in range(3)
    ]
    assert codes[2] == 429


def test_failed_logins_lock_out_with_a_page(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    factories.UserFactory(username="13900001111")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        client.post(reverse("login"), {"username": "13900001111", "password": "wrong-one"})
    response = client.post(
        reverse("login"), {"username": "13900001111", "password": "pw-for-tests-123"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "<html" in response.content.decode()  # the portal's page, not a bare text
