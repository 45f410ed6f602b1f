"""Every state change of a pass request or pass goes through this module.

Each transition runs in one transaction with the request row locked (``select_for_update``),
checks that the actor may make it and that the request is in a state it can leave that way,
writes an AuditEvent and queues notifications for after the commit. A transition that is not
allowed raises ``WorkflowError``, whose message the portal, the API and the admin show as is.
"""

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import audit, notifications, roles
from ..epass import links as driver_links
from ..errors import WorkflowError
from ..issuing import numbering, rendering
from ..models import Driver, Enterprise, Pass, PassRequest
from .guards import (
    check_flags,
    check_submittable,
    check_validity_window,
    display_name,
    health_proof_error,
    missing_documents,
    require_decider,
    stale_health_proofs,
    stale_health_proofs_bulk,
)

Status = PassRequest.Status

__all__ = [
    "STATES_WITH_PASSES",
    "TRANSITIONS",
    "WorkflowError",
    "allowed_actions",
    "amend_pass_drivers",
    "approve",
    "assign",
    "check_submittable",
    "check_validity_window",
    "claim",
    "expire_pass",
    "missing_documents",
    "reject",
    "resubmit",
    "return_for_changes",
    "revoke_pass",
    "set_enterprise_verification",
    "stale_health_proofs",
    "submit",
    "withdraw",
]


# action -> (states it may start from, state it ends in)
TRANSITIONS = {
    "submit": ({Status.DRAFT}, Status.SUBMITTED),
    "claim": ({Status.SUBMITTED, Status.IN_REVIEW}, Status.IN_REVIEW),
    "approve": ({Status.IN_REVIEW}, Status.APPROVED),
    "return": ({Status.IN_REVIEW}, Status.RETURNED),
    "reject": ({Status.IN_REVIEW}, Status.REJECTED),
    "resubmit": ({Status.RETURNED}, Status.SUBMITTED),
    "withdraw": ({Status.DRAFT, Status.SUBMITTED, Status.RETURNED}, Status.WITHDRAWN),
}

# Passes are issued by "approve" alone (an amendment replaces a pass of an approved request),
# and no transition leaves the state it ends in: a request in any other state holds no pass,
# and readers may skip looking (``detail`` does, for most of the details the API answers).
STATES_WITH_PASSES = frozenset({TRANSITIONS["approve"][1]})


def allowed_actions(pass_request) -> list[str]:
    """The actions whose starting states include the request's current state."""
    return [
        name for name, (sources, _target) in TRANSITIONS.items() if pass_request.status in sources
    ]


def _action_label(action: str) -> str:
    # "Request … is Approved and cannot be withdrawn now." Own context: other languages need a
    # verb here where English reuses the participle that also labels states elsewhere.
    labels = {
        "submit": pgettext("cannot be … now", "submitted"),
        "claim": pgettext("cannot be … now", "claimed"),
        "approve": pgettext("cannot be … now", "approved"),
        "return": pgettext("cannot be … now", "returned for changes"),
        "reject": pgettext("cannot be … now", "rejected"),
        "resubmit": pgettext("cannot be … now", "resubmitted"),
        "withdraw": pgettext("cannot be … now", "withdrawn"),
    }
    return labels[action]


def _lock(pass_request, within=None) -> PassRequest:
    """The request (an instance or an id) read again under its row lock, with what the
    transitions check. ``within``: the caller's scope, a queryset of requests; a request
    outside it raises ``PassRequest.DoesNotExist`` as a missing one does, so an interface
    scopes and locks in one statement instead of reading the request first."""
    request_id = getattr(pass_request, "pk", pass_request)
    scope = PassRequest.objects if within is None else within
    return (
        scope.select_for_update(of=("self",))
        .select_related("enterprise", "pass_type", "assigned_reviewer")
        .get(pk=request_id)
    )


def _check_state(locked: PassRequest, action: str) -> None:
    sources, _target = TRANSITIONS[action]
    if locked.status not in sources:
        raise WorkflowError(
            _("Request %(reference)s is %(status)s and cannot be %(action)s now.")
            % {
                "reference": locked.reference,
                "status": locked.get_status_display(),
                "action": _action_label(action),
            },
            code="invalid_transition",
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("A reason is required."), code="reason_required")
    return reason


def _move(locked, action, actor, *, reason="", data=None, **timestamps):
    from_status = locked.status
    locked.status = TRANSITIONS[action][1]
    for field, value in timestamps.items():
        setattr(locked, field, value)
    locked.save()
    return audit.record(
        f"request.{action}",
        actor=actor,
        request=locked,
        from_status=from_status,
        to_status=locked.status,
        reason=reason,
        data=data,
    )


def _notify(event_name: str, locked: PassRequest, event, passes=None) -> None:
    """Queue the request event's notifications, handing over the locked request, its audit
    event and the passes just issued so the outbox does not read them again."""
    notifications.queue_event(
        event_name,
        object_id=locked.pk,
        audit_event_id=event.pk,
        pass_request=locked,
        audit_event=event,
        passes=passes,
    )


# --- Transitions ---------------------------------------------------------------------------


def _take_declaration(locked, accepted: bool) -> None:
    """A pass type with a declaration (承诺) needs it accepted before the office sees the file."""
    if not locked.pass_type.declaration:
        return
    if accepted:
        locked.declaration_accepted_at = timezone.now()
    elif locked.declaration_accepted_at is None:
        raise WorkflowError(
            _("Accept the declaration (承诺) of %(type)s before submitting.")
            % {"type": locked.pass_type},
            code="declaration_required",
        )


def submit(pass_request, *, by, declaration_accepted=False, within=None) -> PassRequest:
    with transaction.atomic():
        locked = _lock(pass_request, within)
        roles.require_member(by, locked.enterprise)
        _check_state(locked, "submit")
        check_submittable(locked)
        _take_declaration(locked, declaration_accepted)
        event = _move(locked, "submit", by, submitted_at=timezone.now())
        _notify(notifications.REQUEST_SUBMITTED, locked, event)
    return locked


def resubmit(pass_request, *, by, declaration_accepted=False, within=None) -> PassRequest:
    with transaction.atomic():
        locked = _lock(pass_request, within)
        roles.require_member(by, locked.enterprise)
        _check_state(locked, "resubmit")
        check_submittable(locked)
        _take_declaration(locked, declaration_accepted)
        event = _move(
            locked,
            "resubmit",
            by,
            submitted_at=timezone.now(),
            assigned_reviewer=None,
            claimed_at=None,
        )
        _notify(notifications.REQUEST_RESUBMITTED, locked, event)
    return locked


def withdraw(pass_request, *, by, within=None) -> PassRequest:
    with transaction.atomic():
        locked = _lock(pass_request, within)
        roles.require_member(by, locked.enterprise)
        _check_state(locked, "withdraw")
        event = _move(locked, "withdraw", by, withdrawn_at=timezone.now())
        _notify(notifications.REQUEST_WITHDRAWN, locked, event)
    return locked


def claim(pass_request, *, by, within=None) -> PassRequest:
    """Take a request from the queue. A request held by another reviewer stays theirs; an
    officer uses ``assign`` to move it."""
    with transaction.atomic():
        locked = _lock(pass_request, within)
        require_decider(by, locked, must_hold=False)
        _check_state(locked, "claim")
        if locked.assigned_reviewer_id == by.pk and locked.status == Status.IN_REVIEW:
            return locked
        if locked.assigned_reviewer_id and locked.status == Status.IN_REVIEW:
            raise WorkflowError(
                _("Request %(reference)s is already being reviewed by %(reviewer)s.")
                % {
                    "reference": locked.reference,
                    "reviewer": display_name(locked.assigned_reviewer),
                },
                code="claimed_by_other",
            )
        event = _move(locked, "claim", by, assigned_reviewer=by, claimed_at=timezone.now())
        _notify(notifications.REQUEST_CLAIMED, locked, event)
    return locked


def assign(pass_request, *, reviewer, by) -> PassRequest:
    """An officer hands a queued request to a reviewer (or takes it from one)."""
    with transaction.atomic():
        locked = _lock(pass_request)
        if not roles.can_assign(by):
            raise WorkflowError(_("Only officers can assign requests."), code="not_allowed")
        if not roles.can_review(reviewer):
            raise WorkflowError(
                _("%(user)s is not a reviewer.") % {"user": display_name(reviewer)},
                code="not_a_reviewer",
            )
        roles.require_office(by, locked.pass_type.office_id)
        roles.require_office(
            reviewer,
            locked.pass_type.office_id,
            _("%(user)s works for another office.") % {"user": display_name(reviewer)},
        )
        _check_state(locked, "claim")
        previous = locked.assigned_reviewer
        from_status = locked.status
        locked.status = Status.IN_REVIEW
        locked.assigned_reviewer = reviewer
        locked.claimed_at = timezone.now()
        locked.save()
        audit.record(
            "request.assign",
            actor=by,
            request=locked,
            from_status=from_status,
            to_status=locked.status,
            data={
                "reviewer": reviewer.get_username(),
                "previous_reviewer": previous.get_username() if previous else None,
            },
        )
    return locked


def approve(
    pass_request,
    *,
    by,
    valid_from=None,
    valid_until=None,
    within=None,
    acknowledge_flags=False,
) -> list[Pass]:
    """Approve and issue one pass per vehicle. The validity may be narrowed by the reviewer but
    never beyond the pass type's maximum; drivers' health proofs must be fresh now. Documents a
    reviewer flagged need ``acknowledge_flags``: the reviewer's own "approve despite them",
    which every interface asks for and none gives on the reviewer's behalf."""
    with transaction.atomic():
        locked = _lock(pass_request, within)
        require_decider(by, locked)
        _check_state(locked, "approve")
        check_flags(locked, acknowledged=acknowledge_flags)
        valid_from = valid_from or locked.valid_from
        valid_until = valid_until or locked.valid_until
        if not (valid_from and valid_until):
            raise WorkflowError(_("Give the validity window."), code="no_validity")
        check_validity_window(locked.pass_type, valid_from, valid_until)
        if valid_until <= timezone.now():
            raise WorkflowError(
                _("The validity window has already ended; give a new one."),
                code="validity_ended",
            )
        stale = stale_health_proofs(locked)
        if stale:
            raise health_proof_error(locked.pass_type, stale)
        if locked.enterprise.verification_status != Enterprise.Verification.VERIFIED:
            raise WorkflowError(
                _("%(enterprise)s is not verified.") % {"enterprise": locked.enterprise},
                code="enterprise_not_verified",
            )
        passes = numbering.issue_passes(locked, valid_from=valid_from, valid_until=valid_until)
        locked.valid_from, locked.valid_until = valid_from, valid_until
        event = _move(
            locked,
            "approve",
            by,
            decided_at=timezone.now(),
            data={"passes": [issued.number for issued in passes]},
        )
        _notify(notifications.REQUEST_APPROVED, locked, event, passes)
        renewed = [issued for issued in passes if issued.item.renews_id]
        fresh = [issued for issued in passes if not issued.item.renews_id]
        for group, reason in ((fresh, driver_links.ISSUED), (renewed, driver_links.RENEWED)):
            driver_links.pass_issued(group, reason=reason, enterprise_id=locked.enterprise_id)
        rendering.queue_rendering(locked)
    return passes


def return_for_changes(pass_request, *, by, reason, document_reasons=None) -> PassRequest:
    """Send back for corrections (补正). ``document_reasons`` maps document ids to a reason."""
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = _lock(pass_request)
        require_decider(by, locked)
        _check_state(locked, "return")
        event = _move(
            locked,
            "return",
            by,
            reason=reason,
            data={"documents": {str(k): v for k, v in (document_reasons or {}).items()}},
            decision_reason=reason,
            decided_at=timezone.now(),
        )
        _notify(notifications.REQUEST_RETURNED, locked, event)
    return locked


def reject(pass_request, *, by, reason, within=None) -> PassRequest:
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = _lock(pass_request, within)
        require_decider(by, locked)
        _check_state(locked, "reject")
        event = _move(
            locked, "reject", by, reason=reason, decision_reason=reason, decided_at=timezone.now()
        )
        _notify(notifications.REQUEST_REJECTED, locked, event)
    return locked


def revoke_pass(pass_obj, *, by, reason) -> Pass:
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Pass.objects.select_for_update().get(pk=getattr(pass_obj, "pk", pass_obj))
        if not roles.can_revoke(by):
            raise WorkflowError(_("Only officers can revoke passes."), code="not_allowed")
        if roles.offices_of(by) is not None:
            roles.require_office(by, locked.request.pass_type.office_id)
        if locked.status == Pass.Status.REVOKED:
            raise WorkflowError(
                _("Pass %(number)s is already revoked.") % {"number": locked.number},
                code="already_revoked",
            )
        from_status = locked.status
        locked.status = Pass.Status.REVOKED
        locked.revoked_at = timezone.now()
        locked.status_changed_at = locked.revoked_at  # the revocation feed's cursor
        locked.revoked_by = by
        locked.revocation_reason = reason
        locked.save()
        event = audit.record(
            "pass.revoke",
            actor=by,
            pass_obj=locked,
            request=locked.request,
            from_status=from_status,
            to_status=locked.status,
            reason=reason,
        )
        notifications.queue_event(
            notifications.PASS_REVOKED, object_id=locked.pk, audit_event_id=event.pk
        )
        driver_links.pass_revoked(locked, audit_event=event)
    return locked


def amend_pass_drivers(pass_obj, drivers, *, by, reason) -> Pass:
    """Change the drivers of an issued pass: a new pass (new number, same vehicle, plate and
    window, ``replaces`` = the old one) is issued and the old one revoked, in one transaction.

    The printed pass names its drivers, so a change of driver needs a new paper; the old one
    goes into the revocation feed. Needs the revoke permission (officers), since it revokes.
    """
    reason = _require_reason(reason)
    if not (roles.can_review(by) and roles.can_revoke(by)):
        raise WorkflowError(_("Only officers can amend issued passes."), code="not_allowed")
    with transaction.atomic():
        old = (
            Pass.objects.select_for_update(of=("self",))
            .select_related("request__pass_type", "request__enterprise")
            .get(pk=getattr(pass_obj, "pk", pass_obj))
        )
        now = timezone.now()
        if old.effective_status(now) != Pass.Status.ACTIVE:
            raise WorkflowError(
                _("Pass %(number)s is %(status)s and cannot be amended.")
                % {"number": old.number, "status": Pass.Status(old.effective_status(now)).label},
                code="pass_not_active",
            )
        driver_ids = {getattr(driver, "pk", driver) for driver in drivers}
        chosen = list(
            Driver.objects.filter(pk__in=driver_ids, enterprise_id=old.request.enterprise_id)
        )
        if not chosen or len(chosen) != len(driver_ids):
            raise WorkflowError(
                _("Choose at least one driver of %(enterprise)s.")
                % {"enterprise": old.request.enterprise},
                code="invalid_drivers",
            )
        if driver_ids == set(old.drivers.values_list("pk", flat=True)):
            raise WorkflowError(
                _("The pass already names these drivers."), code="drivers_unchanged"
            )
        stale = stale_health_proofs_bulk([old.request], now, drivers=chosen)
        if stale:
            raise health_proof_error(old.request.pass_type, stale[old.request.pk])
        (number,) = numbering.allocate_pass_numbers(1, old.number[:6])
        new = Pass.objects.create(
            number=number,
            request=old.request,
            item=old.item,
            vehicle=old.vehicle,
            plate=old.plate,
            valid_from=old.valid_from,
            valid_until=old.valid_until,
            replaces=old,
        )
        new.drivers.set(chosen)
        audit.record(
            "pass.amend",
            actor=by,
            pass_obj=new,
            request=old.request,
            to_status=new.status,
            reason=reason,
            data={
                "replaces": old.number,
                "old_drivers": sorted(old.drivers.values_list("pk", flat=True)),
                "drivers": sorted(driver_ids),
            },
        )
        driver_links.pass_issued(
            [new], reason=driver_links.AMENDED, enterprise_id=old.request.enterprise_id
        )
        revoke_pass(
            old,
            by=by,
            reason=_("Replaced by pass %(number)s: %(reason)s")
            % {"number": number, "reason": reason},
        )
        rendering.queue_rendering(old.request)
    return new


def expire_pass(pass_obj, *, at=None) -> bool:
    """Mark an active pass whose window has ended as expired (the periodic sweep calls this).
    Returns False when there is nothing to do, so running the sweep twice changes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = (
            Pass.objects.select_for_update()
            .due_to_expire(at)
            .filter(pk=getattr(pass_obj, "pk", pass_obj))
            .first()
        )
        if locked is None:
            return False
        locked.status = Pass.Status.EXPIRED
        locked.status_changed_at = timezone.now()  # the revocation feed's cursor
        locked.save(update_fields=["status", "status_changed_at"])
        event = audit.record(
            "pass.expire",
            pass_obj=locked,
            request=locked.request,
            from_status=Pass.Status.ACTIVE,
            to_status=Pass.Status.EXPIRED,
        )
        notifications.queue_event(
            notifications.PASS_EXPIRED, object_id=locked.pk, audit_event_id=event.pk
        )
    return True


@shared_task(name="passes.expire_passes", acks_late=True)
def expire_passes() -> int:
    """Beat: expire every active pass whose validity has ended; returns how many changed."""
    now = timezone.now()
    due = Pass.objects.due_to_expire(now)
    return sum(expire_pass(pass_id, at=now) for pass_id in due.values_list("pk", flat=True))


def set_enterprise_verification(enterprise, *, status, by, reason="") -> Enterprise:
    """Verify or suspend an enterprise (officers only)."""
    if not roles.can_verify_enterprises(by):
        raise WorkflowError(_("Only officers can verify enterprises."), code="not_allowed")
    if status not in Enterprise.Verification.values:
        raise WorkflowError(
            _("Unknown verification state: %(status)s.") % {"status": status},
            code="invalid_status",
        )
    if status == Enterprise.Verification.SUSPENDED:
        reason = _require_reason(reason)
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(
            pk=getattr(enterprise, "pk", enterprise)
        )
        if locked.verification_status == status:
            return locked
        from_status = locked.verification_status
        locked.verification_status = status
        if status == Enterprise.Verification.VERIFIED:
            locked.verified_at = timezone.now()
        locked.save()
        event = audit.record(
            f"enterprise.{status}",
            actor=by,
            enterprise=locked,
            from_status=from_status,
            to_status=status,
            reason=reason,
        )
        if status == Enterprise.Verification.VERIFIED:
            notifications.queue_event(
                notifications.ENTERPRISE_VERIFIED, object_id=locked.pk, audit_event_id=event.pk
            )
        elif status == Enterprise.Verification.SUSPENDED:
            notifications.queue_event(
                notifications.ENTERPRISE_SUSPENDED, object_id=locked.pk, audit_event_id=event.pk
            )
    return locked
