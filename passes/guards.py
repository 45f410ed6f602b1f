"""The guards of the workflow: what must hold before a request may be submitted or approved.

Kept apart from ``passes.workflow`` (which re-exports everything here) so the rules can be read
and called on their own, e.g. by the portal to list what is still missing before submitting.
"""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Document, DocumentKind, Enterprise, PassRequest
from .models.catalog import DRIVER_DOCUMENT_KINDS, HEALTH_PROOF_KINDS, VEHICLE_DOCUMENT_KINDS


class WorkflowError(Exception):
    """A transition that is not allowed. ``code`` is stable for API clients; ``message`` is
    translated for people."""

    def __init__(self, message: str, code: str = "workflow_error"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)


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
    docs = Document.objects.filter(enterprise_id=pass_request.enterprise_id, kind__in=required)
    on_request = set()
    by_vehicle, by_driver, standing = set(), set(), set()
    # A renewal (续期) relies on what the renewed passes' requests carried, except health
    # proofs: those must be new, within the pass type's window.
    renewed_requests = pass_request.items.filter(renews__isnull=False).values("renews__request")
    inherited = Q(request__in=renewed_requests) & ~Q(kind__in=HEALTH_PROOF_KINDS)
    for doc in docs.filter(Q(request=pass_request) | inherited).select_related("item"):
        on_request.add(doc.kind)
        if doc.item_id:
            by_vehicle.add((doc.kind, doc.item.vehicle_id))
        if doc.vehicle_id:
            by_vehicle.add((doc.kind, doc.vehicle_id))
        if doc.driver_id:
            by_driver.add((doc.kind, doc.driver_id))
    for doc in docs.filter(request__isnull=True):
        if doc.vehicle_id:
            by_vehicle.add((doc.kind, doc.vehicle_id))
        elif doc.driver_id:
            by_driver.add((doc.kind, doc.driver_id))
        else:
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
    items = list(locked.items.order_by("pk").select_related("vehicle").prefetch_related("drivers"))
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
            _("A %(type)s pass is valid for at most %(days)d days; the window asked for is longer.")
            % {"type": pass_type, "days": pass_type.max_validity_days},
            code="validity_too_long",
        )


def stale_health_proofs(pass_request, at=None) -> list[str]:
    """Drivers whose newest nucleic-acid test is missing or older than the pass type allows."""
    limit = pass_request.pass_type.health_proof_max_age_hours
    if not limit:
        return []
    at = at or timezone.now()
    oldest_allowed = at - datetime.timedelta(hours=limit)
    stale = []
    seen = set()
    for item in pass_request.items.order_by("pk").prefetch_related("drivers"):
        for driver in item.drivers.all():
            if driver.pk in seen:
                continue
            seen.add(driver.pk)
            newest = (
                Document.objects.filter(
                    driver=driver, kind__in=HEALTH_PROOF_KINDS, tested_at__isnull=False
                )
                .filter(Q(request=pass_request) | Q(request__isnull=True))
                .order_by("-tested_at")
                .values_list("tested_at", flat=True)
                .first()
            )
            if newest is None or newest < oldest_allowed or newest > at:
                stale.append(driver.name)
    return stale
