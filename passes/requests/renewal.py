"""Renewal (续期): a new request filed from issued passes, pre-filled with everything the passes
carried (pass type, vehicle, drivers, route, cargo, checkpoints), so the applicant supplies only
what must be new (health proofs within their window) and the reviewer sees what changed.

A selection of passes from several requests becomes one renewal request per source request:
each source has its own route and cargo, and one request has one route.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import audit, roles
from ..errors import WorkflowError
from ..models import Document, Pass, PassRequest, RequestItem
from ..models.catalog import HEALTH_PROOF_KINDS
from ..wording import durations
from . import filing, workflow
from .guards import check_flags, missing_documents, stale_health_proofs

OPEN_STATUSES = (
    PassRequest.Status.DRAFT,
    PassRequest.Status.SUBMITTED,
    PassRequest.Status.IN_REVIEW,
    PassRequest.Status.RETURNED,
)


def _renewable(pass_obj, now) -> None:
    if pass_obj.status == Pass.Status.REVOKED:
        raise WorkflowError(
            _("Pass %(number)s is revoked and cannot be renewed.") % {"number": pass_obj.number},
            code="pass_revoked",
        )
    open_renewal = (
        RequestItem.objects.filter(renews=pass_obj, request__status__in=OPEN_STATUSES)
        .select_related("request")
        .first()
    )
    if open_renewal is not None:
        raise WorkflowError(
            _("Pass %(number)s is already being renewed by request %(reference)s.")
            % {"number": pass_obj.number, "reference": open_renewal.request.reference},
            code="already_renewing",
        )


def _window(source: PassRequest, passes, now):
    """The new window starts when the old one ends (or now, if it has ended) and is as long as
    the old one, within the pass type's maximum."""
    ends = max(p.valid_until for p in passes)
    starts = max(p.valid_from for p in passes)
    length = min(
        ends - starts, datetime.timedelta(days=source.pass_type.max_validity_days)
    ) or datetime.timedelta(days=1)
    valid_from = max(ends, now)
    return valid_from, valid_from + length


def file_renewals(passes, *, by, submit=True, declaration_accepted=False) -> list[PassRequest]:
    """File one renewal request per source request of ``passes`` (all the caller's own).

    With ``submit``, a renewal that needs nothing new is submitted at once; one that does (a
    health proof, a declaration) stays a draft listing what is missing."""
    enterprise = roles.enterprise_of(by)
    passes = list(passes)
    if enterprise is None or not passes:
        raise WorkflowError(_("Choose at least one of your passes."), code="nothing_selected")
    if any(p.request.enterprise_id != enterprise.pk for p in passes):
        raise WorkflowError(_("Choose at least one of your passes."), code="nothing_selected")
    now = timezone.now()
    by_source: dict[int, list[Pass]] = {}
    for pass_obj in sorted(passes, key=lambda p: p.number):
        _renewable(pass_obj, now)
        by_source.setdefault(pass_obj.request_id, []).append(pass_obj)
    filed = []
    with transaction.atomic():
        # The check above is a quick answer; this one decides. Every concurrent renewal of
        # the same pass waits here for the row lock (in pk order, so two selections that
        # overlap cannot deadlock) and then sees the renewal the first one filed.
        for locked in (
            Pass.objects.select_for_update().filter(pk__in=[p.pk for p in passes]).order_by("pk")
        ):
            _renewable(locked, now)
        for group in by_source.values():
            source = group[0].request
            valid_from, valid_until = _window(source, group, now)
            data = {
                "pass_type": source.pass_type_id,
                "cargo_category": source.cargo_category,
                "cargo_description": source.cargo_description,
                "origin": source.origin,
                "destination": source.destination,
                "route_description": source.route_description,
                "checkpoints": [c.pk for c in source.checkpoints.all()],
                "valid_from": valid_from,
                "valid_until": valid_until,
                "items": [
                    {"vehicle": p.vehicle_id, "drivers": [d.pk for d in p.drivers.all()]}
                    for p in group
                ],
            }
            renewal = filing.create_draft(by=by, data=data)
            numbers = {p.vehicle_id: p for p in group}
            for item in renewal.items.all():
                item.renews = numbers[item.vehicle_id]
                item.save(update_fields=["renews"])
            audit.record(
                "request.renewal",
                actor=by,
                request=renewal,
                to_status=renewal.status,
                data={"renews": [p.number for p in group]},
            )
            filed.append(renewal)
    if submit:
        for renewal in filed:
            if not still_needed(renewal) and (
                declaration_accepted or not renewal.pass_type.declaration
            ):
                workflow.submit(renewal, by=by, declaration_accepted=declaration_accepted)
                renewal.refresh_from_db()
    return filed


def still_needed(pass_request) -> list[str]:
    """What the applicant must still supply, each thing once: missing documents, then the
    drivers whose health proof is missing, too old (or dated later than now), with the limit
    and when a new one counts. A driver listed among the missing documents is not named again.
    """
    missing = missing_documents(pass_request)
    needed = [str(label) for label in missing]
    stale = stale_health_proofs(pass_request)
    if stale:
        tested = set(
            Document.objects.relied_on_by(pass_request)
            .filter(kind__in=HEALTH_PROOF_KINDS, tested_at__isnull=False, driver__isnull=False)
            .values_list("driver__name", flat=True)
        )
        required = set(pass_request.pass_type.required_document_kinds) & HEALTH_PROOF_KINDS
        named = [name for name in stale if name in tested or not required]
        if named:
            needed.append(
                _(
                    "a nucleic-acid test for %(names)s, sampled no more than %(age)s before "
                    "the office decides"
                )
                % {
                    "names": "、".join(named),
                    "age": durations.span(pass_request.pass_type.health_proof_max_age_hours),
                }
            )
    return needed


def needed_sentence(needed: list[str]) -> str:
    """The list run into one sentence, in the language's own punctuation (；in Chinese)."""
    separator = pgettext("between items of a list in a sentence", "; ")
    return separator.join(part.rstrip("。.;；") for part in needed)


# --- What the reviewer sees ------------------------------------------------------------------


@dataclass
class ItemComparison:
    number: str
    plate: str
    unchanged: list[str] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)

    @property
    def clean(self) -> bool:
        return not self.changed


def _route(request) -> str:
    ends = " → ".join(part for part in (request.origin, request.destination) if part)
    return "：".join(part for part in (ends, request.route_description) if part)


def _cargo(request) -> str:
    return " · ".join(
        part for part in (request.get_cargo_category_display(), request.cargo_description) if part
    )


def _checkpoints(request) -> str:
    return "、".join(sorted(c.name for c in request.checkpoints.all()))


def compare(pass_request) -> list[ItemComparison]:
    """Per renewed pass: which of vehicle, drivers, pass type, route, cargo and checkpoints are
    unchanged and which changed (with before and after). Empty for an ordinary request."""
    comparisons = []
    # The detail views have the items prefetched: an ordinary request needs no query here.
    if not any(item.renews_id for item in pass_request.items.all()):
        return comparisons
    items = (
        pass_request.items.filter(renews__isnull=False)
        .select_related("vehicle", "renews__request__pass_type")
        .prefetch_related("drivers", "renews__drivers", "renews__request__checkpoints")
        .order_by("pk")
    )
    for item in items:
        old = item.renews
        source = old.request
        pairs = [
            (_("vehicle"), old.plate, item.vehicle.plate),
            (
                _("drivers"),
                "、".join(sorted(d.name for d in old.drivers.all())),
                "、".join(sorted(d.name for d in item.drivers.all())),
            ),
            (_("pass type"), str(source.pass_type), str(pass_request.pass_type)),
            (_("route"), _route(source), _route(pass_request)),
            (_("cargo"), _cargo(source), _cargo(pass_request)),
            (_("checkpoints"), _checkpoints(source), _checkpoints(pass_request)),
        ]
        comparison = ItemComparison(number=old.number, plate=old.plate)
        for label, before, after in pairs:
            if before == after:
                comparison.unchanged.append(str(label))
            else:
                comparison.changed.append((str(label), before, after))
        comparisons.append(comparison)
    return comparisons


def is_renewal(pass_request) -> bool:
    return pass_request.items.filter(renews__isnull=False).exists()


def summary(pass_request) -> str:
    """One line per renewed pass: "renewal of 430200000123: unchanged …; changed …"."""
    lines = []
    for c in compare(pass_request):
        text = _("renewal of %(number)s: unchanged %(unchanged)s") % {
            "number": c.number,
            "unchanged": "、".join(c.unchanged) or "—",
        }
        if c.changed:
            text += _("; changed %(changed)s") % {
                "changed": "、".join(
                    f"{what}（{before} → {after}）" for what, before, after in c.changed
                )
            }
        lines.append(text)
    return "\n".join(lines)


def clean_renewal_problem(pass_request) -> str | None:
    """Why a request cannot be approved as a clean renewal in one action, or None if it can."""
    if pass_request.status not in (PassRequest.Status.SUBMITTED, PassRequest.Status.IN_REVIEW):
        return _("Request %(reference)s is not waiting for a decision.") % {
            "reference": pass_request.reference
        }
    comparisons = compare(pass_request)
    if not comparisons or len(comparisons) != pass_request.vehicle_count():
        return _("Request %(reference)s is not a renewal of issued passes.") % {
            "reference": pass_request.reference
        }
    if any(not c.clean for c in comparisons):
        return _("Request %(reference)s changes something; review it in full.") % {
            "reference": pass_request.reference
        }
    return None


def approve_clean_renewal(pass_request, *, by, acknowledge_flags=False) -> list[Pass]:
    """Claim (if needed) and approve a renewal that changes nothing but the window; the usual
    approval rules (health proofs, enterprise verified, window, flagged documents needing
    ``acknowledge_flags``) still apply. Flags are asked before claiming, so a refused renewal
    is not left claimed."""
    pass_request = PassRequest.objects.select_related("pass_type").get(pk=pass_request.pk)
    problem = clean_renewal_problem(pass_request)
    if problem:
        raise WorkflowError(problem, code="not_a_clean_renewal")
    check_flags(pass_request, acknowledged=acknowledge_flags)
    if not (
        pass_request.status == PassRequest.Status.IN_REVIEW
        and pass_request.assigned_reviewer_id == by.pk
    ):
        workflow.claim(pass_request, by=by)
    return workflow.approve(pass_request, by=by, acknowledge_flags=acknowledge_flags)


def plan_clean_renewals(requests, user):
    """Bulk renewal approval's plan (``review.BulkPlan``): the bulk approval's own checks
    (warnings such as a stale test report, the machine check not all-match, flagged documents,
    who may decide) and, on top, that each is a renewal changing nothing but its window. The
    left-out requests are named with their reasons; nothing is claimed."""
    from .review import plan_bulk_approval

    plan = plan_bulk_approval(requests, user)
    ready = []
    for pass_request, vehicles in plan.ready:
        problem = clean_renewal_problem(pass_request)
        if problem:
            plan.left_out.append((pass_request, [problem]))
        else:
            ready.append((pass_request, vehicles))
    plan.ready = ready
    return plan


def approve_clean_renewals(requests, *, by) -> tuple[list[PassRequest], dict[str, str]]:
    """Bulk: approve each renewal ``plan_clean_renewals`` finds ready; the others are left
    alone with the reason why. Bulk never acknowledges flags or overrides the machine check."""
    plan = plan_clean_renewals(requests, by)
    approved = []
    skipped = {req.reference: " ".join(map(str, reasons)) for req, reasons in plan.left_out}
    for pass_request, _vehicles in plan.ready:
        try:
            approve_clean_renewal(pass_request, by=by)
        except WorkflowError as exc:
            skipped[pass_request.reference] = exc.message
        else:
            approved.append(pass_request)
    return approved, skipped
