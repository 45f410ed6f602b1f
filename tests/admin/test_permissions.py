"""Each staff group against each admin page and action: least privilege, proved."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from passes.models import Enterprise
from tests import factories
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db

VIEW_PAGES = [
    "admin:passes_reviewqueue_changelist",
    "admin:passes_passrequest_changelist",
    "admin:passes_enterprise_changelist",
    "admin:passes_vehicle_changelist",
    "admin:passes_driver_changelist",
    "admin:passes_document_changelist",
    "admin:passes_pass_changelist",
    "admin:passes_passtype_changelist",
    "admin:passes_checkpoint_changelist",
    "admin:passes_auditevent_changelist",
    "admin:passes_returnreasontemplate_changelist",
]
OFFICER_ONLY_PAGES = [
    "admin:passes_passtype_add",
    "admin:passes_checkpoint_add",
    "admin:passes_returnreasontemplate_add",
    "admin:passes_documentview_changelist",
]


def perms(name):
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_reviewers_hold_no_delete_add_or_change_permission():
    held = perms("Reviewers")
    assert "review_passrequest" in held
    assert not {p for p in held if p.startswith(("delete_", "add_", "change_"))}
    assert not held & {"assign_passrequest", "revoke_pass", "verify_enterprise", "export_data"}


def test_officers_manage_but_delete_nothing():
    held = perms("Officers")
    assert {
        "assign_passrequest",
        "revoke_pass",
        "verify_enterprise",
        "change_enterprise",
        "add_passtype",
        "change_checkpoint",
        "add_returnreasontemplate",
        "view_dashboard",
        "export_data",
    } <= held
    assert not {p for p in held if p.startswith("delete_")}


def test_inspectors_hold_no_admin_permission():
    held = perms("Inspectors")
    assert not {p for p in held if p.startswith(("view_", "add_", "change_", "delete_"))}


@pytest.mark.parametrize("page", VIEW_PAGES)
def test_reviewer_sees_the_working_pages(client, reviewer, page):
    client.force_login(reviewer)
    assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", OFFICER_ONLY_PAGES + ["passes_admin_dashboard"])
def test_reviewer_is_refused_officer_pages(client, reviewer, page):
    client.force_login(reviewer)
    assert client.get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", VIEW_PAGES + OFFICER_ONLY_PAGES + ["passes_admin_dashboard"])
def test_officer_sees_every_page(client, officer, page):
    client.force_login(officer)
    assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", VIEW_PAGES + OFFICER_ONLY_PAGES + ["passes_admin_dashboard"])
def test_inspector_is_kept_out_even_when_made_staff(client, inspector, page):
    client.force_login(inspector)
    response = client.get(reverse(page))
    assert response.status_code == 302 and "/login/" in response["Location"]
    inspector.is_staff = True
    inspector.save()
    client.force_login(inspector)
    assert client.get(reverse(page)).status_code == 403


def test_inspector_made_staff_sees_an_empty_admin_index(client, inspector):
    inspector.is_staff = True
    inspector.save()
    client.force_login(inspector)
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_nobody_in_the_groups_can_delete_a_request(client, reviewer, officer):
    pass_request = queued_request()
    for user in (reviewer, officer):
        client.force_login(user)
        url = reverse("admin:passes_passrequest_delete", args=[pass_request.pk])
        assert client.get(url).status_code == 403
        url = reverse("admin:passes_enterprise_delete", args=[pass_request.enterprise_id])
        assert client.get(url).status_code == 403


def test_reviewer_cannot_edit_enterprises_or_pass_types(client, reviewer):
    enterprise = factories.EnterpriseFactory()
    pass_type = factories.PassTypeFactory()
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:passes_enterprise_change", args=[enterprise.pk]), {"name": "X"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:passes_passtype_change", args=[pass_type.pk]), {"name": "X"}
    )
    assert response.status_code == 403


def test_reviewer_sees_the_verification_page_but_cannot_verify(client, reviewer):
    enterprise = factories.EnterpriseFactory(verification_status="pending")
    url = reverse("admin:passes_enterprise_verify", args=[enterprise.pk])
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200 and 'name="decision"' not in page.content.decode()
    assert client.post(url, {"decision": "verify"}).status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.verification_status == Enterprise.Verification.PENDING


def test_officer_suspends_with_a_reason_and_flags_key_enterprises(client, officer):
    enterprise = factories.EnterpriseFactory()
    client.force_login(officer)
    verify = reverse("admin:passes_enterprise_verify", args=[enterprise.pk])
    page = client.post(verify, {"decision": "suspend", "reason": " "})
    with translation.override("zh-hans"):
        expected = translation.gettext("Give the reason for suspending: the enterprise sees it.")
    assert expected in page.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.verification_status == Enterprise.Verification.VERIFIED  # no reason given
    client.post(verify, {"decision": "suspend", "reason": "伪造材料"})
    url = reverse("admin:passes_enterprise_changelist")
    client.post(url, {"action": "mark_key", "_selected_action": [enterprise.pk]})
    enterprise.refresh_from_db()
    assert enterprise.verification_status == Enterprise.Verification.SUSPENDED
    assert enterprise.is_key_enterprise
    actions = list(enterprise.audit_events.values_list("action", "reason"))
    assert actions == [("enterprise.suspended", "伪造材料"), ("enterprise.key_flag", "")]


def test_reviewer_cannot_assign_but_officer_can(client, reviewer, other_reviewer, officer):
    pass_request = queued_request()
    url = reverse("admin:passes_review_assign", args=[pass_request.pk])
    client.force_login(reviewer)
    assert client.post(url, {"reviewer": reviewer.pk}).status_code == 403
    client.force_login(officer)
    client.post(url, {"reviewer": other_reviewer.pk})
    pass_request.refresh_from_db()
    assert pass_request.assigned_reviewer == other_reviewer


def test_reviewer_may_not_export(client, reviewer, officer):
    url = reverse("admin:passes_passrequest_export", args=["csv"])
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(officer)
    assert client.get(url).status_code == 200


def test_inspector_cannot_open_documents_through_the_admin(client, inspector):
    pass_request = queued_request()
    document = add_document(pass_request)
    inspector.is_staff = True
    inspector.save()
    client.force_login(inspector)
    for name in ("admin:passes_review_document_viewer", "admin:passes_review_document_file"):
        assert client.get(reverse(name, args=[document.pk])).status_code == 403


def test_officer_sees_who_acts_for_an_enterprise_and_reviewer_does_not(client, reviewer, officer):
    membership = factories.MembershipFactory(user__username="zhang.applicant")
    url = reverse("admin:passes_enterprise_change", args=[membership.enterprise_id])
    client.force_login(officer)
    assert "zhang.applicant" in client.get(url).content.decode()
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200 and "zhang.applicant" not in page.content.decode()
