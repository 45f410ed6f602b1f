"""我的通行证, renewal (续期) in the portal and the admin, the confirmation page, the declaration,
and the review page's and queue's wording."""

import datetime
import io

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from passes import notifications
from passes.models import AuditEvent, DocumentReview, Notification, Pass, PassRequest
from passes.notifications import periodic
from passes.requests import workflow
from tests import factories
from tests.factories.issuing import issued_passes
from tests.factories.review import add_document
from tests.factories.workflow import make_document
from tests.portal_helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(applicant, enterprise, reviewer):
    return issued_passes(
        factories.submittable_request(vehicles=3, enterprise=enterprise), reviewer=reviewer
    )


def test_my_passes_lists_filters_and_counts_days_left(applicant, issued):
    Pass.objects.filter(pk=issued[0].pk).update(
        valid_until=timezone.now() + datetime.timedelta(days=2, hours=1)
    )
    Pass.objects.filter(pk=issued[1].pk).update(status=Pass.Status.REVOKED)
    client = client_for(applicant)
    response = client.get(reverse("passes:pass-list"))
    html = response.content.decode()
    for p in issued:
        assert p.number in html and p.plate in html
    assert "3 days" in html  # 2 days and an hour, rounded up
    assert "7 days" in html
    expiring = client.get(reverse("passes:pass-list"), {"state": "expiring"}).content.decode()
    assert issued[0].number in expiring and issued[2].number not in expiring
    revoked = client.get(reverse("passes:pass-list"), {"state": "revoked"}).content.decode()
    assert issued[1].number in revoked and issued[0].number not in revoked


def test_overview_card_links_to_my_passes(applicant, issued):
    html = client_for(applicant).get(reverse("passes:home")).content.decode()
    assert f'href="{reverse("passes:pass-list")}?state=active"' in html


def test_other_enterprises_passes_are_neither_listed_nor_printable(applicant, issued, reviewer):
    foreign = issued_passes(factories.submittable_request(), reviewer=reviewer)[0]
    client = client_for(applicant)
    assert foreign.number not in client.get(reverse("passes:pass-list")).content.decode()
    response = client.post(reverse("passes:pass-print"), {"passes": [foreign.number]})
    assert response.status_code == 302  # nothing selected: back to the list with a message


def test_selection_downloads_as_one_pdf(applicant, issued):
    response = client_for(applicant).post(
        reverse("passes:pass-print"), {"passes": [issued[0].number, issued[2].number]}
    )
    assert response["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 2


def test_renew_one_pass_submits_and_shows_what_happens_next(applicant, issued, reviewer):
    # one decision in the last 30 days: submitted 3 h before it was decided
    decided = PassRequest.objects.get(pk=issued[0].request_id)
    PassRequest.objects.filter(pk=decided.pk).update(
        submitted_at=decided.decided_at - datetime.timedelta(hours=3)
    )
    client = client_for(applicant)
    response = client.post(reverse("passes:pass-renew"), {"passes": [issued[0].number]})
    renewal = PassRequest.objects.exclude(pk=decided.pk).get()
    assert renewal.status == PassRequest.Status.SUBMITTED
    assert response["Location"] == reverse("passes:request-submitted", args=[renewal.pk])
    page = client.get(response["Location"]).content.decode()
    assert "What happens next" in page
    assert "3 h 00 min" in page
    item = renewal.items.get()
    assert item.renews == issued[0] and item.vehicle_id == issued[0].vehicle_id
    assert renewal.route_description == decided.route_description
    assert AuditEvent.objects.filter(request=renewal, action="request.renewal").exists()
    detail = client.get(reverse("passes:request-detail", args=[renewal.pk])).content.decode()
    assert f"Renewal (续期) of pass {issued[0].number}" in detail


def test_renewing_a_pass_again_says_it_is_being_renewed(applicant, issued):
    """A second press (another tab, a double click that got through) files nothing more."""
    client = client_for(applicant)
    client.post(reverse("passes:pass-renew"), {"passes": [issued[0].number]})
    renewal = PassRequest.objects.get(items__renews=issued[0])
    response = client.post(
        reverse("passes:pass-renew"), {"passes": [issued[0].number]}, follow=True
    )
    assert PassRequest.objects.filter(items__renews=issued[0]).count() == 1
    assert (
        f"Pass {issued[0].number} is already being renewed by request {renewal.reference}."
        in response.content.decode()
    )


def test_renewal_needing_a_new_health_proof_stays_a_draft(applicant, enterprise, reviewer):
    pass_type = factories.PassTypeFactory(health_proof_max_age_hours=48)
    source = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    driver = source.items.get().drivers.get()
    proof = make_document(
        enterprise, "nucleic_acid_test", request=source, driver=driver, tested_at=timezone.now()
    )
    (old,) = issued_passes(source, reviewer=reviewer)
    type(proof).objects.filter(pk=proof.pk).update(
        tested_at=timezone.now() - datetime.timedelta(hours=60)
    )
    response = client_for(applicant).post(reverse("passes:pass-renew"), {"passes": [old.number]})
    renewal = PassRequest.objects.exclude(pk=source.pk).get()
    assert renewal.status == PassRequest.Status.DRAFT
    assert response["Location"] == reverse("passes:request-step", args=[renewal.pk, "documents"])


def test_renewal_flash_names_each_missing_thing_once_in_chinese_punctuation(
    applicant, enterprise, reviewer
):
    pass_type = factories.PassTypeFactory(
        health_proof_max_age_hours=48,
        required_document_kinds=["commitment_letter", "nucleic_acid_test"],
    )
    source = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    driver = source.items.get().drivers.get()
    make_document(
        enterprise, "nucleic_acid_test", request=source, driver=driver, tested_at=timezone.now()
    )
    make_document(enterprise, "commitment_letter", request=source)
    (old,) = issued_passes(source, reviewer=reviewer)
    response = client_for(applicant).post(
        reverse("passes:pass-renew"),
        {"passes": [old.number]},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    (message,) = [str(m) for m in response.context["messages"]]
    # The renewal needs the driver's new test: said once (not again as "missing or too old"),
    # and the sentence ends with one full stop.
    assert message.count(driver.name) == 1, message
    assert "。。" not in message and "; " not in message, message
    assert message.endswith("。"), message
    # The renewal's documents step: the commitment letter and licences the renewed pass's
    # request carried count (ticked, not "missing"); only the new test is asked for.
    checklist = response.content.decode()
    checklist = checklist[checklist.index('id="doc-checklist"') :]
    assert checklist[: checklist.index("</ul>")].count("缺少") == 1


def test_a_stale_standing_test_is_named_with_the_limit(applicant, enterprise, reviewer):
    from passes.requests import renewal

    pass_type = factories.PassTypeFactory(
        health_proof_max_age_hours=48, required_document_kinds=["nucleic_acid_test"]
    )
    draft = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    driver = draft.items.get().drivers.get()
    make_document(
        enterprise,
        "nucleic_acid_test",
        driver=driver,
        tested_at=timezone.now() - datetime.timedelta(hours=60),
    )
    with translation.override("en"):
        needed = renewal.still_needed(draft)
        page = client_for(applicant).get(
            reverse("passes:request-step", args=[draft.pk, "documents"])
        )
    # The documents step says when a test counts, beside the slot.
    assert "sampled no more than 48 hours before the office decides" in page.content.decode()
    assert needed == [
        f"a nucleic-acid test for {driver.name}, sampled no more than 48 hours before "
        "the office decides"
    ]


def test_declaration_checkbox_is_required_where_the_type_asks(applicant, enterprise):
    pass_type = factories.PassTypeFactory(declaration="本企业承诺：所报车辆、人员信息真实。")
    draft = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    client = client_for(applicant)
    step = reverse("passes:request-step", args=[draft.pk, "review"])
    page = client.get(step).content.decode()
    assert "本企业承诺" in page and 'name="declaration"' in page
    client.post(step)
    draft.refresh_from_db()
    assert draft.status == PassRequest.Status.DRAFT
    client.post(step, {"declaration": "1"})
    draft.refresh_from_db()
    assert draft.status == PassRequest.Status.SUBMITTED and draft.declaration_accepted_at


def test_expiring_notice_links_to_renewal(applicant, issued):
    Pass.objects.filter(pk=issued[0].pk).update(
        valid_until=timezone.now() + datetime.timedelta(hours=20)
    )
    periodic.notify_expiring_passes()
    row = Notification.objects.get(event=notifications.PASS_EXPIRING)
    assert f"{reverse('passes:pass-list')}?state=expiring" in row.body_text
    assert "续期" in row.body_text


# --- The reviewer's side ---------------------------------------------------------------------


def _renew(applicant, pass_obj):
    client_for(applicant).post(reverse("passes:pass-renew"), {"passes": [pass_obj.number]})
    return PassRequest.objects.get(items__renews=pass_obj)


def test_review_page_says_what_a_renewal_changes(applicant, issued, reviewer):
    clean = _renew(applicant, issued[0])
    admin = client_for(reviewer)
    html = admin.get(reverse("admin:passes_reviewqueue_change", args=[clean.pk])).content.decode()
    assert f"renewal of {issued[0].number}" in html
    assert "pd-approve-renewal" in html
    assert "already holds active pass" not in html  # the pass it renews is expected
    response = admin.post(reverse("admin:passes_review_decide", args=[clean.pk, "renewal"]))
    assert response.status_code == 302
    clean.refresh_from_db()
    assert clean.status == PassRequest.Status.APPROVED
    assert clean.passes.get().valid_from == issued[0].valid_until


def test_changed_renewal_shows_the_change_and_cannot_be_approved_in_one_action(
    applicant, issued, reviewer
):
    changed = _renew(applicant, issued[1])
    workflow.withdraw(changed, by=applicant)
    client_for(applicant).post(reverse("passes:pass-renew"), {"passes": [issued[1].number]})
    changed = PassRequest.objects.filter(items__renews=issued[1]).latest("pk")
    PassRequest.objects.filter(pk=changed.pk).update(cargo_description="冷链食品")
    html = (
        client_for(reviewer)
        .get(reverse("admin:passes_reviewqueue_change", args=[changed.pk]))
        .content.decode()
    )
    assert "木材原料" in html and "冷链食品" in html and "pd-approve-renewal" not in html


def test_queue_bulk_action_approves_only_clean_renewals(applicant, issued, reviewer):
    clean = _renew(applicant, issued[0])
    ordinary = factories.submittable_request(enterprise=issued[0].request.enterprise)
    workflow.submit(ordinary, by=applicant)
    chosen = {"action": "approve_clean_renewals", "_selected_action": [clean.pk, ordinary.pk]}
    queue = reverse("admin:passes_reviewqueue_changelist")
    client = client_for(reviewer)
    page = client.post(queue, chosen).content.decode()  # a confirmation page first
    assert clean.reference in page and 'id="pd-left-out"' in page
    clean.refresh_from_db()
    assert clean.status == PassRequest.Status.SUBMITTED
    response = client.post(queue, {**chosen, "confirm": "yes"}, follow=True)
    clean.refresh_from_db()
    ordinary.refresh_from_db()
    assert clean.status == PassRequest.Status.APPROVED
    assert ordinary.status == PassRequest.Status.SUBMITTED
    assert "not a renewal" in response.content.decode()


# --- Rough edges on the review page and the queue ----------------------------------------------


def test_history_shows_translated_labels_and_names(applicant, reviewer):
    applicant.first_name, applicant.last_name = "王", "经理"
    applicant.save()
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    client = client_for(reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    html = client.get(
        reverse("admin:passes_reviewqueue_change", args=[pass_request.pk])
    ).content.decode()
    assert "request.submit" not in html and "已提交" in html
    assert "王 经理" in html or "王经理" in html


def test_approve_with_a_flagged_document_needs_confirmation(reviewer):
    from tests.factories.review import queued_request

    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    document = add_document(pass_request)
    DocumentReview.objects.create(
        document=document,
        verdict=DocumentReview.Verdict.FLAGGED,
        reason="印章不清",
        reviewer=reviewer,
    )
    client = client_for(reviewer)
    page = client.get(reverse("admin:passes_reviewqueue_change", args=[pass_request.pk]))
    assert 'name="despite_flags"' in page.content.decode()
    window = {
        "valid_from": timezone.localtime(pass_request.valid_from).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": timezone.localtime(pass_request.valid_until).strftime("%Y-%m-%dT%H:%M"),
    }
    decide = reverse("admin:passes_review_decide", args=[pass_request.pk, "approve"])
    client.post(decide, window)
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.IN_REVIEW
    client.post(decide, {**window, "despite_flags": "1"})
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.APPROVED


def test_queue_speaks_of_requests_not_of_review_queues(reviewer):
    from tests.factories.review import queued_request

    for _ in range(3):
        queued_request()
    client = client_for(reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    html = client.get(reverse("admin:passes_reviewqueue_changelist")).content.decode()
    assert "3 件申请" in html
    assert "选择 审核队列 来修改" not in html and "3 审核队列" not in html


def test_renewal_error_never_sends_people_off_site(applicant, issued, reviewer):
    Pass.objects.filter(pk=issued[0].pk).update(status=Pass.Status.REVOKED)
    client = client_for(applicant)
    response = client.post(
        reverse("passes:pass-renew"),
        {"passes": [issued[0].number], "back": "https://evil.example/"},
    )
    assert response["Location"] == reverse("passes:pass-list")
    response = client.post(
        reverse("passes:pass-renew"),
        {"passes": [issued[0].number], "back": "/my-passes/?state=revoked"},
    )
    assert response["Location"] == "/my-passes/?state=revoked"
