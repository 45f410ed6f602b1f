"""What a reviewer should look at twice, computed for many requests at once.

``warnings_for`` takes a page of requests (with ``enterprise`` and ``pass_type`` loaded) and
answers in a fixed number of queries, whatever the page size or the number of documents, so the
queue and the review page can show warnings without N+1 queries. The health-proof rule is the
workflow's own (``guards.stale_health_proofs_bulk``).

Also here: a reviewer's verdict on a document, the record of who opened it, and bulk approval.
Who may decide is ``guards.decision_refusal``, flagged documents ``guards.flagged_reasons``.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..errors import WorkflowError
from ..messaging import text
from ..models import (
    Document,
    DocumentReview,
    DocumentView,
    Enterprise,
    Pass,
    PassRequest,
    RequestItem,
    ReturnReasonTemplate,
)
from ..wording import durations
from . import guards, workflow
from .guards import health_proof_error, stale_health_proofs_bulk

HEALTH_PROOF = "health_proof_stale"
PLATE_HAS_PASS = "plate_has_active_pass"
ENTERPRISE_NOT_VERIFIED = "enterprise_not_verified"
ENTERPRISE_SUSPENDED = "enterprise_suspended"
VALIDITY_TOO_LONG = "validity_too_long"
DUPLICATE_DOCUMENT = "duplicate_document"


@dataclass(frozen=True)
class ReviewWarning:
    code: str
    message: str

    def __str__(self):
        return self.message


def warnings_for(requests, at=None) -> dict[int, list[ReviewWarning]]:
    """Warnings per request id. ``requests`` must carry ``enterprise`` and ``pass_type``."""
    requests = list(requests)
    at = at or timezone.now()
    result = {req.pk: [] for req in requests}
    if not requests:
        return result
    ids = list(result)
    for req in requests:
        result[req.pk] += _enterprise_warnings(req) + _validity_warnings(req)
    items = list(
        RequestItem.objects.filter(request_id__in=ids).values(
            "request_id", "vehicle__plate", "renews__number"
        )
    )
    _health_warnings(requests, at, result)
    _plate_warnings(items, at, result)
    _duplicate_warnings(requests, result)
    return result


def _enterprise_warnings(req):
    status = req.enterprise.verification_status
    if status == Enterprise.Verification.SUSPENDED:
        return [
            ReviewWarning(
                ENTERPRISE_SUSPENDED,
                _("%(enterprise)s is suspended.") % {"enterprise": req.enterprise},
            )
        ]
    if status != Enterprise.Verification.VERIFIED:
        return [
            ReviewWarning(
                ENTERPRISE_NOT_VERIFIED,
                _("%(enterprise)s is not verified.") % {"enterprise": req.enterprise},
            )
        ]
    return []


def _validity_warnings(req):
    if not (req.valid_from and req.valid_until):
        return []
    limit = req.pass_type.max_validity_days
    if req.valid_until - req.valid_from > datetime.timedelta(days=limit):
        asked = req.valid_until - req.valid_from
        return [
            ReviewWarning(
                VALIDITY_TOO_LONG,
                _("Asks for %(asked)s; a %(type)s pass allows at most %(span)s.")
                % {
                    "asked": durations.span(asked),
                    "type": req.pass_type,
                    "span": durations.span(datetime.timedelta(days=limit)),
                },
            )
        ]
    return []


def _health_warnings(requests, at, result):
    """The workflow's health-proof rule (``guards.stale_health_proofs_bulk``) as warnings."""
    by_id = {req.pk: req for req in requests}
    for request_id, names in stale_health_proofs_bulk(requests, at).items():
        error = health_proof_error(by_id[request_id].pass_type, names)
        result[request_id].append(ReviewWarning(HEALTH_PROOF, error.message))


def _plate_warnings(items, at, result):
    plates = defaultdict(set)
    renewing = defaultdict(set)  # a renewal (续期) is expected to hold the pass it renews
    for item in items:
        plates[item["vehicle__plate"]].add(item["request_id"])
        if item.get("renews__number"):
            renewing[item["request_id"]].add(item["renews__number"])
    if not plates:
        return
    held = defaultdict(list)
    for plate, number in (
        Pass.objects.live(at).filter(plate__in=list(plates)).values_list("plate", "number")
    ):
        held[plate].append(number)
    for plate, all_numbers in held.items():
        for request_id in plates[plate]:
            numbers = [n for n in all_numbers if n not in renewing[request_id]]
            if not numbers:
                continue
            result[request_id].append(
                ReviewWarning(
                    PLATE_HAS_PASS,
                    _("%(plate)s already holds active pass %(numbers)s.")
                    % {"plate": plate, "numbers": "、".join(sorted(numbers))},
                )
            )


def _duplicate_warnings(requests, result):
    """The same file (SHA-256) sent on a request of another enterprise."""
    enterprise_of = {req.pk: req.enterprise_id for req in requests}
    own = list(
        Document.objects.filter(request_id__in=list(enterprise_of)).values_list(
            "request_id", "sha256", "original_name"
        )
    )
    if not own:
        return
    elsewhere = defaultdict(list)
    for sha, enterprise_id, reference in Document.objects.filter(
        sha256__in={sha for _req, sha, _name in own}, request__isnull=False
    ).values_list("sha256", "enterprise_id", "request__reference"):
        elsewhere[sha].append((enterprise_id, reference))
    for request_id, sha, name in own:
        others = sorted({ref for ent, ref in elsewhere[sha] if ent != enterprise_of[request_id]})
        if others:
            result[request_id].append(
                ReviewWarning(
                    DUPLICATE_DOCUMENT,
                    _("%(name)s is identical to a document on %(references)s (another enterprise).")
                    % {"name": name, "references": "、".join(others[:3])},
                )
            )


# --- Documents -----------------------------------------------------------------------------


def mark_document(document, *, verdict, by, reason="") -> DocumentReview:
    """Accept or flag a document of a request the user is reviewing; audited."""
    reason = (reason or "").strip()
    if verdict == DocumentReview.Verdict.FLAGGED and not reason:
        raise WorkflowError(_("Say what is wrong with the document."), code="reason_required")
    with transaction.atomic():
        locked = (
            PassRequest.objects.select_for_update(of=("self",))
            .select_related("assigned_reviewer", "enterprise", "pass_type")
            .get(pk=document.request_id)
        )
        guards.require_decider(by, locked)
        if locked.status != PassRequest.Status.IN_REVIEW:
            raise WorkflowError(
                _("Claim request %(reference)s before deciding on it.")
                % {"reference": locked.reference},
                code="not_claimed",
            )
        review, _created = DocumentReview.objects.update_or_create(
            document=document,
            defaults={"verdict": verdict, "reason": reason, "reviewer": by},
        )
        audit.record(
            f"document.{verdict}",
            actor=by,
            request=locked,
            reason=reason,
            data={"document": document.pk, "name": document.original_name},
        )
    return review


def record_view(document, user) -> DocumentView:
    return DocumentView.objects.create(document=document, user=user)


def compose_return_reason(template_ids, free_text) -> str:
    """The chosen return-reason templates' texts, then the reviewer's own words, one a line."""
    return text.with_templates(
        ReturnReasonTemplate, "text", template_ids, free_text, separator="\n"
    )


# --- Bulk approval -------------------------------------------------------------------------


@dataclass
class BulkPlan:
    ready: list = field(default_factory=list)  # (request, vehicles)
    left_out: list = field(default_factory=list)  # (request, [reasons])

    @property
    def passes_to_issue(self):
        return sum(vehicles for _req, vehicles in self.ready)


def machine_all_match(request_ids) -> set | None:
    """Which requests the machine check found all-match; None when machine reading is off
    (bulk approval then works as before)."""
    from django.conf import settings

    from ..documents.ocr.request_checks import annotate_machine_check

    if not settings.PASSDESK_OCR_ENABLED:
        return None
    return set(
        annotate_machine_check(PassRequest.objects.filter(pk__in=request_ids))
        .filter(machine_all_match=True)
        .values_list("pk", flat=True)
    )


def plan_bulk_approval(requests, user) -> BulkPlan:
    """Which of ``requests`` approval would issue passes for, and which it leaves out and why.
    Flagged documents leave a request out: bulk approval never acknowledges them on the
    reviewer's behalf (``workflow.approve(..., acknowledge_flags=...)``)."""
    requests = list(requests)
    warnings = warnings_for(requests)
    all_match = machine_all_match([req.pk for req in requests])
    flagged = guards.flagged_documents_bulk([req.pk for req in requests])
    plan = BulkPlan()
    for req in requests:
        reasons = [str(w) for w in warnings[req.pk]]
        if all_match is not None and req.pk not in all_match:
            reasons.append(
                _("Machine check: not all match (a mismatch, or a scan not machine-read).")
            )
        if req.pk in flagged:
            reasons.append(guards.flags_error(req, flagged[req.pk]).message)
        if req.status not in PassRequest.QUEUE_STATUSES:
            reasons.append(_("It is %(status)s.") % {"status": req.get_status_display()})
        else:
            # An unheld request is claimed first, so holding is asked only of a held one.
            refusal = guards.decision_refusal(
                user, req, must_hold=req.assigned_reviewer_id is not None
            )
            if refusal is not None:
                reasons.append(refusal.message)
        if reasons:
            plan.left_out.append((req, reasons))
        else:
            plan.ready.append((req, req.vehicle_count()))
    return plan


def run_bulk_approval(plan: BulkPlan, user):
    """Claim the unassigned requests, then approve each one; returns (passes, errors)."""
    issued, errors = [], []
    for req, _vehicles in plan.ready:
        try:
            if req.assigned_reviewer_id is None:
                workflow.claim(req, by=user)
            issued += workflow.approve(req, by=user)
        except WorkflowError as error:
            errors.append((req, error.message))
    return issued, errors
