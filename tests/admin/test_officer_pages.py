"""The officer's admin pages as an officer meets them: verifying an enterprise beside its
licence, revoking passes through a confirmation naming them, ticking a pass type's documents,
the audit trail and the scan log in words."""

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from passes import audit
from passes.checkpoint import services as checkpoint_services
from passes.models import AuditEvent, DocumentKind, Enterprise, Pass, PassType
from passes.requests import workflow
from tests import factories
from tests.factories.checkpoint import make_pass
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db


def test_verification_page_shows_the_licence_beside_the_filed_data(client, officer):
    pending = factories.EnterpriseFactory(
        name="醴陵新兴建材有限公司", verification_status="pending"
    )
    request = queued_request(enterprise=pending)
    licence = add_document(request, name="营业执照.png", standing=True)
    client.force_login(officer)
    listing = client.get(reverse("admin:passes_enterprise_changelist")).content.decode()
    url = reverse("admin:passes_enterprise_verify", args=[pending.pk])
    assert url in listing  # the list leads to the page, where the licence is seen
    page = client.get(url).content.decode()
    assert pending.credit_code in page and "醴陵新兴建材有限公司" in page
    assert reverse("admin:passes_review_document_page", args=[licence.pk, 1]) in page
    assert reverse("admin:passes_review_document_viewer", args=[licence.pk]) in page
    assert 'id="pd-verify"' in page and 'id="pd-suspend"' in page

    response = client.post(url, {"decision": "verify"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.verification_status == Enterprise.Verification.VERIFIED
    page = client.get(url).content.decode()
    assert 'id="pd-verify"' not in page  # verified: only suspending is left
    assert str(audit.action_label("enterprise.verified")) in page


def test_an_enterprise_without_a_licence_says_so(client, officer):
    pending = factories.EnterpriseFactory(verification_status="pending")
    client.force_login(officer)
    page = client.get(reverse("admin:passes_enterprise_verify", args=[pending.pk]))
    assert 'id="pd-no-licence"' in page.content.decode()


def test_revoking_asks_for_confirmation_naming_each_pass(client, officer):
    first = make_pass(plate="湘B12345")
    second = make_pass(plate="湘BD12346")
    client.force_login(officer)
    response = client.post(
        reverse("admin:passes_pass_changelist"),
        {"action": "revoke_selected", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    for issued in (first, second):
        assert issued.number in page and issued.plate in page
        assert issued.request.enterprise.name in page
    assert 'id="pd-revoke-effect"' in page and 'id="pd-revoke-reason"' in page
    assert Pass.objects.filter(status=Pass.Status.REVOKED).count() == 0  # nothing yet

    confirm = reverse("admin:passes_pass_revoke")
    ids = f"{first.pk},{second.pk}"
    page = client.post(confirm, {"ids": ids, "reason": "  "}).content.decode()
    assert 'id="pd-revoke-problem"' in page
    assert Pass.objects.filter(status=Pass.Status.REVOKED).count() == 0

    response = client.post(confirm, {"ids": ids, "reason": "车辆转让"}, follow=True)
    assert first.number in response.content.decode()
    for issued in (first, second):
        issued.refresh_from_db()
        assert issued.status == Pass.Status.REVOKED and issued.revocation_reason == "车辆转让"


def test_reviewers_cannot_revoke(client, reviewer):
    issued = make_pass()
    client.force_login(reviewer)
    url = reverse("admin:passes_pass_revoke")
    assert client.get(f"{url}?ids={issued.pk}").status_code == 403
    assert client.post(url, {"ids": issued.pk, "reason": "x"}).status_code == 403
    issued.refresh_from_db()
    assert issued.status == Pass.Status.ACTIVE


def test_pass_type_documents_are_ticked_by_name(client, officer):
    pass_type = factories.PassTypeFactory(required_document_kinds=[])
    client.force_login(officer)
    url = reverse("admin:passes_passtype_change", args=[pass_type.pk])
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="required_document_kinds"' in page
    assert str(DocumentKind.VEHICLE_LICENCE.label) in page
    assert '<textarea name="required_document_kinds"' not in page  # no JSON box
    form = {
        "name": pass_type.name,
        "code": pass_type.code,
        "description": "",
        "is_active": "on",
        "required_document_kinds": ["business_licence", "vehicle_licence"],
        "health_proof_max_age_hours": "48",
        "declaration": "",
        "max_validity_days": "7",
        "route_bound": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    pass_type.refresh_from_db()
    assert pass_type.required_document_kinds == ["business_licence", "vehicle_licence"]
    assert PassType.objects.get(pk=pass_type.pk).required_kind_labels() == [
        DocumentKind.BUSINESS_LICENCE.label,
        DocumentKind.VEHICLE_LICENCE.label,
    ]


def test_audit_list_reads_in_words_newest_first(client, officer):
    officer.first_name, officer.last_name = "建国", "陈"
    officer.save()
    enterprise = factories.EnterpriseFactory(verification_status="pending")
    workflow.set_enterprise_verification(enterprise, status="verified", by=officer)
    workflow.set_enterprise_verification(
        enterprise, status="suspended", by=officer, reason="材料不符"
    )
    client.force_login(officer)
    page = client.get(reverse("admin:passes_auditevent_changelist")).content.decode()
    verified = str(audit.action_label("enterprise.verified"))
    suspended = str(audit.action_label("enterprise.suspended"))
    assert page.index(suspended) < page.index(verified)  # newest first
    assert "enterprise.verified" not in page.replace('href="?action=enterprise.verified"', "")
    assert "陈建国" in page or "建国 陈" in page
    assert (
        f"{Enterprise.Verification.VERIFIED.label} → {Enterprise.Verification.SUSPENDED.label}"
        in (page)
    )
    assert ">verified<" not in page and ">pending<" not in page
    filtered = client.get(
        reverse("admin:passes_auditevent_changelist"), {"action": "enterprise.suspended"}
    ).content.decode()
    assert filtered.count(suspended) >= 2  # the filter's entry and the row
    assert AuditEvent.objects.count() == 2


def test_machine_reading_has_words_in_the_history():
    assert audit.action_label("document.machine_read") != "Document machine read"


def test_scan_log_names_inspectors_and_flags_a_clock_ahead(client, officer, inspector):
    inspector.first_name, inspector.last_name = "斌", "周"
    inspector.save()
    issued = make_pass()
    checkpoint = factories.CheckpointFactory()
    scan, _created = checkpoint_services.record_scan(
        inspector=inspector,
        checkpoint=checkpoint,
        nonce=str(uuid.uuid4()),
        scanned_at=timezone.now() + datetime.timedelta(hours=30),
        number=issued.number,
        plate=issued.plate,
    )
    checkpoint_services.record_scan(
        inspector=inspector,
        checkpoint=checkpoint,
        nonce=str(uuid.uuid4()),
        scanned_at=timezone.now(),
        number=issued.number,
        plate=issued.plate,
    )
    client.force_login(officer)
    url = reverse("admin:passes_scanevent_changelist")
    page = client.get(url).content.decode()
    assert audit.actor_name(inspector) in page and ">inspector<" not in page
    assert page.count("pd-check-mismatch") == 1  # the one scan whose clock ran ahead
    assert re.search(r"(29|30) (h|小时) \d\d (min|分)", page)
    flagged = client.get(url, {"timing": "ahead"}).content.decode()
    assert flagged.count(issued.number) == 1


def test_announcement_audience_reach_is_counted_before_publishing(client, officer):
    key = factories.EnterpriseFactory(is_key_enterprise=True)
    factories.MembershipFactory(enterprise=key)
    factories.EnterpriseFactory(is_key_enterprise=False)
    client.force_login(officer)
    page = client.get(reverse("admin:passes_announcement_add")).content.decode()
    reach = reverse("admin:passes_announcement_reach")
    assert f'id="pd-reach-url" value="{reach}"' in page
    assert "passes_admin/announcement_reach.js" in page
    counted = client.get(reach, {"audience": "key"}).json()
    assert (counted["enterprises"], counted["members"]) == (1, 1)
    assert key.name in counted["text"]
    assert client.get(reach, {"audience": "all"}).json()["enterprises"] == 2
    assert (
        client.get(reach, {"audience": "district", "district": "43"}).json()["enterprises"] is None
    )


def test_publishing_an_announcement_says_so_once(client, officer):
    client.force_login(officer)
    url = reverse("admin:passes_announcement_add")
    page = client.get(url).content.decode()
    prefix = re.search(r'name="([\w-]+)-TOTAL_FORMS"', page).group(1)
    now = timezone.localtime()
    response = client.post(
        url,
        {
            "title": "春节期间通行证办理安排",
            "body": "春节期间正常办理。",
            "audience": "all",
            "district": "",
            "publish_at_0": now.strftime("%Y-%m-%d"),
            "publish_at_1": now.strftime("%H:%M:%S"),
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        },
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "春节期间通行证办理安排" in shown[0], shown


def test_dashboard_counts_requests_and_enterprises_in_their_own_words(client, officer):
    client.force_login(officer)
    page = client.get(reverse("passes_admin_dashboard")).content.decode()
    with translation.override("zh-hans"):
        enterprises = translation.gettext("%(n)s of %(total)s enterprises")
        requests = translation.gettext("%(n)s of %(total)s requests")
    assert enterprises != requests
    key_card = page.split('id="pd-key"', 1)[1].split("</div>", 1)[0]
    assert key_card.strip(">").strip() == enterprises % {"n": 0, "total": 0}
