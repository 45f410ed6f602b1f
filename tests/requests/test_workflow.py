"""Every transition of ``requests.workflow``: who may make it, from which state, what it records.

Document and health-proof guards are in ``test_guards.py``; numbering in
``tests/issuing/test_numbering.py``; the PostgreSQL concurrency proof in
``test_concurrency.py``.
"""

import datetime

import pytest
from celery.app.task import Task
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone, translation

from passes import notifications
from passes.models import AuditEvent, Enterprise, Pass, PassRequest, PassSerial
from passes.requests import workflow
from passes.requests.workflow import WorkflowError
from tests import factories
from tests.factories.workflow import claimed_request, submitted_request

Status = PassRequest.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Records every ``queue_event`` call the workflow makes (and still queues it)."""
    calls = []
    original = notifications.queue_event

    def record(event, *, object_id, audit_event_id=None, **kwargs):
        calls.append((event, object_id, audit_event_id))
        return original(event, object_id=object_id, audit_event_id=audit_event_id, **kwargs)

    monkeypatch.setattr(notifications, "queue_event", record)
    return calls


@pytest.fixture
def sent_tasks(monkeypatch):
    """Records every Celery task sent, instead of sending it."""
    sent = []
    monkeypatch.setattr(
        Task, "apply_async", lambda self, args=None, kwargs=None, **o: sent.append(self.name)
    )
    return sent


def fails(code, operation, *args, **kwargs):
    """Run a transition that must fail with ``code`` and return the error."""
    with pytest.raises(WorkflowError) as caught:
        operation(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def snapshot(pass_request):
    pass_request = PassRequest.objects.get(pk=pass_request.pk)
    return {
        "status": pass_request.status,
        "reviewer": pass_request.assigned_reviewer_id,
        "submitted_at": pass_request.submitted_at,
        "decided_at": pass_request.decided_at,
        "decision_reason": pass_request.decision_reason,
        "valid": (pass_request.valid_from, pass_request.valid_until),
        "events": AuditEvent.objects.count(),
        "passes": Pass.objects.count(),
        "serials": list(PassSerial.objects.values_list("region_code", "last_serial")),
    }


@pytest.fixture
def unchanged(django_capture_on_commit_callbacks):
    """``with unchanged(request):`` asserts a failing transition left no trace at all: same
    state, no audit event, no pass, no number used, nothing queued for after the commit."""

    class Unchanged:
        def __init__(self, pass_request):
            self.pass_request = pass_request

        def __enter__(self):
            self.before = snapshot(self.pass_request)
            self.capture = django_capture_on_commit_callbacks()
            self.callbacks = self.capture.__enter__()
            return self

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            assert self.callbacks == [], "a failed transition queued a notification"
            assert snapshot(self.pass_request) == self.before
            return False

    return Unchanged


def last_event():
    return AuditEvent.objects.order_by("-id").first()


# --- submit -------------------------------------------------------------------------------------


def test_submit_moves_a_draft_to_the_queue_and_records_it(applicant, queued):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)

    result = workflow.submit(draft, by=applicant)

    draft.refresh_from_db()
    assert result.status == draft.status == Status.SUBMITTED
    assert draft.submitted_at is not None
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status, event.reason) == (
        "request.submit",
        applicant,
        "draft",
        "submitted",
        "",
    )
    assert event.request == draft and event.enterprise == draft.enterprise
    assert queued == [(notifications.REQUEST_SUBMITTED, draft.pk, event.pk)]


def test_a_transition_locks_within_the_callers_scope(applicant, queued):
    """An interface hands its scope (``within``) and the request's id: one statement both
    scopes and locks; a request outside the scope is as missing as one that never existed."""
    mine = factories.submittable_request(enterprise=applicant.membership.enterprise)
    theirs = factories.submittable_request()
    scope = PassRequest.objects.filter(enterprise=applicant.membership.enterprise)

    with pytest.raises(PassRequest.DoesNotExist):
        workflow.submit(theirs.pk, by=applicant, within=scope)
    theirs.refresh_from_db()
    assert theirs.status == Status.DRAFT and queued == []

    assert workflow.submit(mine.pk, by=applicant, within=scope).status == Status.SUBMITTED


@pytest.mark.parametrize("who", ["stranger", "reviewer", "officer", "anonymous"])
def test_only_members_of_the_enterprise_submit(who, applicant, reviewer, officer, unchanged):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    actor = {
        "stranger": factories.MembershipFactory().user,  # member of another enterprise
        "reviewer": reviewer,
        "officer": officer,
        "anonymous": AnonymousUser(),
    }[who]
    with unchanged(draft):
        fails("not_allowed", workflow.submit, draft, by=actor)


def test_a_second_member_of_the_same_enterprise_may_submit(applicant):
    colleague = factories.MembershipFactory(
        enterprise=applicant.membership.enterprise, role="staff"
    ).user
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    assert workflow.submit(draft, by=colleague).status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("verification", "words"),
    [("pending", "has not been verified"), ("suspended", "is suspended")],
)
def test_unverified_or_suspended_enterprise_cannot_submit(
    verification, words, applicant, unchanged
):
    enterprise = applicant.membership.enterprise
    Enterprise.objects.filter(pk=enterprise.pk).update(verification_status=verification)
    draft = factories.submittable_request(enterprise=enterprise)
    with unchanged(draft), translation.override("en"):
        error = fails("enterprise_not_verified", workflow.submit, draft, by=applicant)
    assert words in error.message and enterprise.name in error.message


def test_submit_needs_a_vehicle(applicant, unchanged):
    draft = factories.PassRequestFactory(enterprise=applicant.membership.enterprise)
    with unchanged(draft):
        fails("no_vehicles", workflow.submit, draft, by=applicant)


def test_submit_needs_a_driver_for_every_vehicle(applicant, unchanged):
    enterprise = applicant.membership.enterprise
    draft = factories.submittable_request(enterprise=enterprise)
    bare = factories.RequestItemFactory(
        request=draft, drivers=[], vehicle=factories.VehicleFactory(enterprise=enterprise)
    )
    with unchanged(draft), translation.override("en"):
        error = fails("vehicle_without_driver", workflow.submit, draft, by=applicant)
    assert bare.vehicle.plate in error.message


def test_submit_needs_a_validity_window(applicant, unchanged):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    PassRequest.objects.filter(pk=draft.pk).update(valid_until=None)
    with unchanged(draft):
        fails("no_validity", workflow.submit, draft, by=applicant)


def test_submit_refuses_a_window_that_ends_before_it_starts(applicant, unchanged):
    start = timezone.now()
    draft = factories.submittable_request(
        enterprise=applicant.membership.enterprise,
        valid_from=start,
        valid_until=start - datetime.timedelta(hours=1),
    )
    with unchanged(draft):
        fails("invalid_validity", workflow.submit, draft, by=applicant)


def test_submit_refuses_a_window_longer_than_the_pass_type_allows(applicant, unchanged):
    start = timezone.now()
    pass_type = factories.PassTypeFactory(max_validity_days=14)
    enterprise = applicant.membership.enterprise
    exactly = factories.submittable_request(
        enterprise=enterprise,
        pass_type=pass_type,
        valid_from=start,
        valid_until=start + datetime.timedelta(days=14),
    )
    workflow.submit(exactly, by=applicant)  # 14 days is allowed

    too_long = factories.submittable_request(
        enterprise=enterprise,
        pass_type=pass_type,
        valid_from=start,
        valid_until=start + datetime.timedelta(days=14, seconds=1),
    )
    with unchanged(too_long), translation.override("en"):
        error = fails("validity_too_long", workflow.submit, too_long, by=applicant)
    assert "at most 14 days" in error.message


def test_submit_refuses_a_pass_type_no_longer_issued(applicant, unchanged):
    draft = factories.submittable_request(
        enterprise=applicant.membership.enterprise,
        pass_type=factories.PassTypeFactory(is_active=False),
    )
    with unchanged(draft):
        fails("pass_type_inactive", workflow.submit, draft, by=applicant)


@pytest.mark.parametrize("status", [s for s in Status if s != Status.DRAFT])
def test_submit_only_from_draft(status, applicant, unchanged):
    pass_request = factories.submittable_request(
        enterprise=applicant.membership.enterprise, status=status
    )
    with unchanged(pass_request), translation.override("en"):
        error = fails("invalid_transition", workflow.submit, pass_request, by=applicant)
    assert pass_request.reference in error.message


# --- claim and assign ---------------------------------------------------------------------------


def test_claim_takes_a_request_from_the_queue(applicant, reviewer, queued):
    pass_request = submitted_request(applicant)

    workflow.claim(pass_request, by=reviewer)

    pass_request.refresh_from_db()
    assert pass_request.status == Status.IN_REVIEW
    assert pass_request.assigned_reviewer == reviewer and pass_request.claimed_at
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "request.claim",
        reviewer,
        "submitted",
        "in_review",
    )
    assert queued[-1] == (notifications.REQUEST_CLAIMED, pass_request.pk, event.pk)


def test_claiming_twice_is_harmless(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        workflow.claim(pass_request, by=reviewer)


def test_a_request_held_by_one_reviewer_cannot_be_claimed_by_another(
    applicant, reviewer, other_reviewer, unchanged
):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        fails("claimed_by_other", workflow.claim, pass_request, by=other_reviewer)


@pytest.mark.parametrize("who", ["applicant", "inspector", "anonymous"])
def test_only_reviewers_claim(who, applicant, inspector, unchanged):
    pass_request = submitted_request(applicant)
    actor = {"applicant": applicant, "inspector": inspector, "anonymous": AnonymousUser()}[who]
    with unchanged(pass_request):
        fails("not_allowed", workflow.claim, pass_request, by=actor)


def test_a_deactivated_reviewer_loses_the_right_to_claim(applicant, reviewer, unchanged):
    pass_request = submitted_request(applicant)
    reviewer.is_active = False
    reviewer.save()
    with unchanged(pass_request):
        fails("not_allowed", workflow.claim, pass_request, by=reviewer)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED, Status.APPROVED])
def test_claim_only_from_the_queue(status, applicant, reviewer, unchanged):
    pass_request = factories.submittable_request(
        enterprise=applicant.membership.enterprise, status=status
    )
    with unchanged(pass_request):
        fails("invalid_transition", workflow.claim, pass_request, by=reviewer)


def test_officer_assigns_and_reassigns(applicant, reviewer, other_reviewer, officer):
    pass_request = submitted_request(applicant)

    workflow.assign(pass_request, reviewer=reviewer, by=officer)
    workflow.assign(pass_request, reviewer=other_reviewer, by=officer)

    pass_request.refresh_from_db()
    assert pass_request.status == Status.IN_REVIEW
    assert pass_request.assigned_reviewer == other_reviewer
    first, second = AuditEvent.objects.filter(action="request.assign").order_by("id")
    assert (first.from_status, first.to_status, first.actor) == ("submitted", "in_review", officer)
    assert first.data == {"reviewer": "reviewer", "previous_reviewer": None}
    assert second.data == {"reviewer": "reviewer2", "previous_reviewer": "reviewer"}


def test_assign_is_for_officers_and_to_reviewers(applicant, reviewer, officer, unchanged):
    pass_request = submitted_request(applicant)
    with unchanged(pass_request):
        fails("not_allowed", workflow.assign, pass_request, reviewer=reviewer, by=reviewer)
        fails("not_a_reviewer", workflow.assign, pass_request, reviewer=applicant, by=officer)


def test_assign_only_from_the_queue(applicant, reviewer, officer, unchanged):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    with unchanged(draft):
        fails("invalid_transition", workflow.assign, draft, reviewer=reviewer, by=officer)


# --- approve ------------------------------------------------------------------------------------


def test_approve_issues_one_pass_per_vehicle(applicant, reviewer, queued):
    pass_request = claimed_request(applicant, reviewer, vehicles=2)
    items = list(pass_request.items.order_by("id"))

    passes = workflow.approve(pass_request, by=reviewer)

    pass_request.refresh_from_db()
    assert pass_request.status == Status.APPROVED and pass_request.decided_at
    assert len(passes) == 2
    for issued, item in zip(sorted(passes, key=lambda p: p.item_id), items, strict=True):
        assert issued.vehicle == item.vehicle and issued.plate == item.vehicle.plate
        assert set(issued.drivers.all()) == set(item.drivers.all())
        assert (issued.valid_from, issued.valid_until) == (
            pass_request.valid_from,
            pass_request.valid_until,
        )
        assert issued.status == Pass.Status.ACTIVE
        assert issued.route == "株洲市荷塘区 → 长沙市雨花区：沪昆高速—京港澳高速"
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "request.approve",
        reviewer,
        "in_review",
        "approved",
    )
    assert sorted(event.data["passes"]) == sorted(p.number for p in passes)
    assert queued[-1] == (notifications.REQUEST_APPROVED, pass_request.pk, event.pk)


def test_reviewer_may_narrow_the_validity_window(applicant, reviewer):
    pass_request = claimed_request(applicant, reviewer)
    start = pass_request.valid_from + datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=2)

    (issued,) = workflow.approve(pass_request, by=reviewer, valid_from=start, valid_until=end)

    pass_request.refresh_from_db()
    assert (issued.valid_from, issued.valid_until) == (start, end)
    assert (pass_request.valid_from, pass_request.valid_until) == (start, end)


def test_approval_refuses_a_window_longer_than_the_pass_type_allows(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)  # pass type allows 30 days
    start = timezone.now()
    with unchanged(pass_request):
        fails(
            "validity_too_long",
            workflow.approve,
            pass_request,
            by=reviewer,
            valid_from=start,
            valid_until=start + datetime.timedelta(days=31),
        )


def test_approval_refuses_a_window_that_has_already_ended(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    start = timezone.now() - datetime.timedelta(days=5)
    with unchanged(pass_request):
        fails(
            "validity_ended",
            workflow.approve,
            pass_request,
            by=reviewer,
            valid_from=start,
            valid_until=start + datetime.timedelta(days=2),
        )


def test_approval_refuses_an_enterprise_suspended_meanwhile(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    Enterprise.objects.filter(pk=pass_request.enterprise_id).update(
        verification_status=Enterprise.Verification.SUSPENDED
    )
    with unchanged(pass_request):
        fails("enterprise_not_verified", workflow.approve, pass_request, by=reviewer)


def test_only_the_holder_or_an_officer_approves(
    applicant, reviewer, other_reviewer, officer, unchanged
):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request), translation.override("en"):
        error = fails("claimed_by_other", workflow.approve, pass_request, by=other_reviewer)
        fails("not_allowed", workflow.approve, pass_request, by=applicant)
    assert "being reviewed by reviewer" in error.message
    # An officer (科长) may decide on a request a reviewer holds.
    assert len(workflow.approve(pass_request, by=officer)) == 1


def test_approve_needs_a_claim_first(applicant, reviewer, officer, unchanged):
    pass_request = submitted_request(applicant)
    with unchanged(pass_request):
        fails("not_claimed", workflow.approve, pass_request, by=reviewer)
        fails("invalid_transition", workflow.approve, pass_request, by=officer)


def test_approving_twice_fails_and_issues_nothing_more(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    workflow.approve(pass_request, by=reviewer)
    with unchanged(pass_request):
        fails("invalid_transition", workflow.approve, pass_request, by=reviewer)
    assert Pass.objects.filter(request=pass_request).count() == 1


# --- return for changes (补正), resubmit, reject -------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_needs_a_reason(reason, applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        fails(
            "reason_required", workflow.return_for_changes, pass_request, by=reviewer, reason=reason
        )


def test_return_for_changes_records_the_reasons(applicant, reviewer, queued):
    pass_request = claimed_request(applicant, reviewer)

    workflow.return_for_changes(
        pass_request,
        by=reviewer,
        reason="  行驶证照片不清晰，请重新上传。 ",
        document_reasons={17: "模糊"},
    )

    pass_request.refresh_from_db()
    assert pass_request.status == Status.RETURNED
    assert pass_request.decision_reason == "行驶证照片不清晰，请重新上传。"
    assert pass_request.is_editable
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status, event.reason) == (
        "request.return",
        reviewer,
        "in_review",
        "returned",
        "行驶证照片不清晰，请重新上传。",
    )
    assert event.data == {"documents": {"17": "模糊"}}
    assert queued[-1] == (notifications.REQUEST_RETURNED, pass_request.pk, event.pk)


def test_return_by_someone_else_than_the_holder_fails(
    applicant, reviewer, other_reviewer, unchanged
):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        fails(
            "claimed_by_other",
            workflow.return_for_changes,
            pass_request,
            by=other_reviewer,
            reason="x",
        )


def test_resubmission_goes_back_to_the_queue_unassigned(applicant, reviewer, queued):
    pass_request = claimed_request(applicant, reviewer)
    workflow.return_for_changes(pass_request, by=reviewer, reason="补充承诺书")
    first_submitted_at = PassRequest.objects.get(pk=pass_request.pk).submitted_at

    workflow.resubmit(pass_request, by=applicant)

    pass_request.refresh_from_db()
    assert pass_request.status == Status.SUBMITTED
    assert pass_request.assigned_reviewer is None and pass_request.claimed_at is None
    assert pass_request.submitted_at > first_submitted_at
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "request.resubmit",
        applicant,
        "returned",
        "submitted",
    )
    assert queued[-1] == (notifications.REQUEST_RESUBMITTED, pass_request.pk, event.pk)
    # The whole history is kept, in order.
    assert list(
        AuditEvent.objects.filter(request=pass_request).values_list("action", flat=True)
    ) == ["request.submit", "request.claim", "request.return", "request.resubmit"]


def test_resubmission_checks_the_guards_again(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    workflow.return_for_changes(pass_request, by=reviewer, reason="司机信息有误")
    pass_request.items.first().drivers.clear()  # the applicant removed the driver
    with unchanged(pass_request):
        fails("vehicle_without_driver", workflow.resubmit, pass_request, by=applicant)


def test_resubmit_by_others_or_from_other_states_fails(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        fails("invalid_transition", workflow.resubmit, pass_request, by=applicant)
    workflow.return_for_changes(pass_request, by=reviewer, reason="补正")
    with unchanged(pass_request):
        fails("not_allowed", workflow.resubmit, pass_request, by=reviewer)


@pytest.mark.parametrize("reason", ["", " \n "])
def test_reject_needs_a_reason(reason, applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        fails("reason_required", workflow.reject, pass_request, by=reviewer, reason=reason)


def test_reject_is_final(applicant, reviewer, queued, unchanged):
    pass_request = claimed_request(applicant, reviewer)

    workflow.reject(pass_request, by=reviewer, reason="非物资保障企业")

    pass_request.refresh_from_db()
    assert pass_request.status == Status.REJECTED
    assert pass_request.decision_reason == "非物资保障企业"
    event = last_event()
    assert (event.action, event.from_status, event.to_status, event.reason) == (
        "request.reject",
        "in_review",
        "rejected",
        "非物资保障企业",
    )
    assert queued[-1] == (notifications.REQUEST_REJECTED, pass_request.pk, event.pk)
    with unchanged(pass_request):
        fails("invalid_transition", workflow.withdraw, pass_request, by=applicant)
        fails("invalid_transition", workflow.resubmit, pass_request, by=applicant)
        fails("invalid_transition", workflow.claim, pass_request, by=reviewer)


def test_reject_by_non_reviewers_fails(applicant, reviewer, unchanged):
    pass_request = claimed_request(applicant, reviewer)
    with unchanged(pass_request):
        fails("not_allowed", workflow.reject, pass_request, by=applicant, reason="x")


# --- withdraw -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED])
def test_withdraw_from_draft_submitted_or_returned(status, applicant, queued):
    pass_request = factories.submittable_request(
        enterprise=applicant.membership.enterprise, status=status
    )

    workflow.withdraw(pass_request, by=applicant)

    pass_request.refresh_from_db()
    assert pass_request.status == Status.WITHDRAWN and pass_request.withdrawn_at
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "request.withdraw",
        applicant,
        status,
        "withdrawn",
    )
    assert queued[-1] == (notifications.REQUEST_WITHDRAWN, pass_request.pk, event.pk)


@pytest.mark.parametrize(
    "status", [Status.IN_REVIEW, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN]
)
def test_withdraw_not_once_a_reviewer_is_working_or_decided(status, applicant, unchanged):
    pass_request = factories.submittable_request(
        enterprise=applicant.membership.enterprise, status=status
    )
    with unchanged(pass_request):
        fails("invalid_transition", workflow.withdraw, pass_request, by=applicant)


def test_only_members_withdraw(applicant, reviewer, unchanged):
    pass_request = submitted_request(applicant)
    with unchanged(pass_request):
        fails("not_allowed", workflow.withdraw, pass_request, by=reviewer)
        fails("not_allowed", workflow.withdraw, pass_request, by=factories.MembershipFactory().user)


def test_allowed_actions_follow_the_state_table(applicant):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    assert workflow.allowed_actions(draft) == ["submit", "withdraw"]
    draft.status = Status.IN_REVIEW
    assert workflow.allowed_actions(draft) == ["claim", "approve", "return", "reject"]


# --- revoking passes ----------------------------------------------------------------------------


@pytest.fixture
def issued_pass(applicant, reviewer):
    pass_request = claimed_request(applicant, reviewer)
    (issued,) = workflow.approve(pass_request, by=reviewer)
    return issued


def test_officer_revokes_a_pass_with_a_reason(issued_pass, officer, queued):
    workflow.revoke_pass(issued_pass, by=officer, reason="车辆违规绕行")

    issued_pass.refresh_from_db()
    assert issued_pass.status == Pass.Status.REVOKED
    assert issued_pass.revoked_by == officer and issued_pass.revoked_at
    assert issued_pass.revocation_reason == "车辆违规绕行"
    event = last_event()
    assert (event.action, event.actor, event.from_status, event.to_status, event.reason) == (
        "pass.revoke",
        officer,
        "active",
        "revoked",
        "车辆违规绕行",
    )
    assert event.pass_obj == issued_pass and event.request == issued_pass.request
    assert queued[-1] == (notifications.PASS_REVOKED, issued_pass.pk, event.pk)


def _pass_state(pass_obj):
    pass_obj = Pass.objects.get(pk=pass_obj.pk)
    return pass_obj.status, pass_obj.revoked_at, AuditEvent.objects.count()


def test_revoking_needs_an_officer_and_a_reason(
    issued_pass, reviewer, officer, applicant, django_capture_on_commit_callbacks
):
    before = _pass_state(issued_pass)
    with django_capture_on_commit_callbacks() as callbacks:
        fails("not_allowed", workflow.revoke_pass, issued_pass, by=reviewer, reason="x")
        fails("not_allowed", workflow.revoke_pass, issued_pass, by=applicant, reason="x")
        fails("reason_required", workflow.revoke_pass, issued_pass, by=officer, reason=" ")
    assert callbacks == [] and _pass_state(issued_pass) == before


def test_a_pass_is_revoked_once(issued_pass, officer):
    workflow.revoke_pass(issued_pass, by=officer, reason="伪造")
    before = _pass_state(issued_pass)
    fails("already_revoked", workflow.revoke_pass, issued_pass, by=officer, reason="again")
    assert _pass_state(issued_pass) == before


# --- enterprise verification --------------------------------------------------------------------


def test_officer_verifies_a_pending_enterprise(officer, queued):
    enterprise = factories.EnterpriseFactory(verification_status="pending")

    workflow.set_enterprise_verification(enterprise, status="verified", by=officer)

    enterprise.refresh_from_db()
    assert enterprise.is_verified and enterprise.verified_at
    event = last_event()
    assert (event.action, event.actor, event.enterprise, event.from_status, event.to_status) == (
        "enterprise.verified",
        officer,
        enterprise,
        "pending",
        "verified",
    )
    assert queued[-1] == (notifications.ENTERPRISE_VERIFIED, enterprise.pk, event.pk)


def test_suspending_needs_a_reason_and_stops_submissions(applicant, officer, queued):
    enterprise = applicant.membership.enterprise
    fails(
        "reason_required",
        workflow.set_enterprise_verification,
        enterprise,
        status="suspended",
        by=officer,
    )
    workflow.set_enterprise_verification(
        enterprise, status="suspended", by=officer, reason="材料造假"
    )
    event = last_event()
    assert (event.action, event.reason) == ("enterprise.suspended", "材料造假")
    assert queued[-1] == (notifications.ENTERPRISE_SUSPENDED, enterprise.pk, event.pk)
    draft = factories.submittable_request(enterprise=enterprise)
    fails("enterprise_not_verified", workflow.submit, draft, by=applicant)


def test_verification_is_for_officers_and_known_states(enterprise, reviewer, officer):
    events = AuditEvent.objects.count()
    fails(
        "not_allowed",
        workflow.set_enterprise_verification,
        enterprise,
        status="suspended",
        by=reviewer,
        reason="x",
    )
    fails(
        "invalid_status",
        workflow.set_enterprise_verification,
        enterprise,
        status="gone",
        by=officer,
    )
    # Setting the state it already has records nothing.
    workflow.set_enterprise_verification(enterprise, status="verified", by=officer)
    enterprise.refresh_from_db()
    assert enterprise.verification_status == "verified"
    assert AuditEvent.objects.count() == events


# --- notifications go out only after the commit -------------------------------------------------


def test_notification_task_is_sent_only_after_the_commit(
    applicant, sent_tasks, django_capture_on_commit_callbacks
):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.submit(draft, by=applicant)
        assert sent_tasks == [], "a task was sent before the transaction committed"

    assert callbacks, "nothing was queued for after the commit"
    for callback in callbacks:
        callback()
    assert sent_tasks, "no Celery task was sent once the transaction committed"


def test_nothing_is_sent_when_the_surrounding_transaction_rolls_back(
    applicant, sent_tasks, django_capture_on_commit_callbacks
):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)

    class Abort(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        workflow.submit(draft, by=applicant)
        raise Abort

    assert callbacks == [] and sent_tasks == []
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not AuditEvent.objects.filter(request=draft).exists()


# --- messages -----------------------------------------------------------------------------------


def test_domain_errors_say_what_and_why(applicant, reviewer):
    pass_request = claimed_request(applicant, reviewer)
    workflow.approve(pass_request, by=reviewer)
    with translation.override("en"):
        error = fails("invalid_transition", workflow.withdraw, pass_request, by=applicant)
    assert str(error) == (
        f"Request {pass_request.reference} is Approved and cannot be withdrawn now."
    )


def test_the_sweep_expires_ended_passes_once_and_leaves_the_rest(
    issued_pass, applicant, reviewer, officer, queued
):
    from passes.requests.workflow import expire_passes

    still_valid = issued_pass
    ended = workflow.approve(claimed_request(applicant, reviewer), by=reviewer)[0]
    revoked = workflow.approve(claimed_request(applicant, reviewer), by=reviewer)[0]
    workflow.revoke_pass(revoked, by=officer, reason="伪造")
    past = timezone.now() - datetime.timedelta(minutes=1)
    Pass.objects.filter(pk__in=[ended.pk, revoked.pk]).update(valid_until=past)

    assert expire_passes() == 1
    assert expire_passes() == 0  # a second run changes nothing

    statuses = dict(Pass.objects.values_list("pk", "status"))
    assert statuses == {still_valid.pk: "active", ended.pk: "expired", revoked.pk: "revoked"}
    event = AuditEvent.objects.get(action="pass.expire")
    assert (event.pass_obj_id, event.from_status, event.to_status) == (
        ended.pk,
        "active",
        "expired",
    )
    assert queued[-1] == (notifications.PASS_EXPIRED, ended.pk, event.pk)
