"""The guards of the workflow: what must hold before a request may be submitted or approved.

Kept apart from the workflow (which re-exports the checks here) so the rules can be read
and called on their own, e.g. by the portal to list what is still missing before submitting.
"""

import datetime
from collections import defaultdict

from django.db.models import Max, Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import roles
from ..errors import WorkflowError
from ..models import (
    Document,
    DocumentKind,
    DocumentReview,
    Enterprise,
    PassRequest,
    RequestItem,
)
from ..models.catalog import DRIVER_DOCUMENT_KINDS, HEALTH_PROOF_KINDS, VEHICLE_DOCUMENT_KINDS
from ..wording import durations


def missing_documents(pass_request) -> list[str]:
    """Human-readable list of required documents the request does not carry yet.

    Per-vehicle kinds (vehicle licence) are needed for every vehicle and per-driver kinds
    (driving licence, nucleic-acid test) for every driver, either attached to this request or
    kept as standing documents of that vehicle or driver. Other kinds are needed once, on the
    request or (for the business licence) as a standing document of the enterprise.
    """
    required = list(pass_request.pass_type.required_document_kinds)
    if not required:
        return []
    # In the order the vehicles were added, so the list reads like the request.
    items = list(
        pass_request.items.order_by("pk").select_related("vehicle").prefetch_related("drivers")
    )
    on_request = set()
    by_vehicle, by_driver, standing = set(), set(), set()
    # The documents it relies on (``Document.objects.relied_on_by``); a renewal (续期) also
    # relies on what the renewed passes' requests carried, except health proofs.
    docs = Document.objects.relied_on_by(pass_request, renewals=True).filter(kind__in=required)
    for doc in docs.select_related("item"):
        if doc.request_id:
            on_request.add(doc.kind)
            if doc.item_id:
                by_vehicle.add((doc.kind, doc.item.vehicle_id))
        if doc.vehicle_id:
            by_vehicle.add((doc.kind, doc.vehicle_id))
        if doc.driver_id:
            by_driver.add((doc.kind, doc.driver_id))
        if not (doc.request_id or doc.vehicle_id or doc.driver_id):
            standing.add(doc.kind)

    missing = []
    for kind in required:
        label = DocumentKind(kind).label
        if kind in VEHICLE_DOCUMENT_KINDS:
            missing += [
                _("%(kind)s for vehicle %(plate)s") % {"kind": label, "plate": item.vehicle.plate}
                for item in items
                if (kind, item.vehicle_id) not in by_vehicle
            ]
        elif kind in DRIVER_DOCUMENT_KINDS:
            seen = set()
            for item in items:
                for driver in item.drivers.all():
                    if driver.pk in seen or (kind, driver.pk) in by_driver:
                        continue
                    seen.add(driver.pk)
                    missing.append(
                        _("%(kind)s for driver %(name)s") % {"kind": label, "name": driver.name}
                    )
        elif kind not in on_request and kind not in standing:
            missing.append(str(label))
    return missing


def check_submittable(locked: PassRequest) -> None:
    enterprise = locked.enterprise
    if enterprise.verification_status != Enterprise.Verification.VERIFIED:
        raise WorkflowError(
            _(
                "%(enterprise)s has not been verified by the traffic office yet; drafts can be "
                "prepared but not submitted until it is."
            )
            % {"enterprise": enterprise}
            if enterprise.verification_status == Enterprise.Verification.PENDING
            else _("%(enterprise)s is suspended and cannot submit requests.")
            % {"enterprise": enterprise},
            code="enterprise_not_verified",
        )
    if not locked.pass_type.is_active:
        raise WorkflowError(
            _("The pass type %(type)s is no longer issued.") % {"type": locked.pass_type},
            code="pass_type_inactive",
        )
    # Kept on the request as its items: the submission's notice counts them from there.
    prefetch_related_objects(
        [locked],
        Prefetch(
            "items",
            queryset=RequestItem.objects.order_by("pk")
            .select_related("vehicle")
            .prefetch_related("drivers"),
        ),
    )
    items = list(locked.items.all())
    if not items:
        raise WorkflowError(_("Add at least one vehicle before submitting."), code="no_vehicles")
    without_driver = [item.vehicle.plate for item in items if not item.drivers.all()]
    if without_driver:
        raise WorkflowError(
            _("Every vehicle needs at least one driver: %(plates)s.")
            % {"plates": "、".join(without_driver)},
            code="vehicle_without_driver",
        )
    if not (locked.valid_from and locked.valid_until):
        raise WorkflowError(_("Give the requested validity window."), code="no_validity")
    check_validity_window(locked.pass_type, locked.valid_from, locked.valid_until)
    missing = missing_documents(locked)
    if missing:
        raise WorkflowError(
            ngettext(
                "A required document is missing: %(list)s.",
                "Required documents are missing: %(list)s.",
                len(missing),
            )
            % {"list": "; ".join(missing)},
            code="documents_missing",
        )


def check_validity_window(pass_type, valid_from, valid_until) -> None:
    if valid_until <= valid_from:
        raise WorkflowError(
            _("The validity window must end after it starts."), code="invalid_validity"
        )
    if valid_until - valid_from > datetime.timedelta(days=pass_type.max_validity_days):
        raise WorkflowError(
            _("A %(type)s pass is valid for at most %(span)s; the window asked for is longer.")
            % {
                "type": pass_type,
                "span": durations.span(datetime.timedelta(days=pass_type.max_validity_days)),
            },
            code="validity_too_long",
        )


def stale_health_proofs(pass_request, at=None) -> list[str]:
    """Drivers of the request whose newest nucleic-acid test is missing or too old."""
    return stale_health_proofs_bulk([pass_request], at).get(pass_request.pk, [])


def stale_health_proofs_bulk(requests, at=None, drivers=None) -> dict[int, list[str]]:
    """The health-proof rule, for many requests in two queries: request id -> names of the
    drivers whose newest nucleic-acid test (on that request or standing) is missing, older
    than the pass type allows or dated after ``at`` (``PassType.health_proof_problem``, judged
    at ``at``, default now: the moment of the decision). ``requests`` must carry ``pass_type``.

    ``drivers`` (for one request) judges those drivers instead of the request's own: amending
    a pass checks the drivers it is about to name.
    """
    at = at or timezone.now()
    limited = {req.pk: req for req in requests if req.pass_type.health_proof_max_age_hours}
    if not limited:
        return {}
    if drivers is not None:
        (request_id,) = limited
        links = [(request_id, driver.pk, driver.name) for driver in drivers]
    else:
        through = RequestItem.drivers.through
        links = list(
            through.objects.filter(requestitem__request_id__in=list(limited))
            .order_by("requestitem__request_id", "requestitem_id", "driver__name")
            .values_list("requestitem__request_id", "driver_id", "driver__name")
        )
    if not links:
        return {}
    newest = defaultdict(dict)  # driver -> {request id or None: newest tested_at}
    rows = (
        Document.objects.filter(
            driver_id__in={driver for _req, driver, _name in links},
            kind__in=HEALTH_PROOF_KINDS,
            tested_at__isnull=False,
        )
        .filter(Q(request_id__in=list(limited)) | Q(request__isnull=True))
        .values("driver_id", "request_id")
        .annotate(newest=Max("tested_at"))
    )
    for row in rows:
        newest[row["driver_id"]][row["request_id"]] = row["newest"]
    stale = defaultdict(list)
    seen = set()
    for request_id, driver_id, name in links:
        if (request_id, driver_id) in seen:
            continue
        seen.add((request_id, driver_id))
        candidates = [
            value for key, value in newest[driver_id].items() if key is None or key == request_id
        ]
        latest = max(candidates) if candidates else None
        if limited[request_id].pass_type.health_proof_problem(latest, at):
            stale[request_id].append(name)
    return dict(stale)


def health_proof_error(pass_type, names) -> WorkflowError:
    return WorkflowError(
        _("Nucleic-acid test missing or older than %(age)s for: %(names)s.")
        % {
            "age": durations.span(pass_type.health_proof_max_age_hours),  # hours
            "names": "、".join(names),
        },
        code="health_proof_stale",
    )


# --- Who may decide --------------------------------------------------------------------------


def display_name(user) -> str:
    if user is None:
        return _("nobody")
    return user.get_full_name() or user.get_username()


def decision_refusal(user, pass_request, *, must_hold=True) -> WorkflowError | None:
    """Why ``user`` may not decide on ``pass_request`` (approve, return, reject, judge its
    documents), or None: the one answer for the workflow, the review and the admin.

    A reviewer of the request's office decides on the requests they hold; an officer (who may
    assign) on any of their office's. ``must_hold=False`` leaves holding out (claiming, and
    bulk approval, which claims an unheld request first). The request's state is the
    workflow's own check. Reads ``pass_type`` and ``assigned_reviewer``: select them.
    """
    if not roles.can_review(user):
        return WorkflowError(_("Only reviewers can do this."), code="not_allowed")
    if not roles.works_for(user, pass_request.pass_type.office_id):
        return WorkflowError(_("This belongs to another office."), code="not_allowed")
    if must_hold and pass_request.assigned_reviewer_id != user.pk and not roles.can_assign(user):
        holder = pass_request.assigned_reviewer
        if holder is None:
            return WorkflowError(
                _("Claim request %(reference)s before deciding on it.")
                % {"reference": pass_request.reference},
                code="not_claimed",
            )
        return WorkflowError(
            _("Request %(reference)s is being reviewed by %(reviewer)s.")
            % {"reference": pass_request.reference, "reviewer": display_name(holder)},
            code="claimed_by_other",
        )
    return None


def require_decider(user, pass_request, *, must_hold=True) -> None:
    """``decision_refusal``, raised."""
    refusal = decision_refusal(user, pass_request, must_hold=must_hold)
    if refusal is not None:
        raise refusal


def may_decide(user, pass_request) -> bool:
    """Whether ``user`` may decide on ``pass_request`` now (it is in review): what the review
    page offers."""
    return (
        pass_request.status == PassRequest.Status.IN_REVIEW
        and decision_refusal(user, pass_request) is None
    )


# --- Flagged documents -----------------------------------------------------------------------


def flagged_reasons(pass_request) -> dict[int, str]:
    """Document id -> reason for the request's documents a reviewer flagged."""
    return dict(
        DocumentReview.objects.filter(
            document__request=pass_request, verdict=DocumentReview.Verdict.FLAGGED
        ).values_list("document_id", "reason")
    )


def flagged_documents_bulk(request_ids) -> dict[int, list[str]]:
    """Request id -> names of its flagged documents, for many requests in one query."""
    flagged = defaultdict(list)
    for request_id, name in (
        DocumentReview.objects.filter(
            document__request_id__in=list(request_ids), verdict=DocumentReview.Verdict.FLAGGED
        )
        .order_by("document__original_name", "document_id")
        .values_list("document__request_id", "document__original_name")
    ):
        flagged[request_id].append(name)
    return dict(flagged)


def flags_error(pass_request, names) -> WorkflowError:
    """Approving a request with flagged documents needs the reviewer's acknowledgement."""
    return WorkflowError(
        _(
            "Documents of %(reference)s are flagged (%(names)s): confirm that you approve "
            "despite them, or return the request for changes."
        )
        % {"reference": pass_request.reference, "names": "、".join(names)},
        code="flags_not_acknowledged",
    )


def check_flags(pass_request, *, acknowledged: bool) -> None:
    """Refuse approval of a request with flagged documents unless the reviewer acknowledged
    them (``workflow.approve(..., acknowledge_flags=True)``)."""
    if acknowledged:
        return
    names = flagged_documents_bulk([pass_request.pk]).get(pass_request.pk)
    if names:
        raise flags_error(pass_request, names)
