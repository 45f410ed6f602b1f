"""Sign-up, login, the pending banner and staff management, through the test client."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from passes.models import AuditEvent, Document, DocumentKind, Enterprise, Membership
from passes.requests import workflow
from tests import factories, fixtures_files
from tests.portal_helpers import (
    client_for,
    fresh_cache,
    jpeg,
    member,
    signup_data,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
__all__ = ["fresh_cache"]


def _anonymous():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_sign_up_creates_pending_enterprise_owner_and_licence():
    client = _anonymous()
    response = client.post(reverse("passes:signup"), {**signup_data(), "licence": jpeg()})
    assert response.status_code == 302, response.content.decode()[:2000]

    enterprise = Enterprise.objects.get(name="株洲顺达物流有限公司")
    assert enterprise.verification_status == Enterprise.Verification.PENDING
    assert enterprise.contact_phone == "13912340000"
    membership = Membership.objects.get(enterprise=enterprise)
    assert membership.role == Membership.Role.OWNER
    assert membership.user.username == "13912340000"
    licence = Document.objects.get(enterprise=enterprise)
    assert licence.kind == DocumentKind.BUSINESS_LICENCE
    assert licence.request_id is None and licence.vehicle_id is None
    assert AuditEvent.objects.filter(action="enterprise.register", enterprise=enterprise).exists()

    page = client.get(reverse("passes:home"))
    assert "waiting for verification" in page.content.decode()


def test_sign_up_with_email_then_log_in_with_it():
    data = signup_data(login="Boss@Example.com")
    response = _anonymous().post(reverse("passes:signup"), {**data, "licence": jpeg()})
    assert response.status_code == 302
    client = _anonymous()
    response = client.post(
        reverse("login"), {"username": "boss@example.com", "password": data["password1"]}
    )
    assert response.status_code == 302
    assert client.get(reverse("passes:home")).context["enterprise"].name == data["enterprise_name"]


def test_refused_scan_keeps_values_and_saves_nothing():
    data = signup_data()
    broken = fixtures_files.upload("licence.pdf", fixtures_files.broken_pdf_bytes())
    response = _anonymous().post(reverse("passes:signup"), {**data, "licence": broken})

    assert response.status_code == 200
    form = response.context["form"]
    assert "licence" in form.errors
    html = response.content.decode()
    assert 'href="#id_licence"' in html  # the error summary links to the field
    assert data["enterprise_name"] in html and data["credit_code"] in html
    assert not Enterprise.objects.exists()
    assert not get_user_model().objects.filter(username="13912340000").exists()
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_code", "91430200ABCDEFGH12"),
        ("login", "12345"),
        ("contact_phone", "1234"),
        ("password2", "something-else-99"),
    ],
)
def test_sign_up_errors_name_the_field(field, value):
    response = _anonymous().post(
        reverse("passes:signup"), {**signup_data(**{field: value}), "licence": jpeg()}
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Enterprise.objects.exists()


def test_sign_up_refuses_a_registered_credit_code_or_login():
    existing = factories.EnterpriseFactory()
    response = _anonymous().post(
        reverse("passes:signup"),
        {**signup_data(credit_code=existing.credit_code), "licence": jpeg()},
    )
    assert "credit_code" in response.context["form"].errors
    factories.UserFactory(username="13912340000")
    response = _anonymous().post(reverse("passes:signup"), {**signup_data(), "licence": jpeg()})
    assert "login" in response.context["form"].errors


def test_pending_enterprise_cannot_submit_and_is_told_why():
    enterprise = factories.EnterpriseFactory(verification_status=Enterprise.Verification.PENDING)
    user = member(enterprise)
    draft = factories.submittable_request(enterprise=enterprise)
    client = client_for(user)

    review = client.get(reverse("passes:request-step", args=[draft.pk, "review"]))
    assert "has not been verified" in review.content.decode()
    response = client.post(reverse("passes:request-step", args=[draft.pk, "review"]), follow=True)
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert "not been verified by the traffic office" in response.content.decode()


def test_verified_enterprise_sees_no_banner(enterprise):
    user = member(enterprise)
    html = client_for(user).get(reverse("passes:home")).content.decode()
    assert "waiting for verification" not in html


def test_owner_adds_and_removes_staff(enterprise):
    owner = member(enterprise)
    client = client_for(owner)
    response = client.post(
        reverse("passes:staff-add"),
        {
            "full_name": "小李",
            "login": "13800001111",
            "password1": "Another-long-pw-77",
            "password2": "Another-long-pw-77",
        },
    )
    assert response.status_code == 302
    staff = Membership.objects.get(user__username="13800001111")
    assert staff.enterprise == enterprise and staff.role == Membership.Role.STAFF

    staff_client = _anonymous()
    assert staff_client.login(username="13800001111", password="Another-long-pw-77")
    assert staff_client.get(reverse("passes:vehicle-list")).status_code == 200

    response = client.post(reverse("passes:staff-remove", args=[staff.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=staff.pk).exists()
    assert not get_user_model().objects.get(username="13800001111").is_active


def test_staff_cannot_manage_staff(enterprise):
    member(enterprise)
    staff = member(enterprise, role="staff")
    other_staff = factories.MembershipFactory(enterprise=enterprise, role="staff")
    client = client_for(staff)
    assert client.get(reverse("passes:staff-add")).status_code == 404
    assert client.post(reverse("passes:staff-remove", args=[other_staff.pk])).status_code == 404
    assert Membership.objects.filter(pk=other_staff.pk).exists()
    html = client.get(reverse("passes:enterprise")).content.decode()
    assert "Add a staff account" not in html


def test_owner_cannot_remove_an_owner(enterprise):
    owner = member(enterprise)
    co_owner = factories.MembershipFactory(enterprise=enterprise, role="owner")
    response = client_for(owner).post(
        reverse("passes:staff-remove", args=[co_owner.pk]), follow=True
    )
    assert "Owners cannot be removed" in response.content.decode()
    assert Membership.objects.filter(pk=co_owner.pk).exists()


def test_landing_page_for_each_kind_of_visitor(enterprise, reviewer, inspector):
    anonymous = _anonymous().get(reverse("passes:home")).content.decode()
    assert reverse("passes:signup") in anonymous and reverse("login") in anonymous
    staff_page = client_for(reviewer).get(reverse("passes:home")).content.decode()
    assert reverse("admin:index") in staff_page
    factories.PassRequestFactory(enterprise=enterprise, status="returned")
    dashboard = client_for(member(enterprise)).get(reverse("passes:home"))
    assert dashboard.context["returned"].count() == 1
    assert "Returned for changes" in dashboard.content.decode()


def test_officer_verification_lifts_the_banner(officer):
    enterprise = factories.EnterpriseFactory(verification_status=Enterprise.Verification.PENDING)
    client = client_for(member(enterprise))
    assert "waiting for verification" in client.get(reverse("passes:home")).content.decode()
    workflow.set_enterprise_verification(
        enterprise, status=Enterprise.Verification.VERIFIED, by=officer
    )
    assert "waiting for verification" not in client.get(reverse("passes:home")).content.decode()
