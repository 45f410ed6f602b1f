"""One home per rule (issue 25): each rule answered by one function, and the places that used to
write it out answering the same."""

import datetime

import pytest
from django.db.models import Exists
from django.utils import timezone, translation

from passes.documents.ocr.request_checks import relevant_documents
from passes.errors import WorkflowError
from passes.messaging import text
from passes.models import (
    Document,
    DocumentKind,
    DocumentReview,
    Office,
    Pass,
    PassRequest,
    ReplyTemplate,
    ReturnReasonTemplate,
)
from passes.requests import guards, renewal, review, workflow
from passes.wording import durations
from tests import factories
from tests.factories.issuing import issued_passes, member_of, staff
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db
HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)


# --- Live and expiring passes ------------------------------------------------------------------


@pytest.fixture
def passes_in_every_state(reviewer):
    """One pass each: in force, still to start, ending in two days, ended but not yet swept,
    swept as expired, revoked."""
    issued = issued_passes(factories.submittable_request(vehicles=6), reviewer=reviewer)
    now = timezone.now()
    windows = {
        "in_force": (now - DAY, now + 5 * DAY, Pass.Status.ACTIVE),
        "to_start": (now + DAY, now + 5 * DAY, Pass.Status.ACTIVE),
        "ending": (now - DAY, now + 2 * DAY, Pass.Status.ACTIVE),
        "ended": (now - 3 * DAY, now - HOUR, Pass.Status.ACTIVE),
        "expired": (now - 3 * DAY, now - DAY, Pass.Status.EXPIRED),
        "revoked": (now - DAY, now + 5 * DAY, Pass.Status.REVOKED),
    }
    named = {}
    for pass_obj, (name, (start, end, status)) in zip(issued, windows.items(), strict=True):
        Pass.objects.filter(pk=pass_obj.pk).update(valid_from=start, valid_until=end, status=status)
        named[name] = pass_obj.pk
    return named, now


def _names(queryset, named):
    ids = set(queryset.values_list("pk", flat=True))
    return {name for name, pk in named.items() if pk in ids}


def test_live_passes_are_those_whose_effective_status_is_active(passes_in_every_state):
    named, now = passes_in_every_state
    assert _names(Pass.objects.live(now), named) == {"in_force", "to_start", "ending"}
    # The same rule for a pass in hand (Pass.effective_status): parity, pass by pass.
    for pass_obj in Pass.objects.filter(pk__in=named.values()):
        live = Pass.objects.live(now).filter(pk=pass_obj.pk).exists()
        assert live == (pass_obj.effective_status(now) == Pass.Status.ACTIVE), pass_obj.pk


def test_in_force_expiring_due_and_ended(passes_in_every_state):
    named, now = passes_in_every_state
    assert _names(Pass.objects.in_force(now), named) == {"in_force", "ending"}
    assert _names(Pass.objects.expiring(3 * DAY, now), named) == {"ending"}
    assert _names(Pass.objects.expiring(DAY, now), named) == set()
    assert _names(Pass.objects.due_to_expire(now), named) == {"ended"}
    assert _names(Pass.objects.ended(now), named) == {"ended", "expired"}
    # Judged at another moment: a day on, the pass still to start is in force.
    assert "to_start" in _names(Pass.objects.in_force(now + DAY + HOUR), named)


def test_a_pass_still_to_start_is_upcoming_not_active_in_the_pass_book(passes_in_every_state):
    from passes.issuing import listing

    named, now = passes_in_every_state
    assert _names(Pass.objects.upcoming(now), named) == {"to_start"}
    # Pass.shown_status says the same, pass by pass (the book's badge and its filter agree).
    for pass_obj in Pass.objects.filter(pk__in=named.values()):
        shown = pass_obj.shown_status(now)
        assert (shown == Pass.UPCOMING) == Pass.objects.upcoming(now).filter(
            pk=pass_obj.pk
        ).exists()
        in_force = Pass.objects.in_force(now).filter(pk=pass_obj.pk).exists()
        assert (shown == Pass.Status.ACTIVE) == in_force, pass_obj.pk
    counts = listing.state_counts(Pass.objects.filter(pk__in=named.values()), now=now)
    assert (counts["active"], counts["upcoming"], counts["expiring"]) == (2, 1, 1)


def test_the_expiry_sweep_expires_exactly_the_due_passes(passes_in_every_state):
    from passes.requests.workflow import expire_passes

    named, _now = passes_in_every_state
    assert expire_passes() == 1
    assert Pass.objects.get(pk=named["ended"]).status == Pass.Status.EXPIRED


# --- The documents a request relies on --------------------------------------------------------


def test_the_documents_a_request_relies_on_and_the_machine_checks_sql_agree():
    pass_request = factories.submittable_request(vehicles=2)
    first, second = pass_request.items.order_by("pk")
    driver = first.drivers.get()
    other_vehicle = factories.VehicleFactory(enterprise=pass_request.enterprise)
    other_request = factories.submittable_request(enterprise=pass_request.enterprise)
    foreign = factories.submittable_request()
    docs = {
        "own": add_document(pass_request),
        "own_item": add_document(pass_request, kind=DocumentKind.VEHICLE_LICENCE, item=first),
        "enterprise_standing": add_document(pass_request, standing=True),
        "driver_standing": add_document(
            pass_request, kind=DocumentKind.DRIVING_LICENCE, driver=driver, standing=True
        ),
        "other_request": add_document(other_request),
        "foreign_enterprise": add_document(foreign, standing=True),
    }
    vehicle_doc = add_document(pass_request, kind=DocumentKind.VEHICLE_LICENCE, standing=True)
    vehicle_doc.vehicle = second.vehicle
    vehicle_doc.save()
    docs["vehicle_standing"] = vehicle_doc
    elsewhere = add_document(pass_request, kind=DocumentKind.VEHICLE_LICENCE, standing=True)
    elsewhere.vehicle = other_vehicle
    elsewhere.save()
    docs["other_vehicle_standing"] = elsewhere

    relied = list(Document.objects.relied_on_by(pass_request).values_list("pk", flat=True))
    expected = {"own", "own_item", "enterprise_standing", "driver_standing", "vehicle_standing"}
    assert {name for name, doc in docs.items() if doc.pk in relied} == expected
    assert len(relied) == len(expected)  # each once
    # The machine check's SQL (OuterRef form of the same rule) picks the same documents.
    for name, doc in docs.items():
        found = (
            PassRequest.objects.filter(pk=pass_request.pk)
            .annotate(has=Exists(relevant_documents().filter(pk=doc.pk)))
            .values_list("has", flat=True)
            .get()
        )
        assert found == (name in expected), name


# --- The vehicles per request -----------------------------------------------------------------


def test_vehicle_count_from_the_annotation_without_a_query(django_assert_num_queries):
    pass_request = factories.submittable_request(vehicles=3)
    factories.PassRequestFactory(enterprise=pass_request.enterprise)  # none
    counted = {
        r.pk: r
        for r in PassRequest.objects.with_vehicle_count().filter(enterprise=pass_request.enterprise)
    }
    with django_assert_num_queries(0):
        assert sorted(r.vehicle_count() for r in counted.values()) == [0, 3]
    assert PassRequest.objects.get(pk=pass_request.pk).vehicle_count() == 3


# --- The wording of a duration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "span", "elapsed"),
    [
        (48, "48 hours", "2 days 0 h"),
        (1, "1 hour", "1 h 00 min"),
        (72, "3 days", "3 days 0 h"),
        (DAY * 30, "30 days", "30 days 0 h"),
        (datetime.timedelta(minutes=45), "45 min", "45 min"),
        (datetime.timedelta(hours=5, minutes=2), "5 h 02 min", "5 h 02 min"),
        (datetime.timedelta(days=3, hours=4), "76 hours", "3 days 4 h"),
    ],
)
def test_durations_are_worded_by_one_helper(value, span, elapsed):
    with translation.override("en"):
        assert durations.span(value) == span
        delta = value if isinstance(value, datetime.timedelta) else datetime.timedelta(hours=value)
        assert durations.elapsed(delta) == elapsed


def test_the_guards_word_their_limits_with_the_helper(reviewer):
    pass_type = factories.PassTypeFactory(health_proof_max_age_hours=72, max_validity_days=1)
    with translation.override("en"):
        assert "older than 3 days for" in guards.health_proof_error(pass_type, ["王"]).message
        with pytest.raises(WorkflowError, match="at most 24 hours;"):
            guards.check_validity_window(pass_type, timezone.now(), timezone.now() + 2 * DAY)


# --- Template text plus free text -------------------------------------------------------------


def test_template_text_then_free_text_inactive_and_bad_ids_ignored():
    first = ReplyTemplate.objects.create(title="a", body="请补充材料。", position=1)
    second = ReplyTemplate.objects.create(title="b", body="已收到。", position=2)
    hidden = ReplyTemplate.objects.create(title="c", body="停用", position=3, is_active=False)
    ids = [str(second.pk), str(first.pk), str(hidden.pk), "x; drop", ""]
    assert (
        text.with_templates(ReplyTemplate, "body", ids, "  谢谢  ", separator="\n\n")
        == "请补充材料。\n\n已收到。\n\n谢谢"
    )
    assert text.with_templates(ReplyTemplate, "body", [], "  ", separator="\n") == ""
    reason = ReturnReasonTemplate.objects.create(title="r", text="核酸报告超时。")
    assert review.compose_return_reason([reason.pk, "junk"], "请重传") == "核酸报告超时。\n请重传"


# --- Who may decide ---------------------------------------------------------------------------


def test_one_guard_answers_who_may_decide(reviewer, other_reviewer, officer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    pass_request = PassRequest.objects.select_related("pass_type", "assigned_reviewer").get(
        pk=pass_request.pk
    )
    assert guards.may_decide(reviewer, pass_request)
    assert guards.may_decide(officer, pass_request)  # officers act on others' requests
    refusal = guards.decision_refusal(other_reviewer, pass_request)
    assert refusal.code == "claimed_by_other"
    assert guards.decision_refusal(other_reviewer, pass_request, must_hold=False) is None
    applicant = member_of(pass_request.enterprise, "someone")
    assert guards.decision_refusal(applicant, pass_request).code == "not_allowed"
    unclaimed = queued_request()
    assert guards.decision_refusal(reviewer, unclaimed).code == "not_claimed"
    assert not guards.may_decide(officer, unclaimed)  # not in review: nothing to decide yet


def test_a_reviewer_of_another_office_may_not_judge_a_document(reviewer):
    """The review's document verdicts used to ask only who held the request, not the office."""
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    document = add_document(pass_request)
    second = Office.objects.create(name="湘潭市交通运输局", region_code="430300")
    outsider = staff("xt-officer", "Officers")
    second.staff.add(outsider)
    with pytest.raises(WorkflowError) as refused:
        review.mark_document(document, verdict="flagged", by=outsider, reason="看不清")
    assert refused.value.code == "not_allowed"
    assert not DocumentReview.objects.exists()
    review.mark_document(document, verdict="flagged", by=reviewer, reason="看不清")
    assert DocumentReview.objects.get().verdict == "flagged"


# --- Approving despite flagged documents ------------------------------------------------------


def _flag(pass_request, reviewer, name="营业执照.png"):
    document = add_document(pass_request, name=name)
    return DocumentReview.objects.create(
        document=document,
        verdict=DocumentReview.Verdict.FLAGGED,
        reason="印章不清",
        reviewer=reviewer,
    )


def test_approval_with_flagged_documents_needs_the_reviewers_acknowledgement(reviewer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    _flag(pass_request, reviewer)
    with translation.override("en"), pytest.raises(WorkflowError) as refused:
        workflow.approve(pass_request, by=reviewer)
    assert refused.value.code == "flags_not_acknowledged"
    assert (
        "营业执照.png" in refused.value.message and pass_request.reference in refused.value.message
    )
    assert not Pass.objects.exists()
    assert len(workflow.approve(pass_request, by=reviewer, acknowledge_flags=True)) == 1


def test_an_accepted_document_needs_no_acknowledgement(reviewer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    review.mark_document(add_document(pass_request), verdict="accepted", by=reviewer)
    assert len(workflow.approve(pass_request, by=reviewer)) == 1


def test_bulk_approval_leaves_flagged_requests_out_and_says_why(reviewer):
    clean = queued_request()
    flagged = queued_request()
    _flag(flagged, reviewer, name="行驶证.png")
    requests = PassRequest.objects.select_related(
        "enterprise", "pass_type", "assigned_reviewer"
    ).filter(pk__in=[clean.pk, flagged.pk])
    with translation.override("en"):
        plan = review.plan_bulk_approval(requests, reviewer)
    assert [req.pk for req, _n in plan.ready] == [clean.pk]
    ((left, reasons),) = plan.left_out
    assert left.pk == flagged.pk and any("行驶证.png" in reason for reason in reasons)
    issued, errors = review.run_bulk_approval(plan, reviewer)
    assert len(issued) == 1 and not errors
    assert PassRequest.objects.get(pk=flagged.pk).status == PassRequest.Status.SUBMITTED


def test_bulk_renewal_approval_does_not_acknowledge_flags_nor_claim(reviewer, applicant):
    enterprise = applicant.membership.enterprise
    first = issued_passes(factories.submittable_request(enterprise=enterprise), reviewer)
    second = issued_passes(factories.submittable_request(enterprise=enterprise), reviewer)
    clean, flagged = (renewal.file_renewals(p, by=applicant)[0] for p in (first, second))
    _flag(flagged, reviewer, name="核酸.png")
    with translation.override("en"):
        approved, skipped = renewal.approve_clean_renewals([clean, flagged], by=reviewer)
    assert [r.pk for r in approved] == [clean.pk]
    assert "核酸.png" in skipped[flagged.reference]
    flagged.refresh_from_db()
    assert flagged.status == PassRequest.Status.SUBMITTED and flagged.assigned_reviewer is None
    passes = renewal.approve_clean_renewal(flagged, by=reviewer, acknowledge_flags=True)
    assert len(passes) == 1
