"""Issuing passes: numbering and creation on approval, queuing their PDF, and amending a pass's
drivers (a new pass replaces the old one). Signing is ``passes.signing``; drawing is
``passes.pdf``; storing the PDFs is ``passes.rendering``."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, roles
from .models import Document, Driver, Pass, PassSerial
from .models.catalog import HEALTH_PROOF_KINDS

SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1


class PassNumbersExhausted(Exception):
    pass


def allocate_pass_numbers(count: int, region_code: str | None = None) -> list[str]:
    """Reserve ``count`` consecutive 12-digit numbers (region code + serial).

    Must run inside the transaction that creates the passes: the counter row stays locked until
    commit, so concurrent approvals wait in turn, and a rollback gives the numbers back.
    """
    region_code = region_code or settings.PASSDESK_REGION_CODE
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_pass_numbers must run inside a transaction")
    PassSerial.objects.get_or_create(region_code=region_code)
    counter = PassSerial.objects.select_for_update().get(region_code=region_code)
    first = counter.last_serial + 1
    last = counter.last_serial + count
    if last > MAX_SERIAL:
        raise PassNumbersExhausted(region_code)
    counter.last_serial = last
    counter.save(update_fields=["last_serial"])
    return [f"{region_code}{serial:0{SERIAL_DIGITS}d}" for serial in range(first, last + 1)]


def issue_passes(pass_request, *, valid_from, valid_until, items=None) -> list[Pass]:
    """Create one active pass per item of an approved request (one vehicle, one pass)."""
    items = list(items if items is not None else pass_request.items.select_related("vehicle"))
    numbers = allocate_pass_numbers(len(items))
    passes = []
    for number, item in zip(numbers, items, strict=True):
        issued = Pass.objects.create(
            number=number,
            request=pass_request,
            item=item,
            vehicle=item.vehicle,
            plate=item.vehicle.plate,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        issued.drivers.set(item.drivers.all())
        passes.append(issued)
    return passes


def queue_rendering(pass_request) -> None:
    """Render the request's combined PDF in a worker once the current transaction commits."""
    from . import tasks

    request_id = getattr(pass_request, "pk", pass_request)
    # robust: with the broker down the approval has committed all the same; the PDF is
    # rendered on demand (download, e-mail) instead of raising at the caller after the commit.
    transaction.on_commit(
        lambda: tasks.render_request_passes.apply_async((request_id,), retry=False), robust=True
    )


def _stale_drivers(pass_obj, drivers, at) -> list[str]:
    """Drivers without a recent enough nucleic-acid test, if the pass type asks for one."""
    limit = pass_obj.request.pass_type.health_proof_max_age_hours
    if not limit:
        return []
    oldest_allowed = at - datetime.timedelta(hours=limit)
    stale = []
    for driver in drivers:
        newest = (
            Document.objects.filter(
                driver=driver, kind__in=HEALTH_PROOF_KINDS, tested_at__isnull=False
            )
            .filter(Q(request=pass_obj.request) | Q(request__isnull=True))
            .order_by("-tested_at")
            .values_list("tested_at", flat=True)
            .first()
        )
        if newest is None or newest < oldest_allowed or newest > at:
            stale.append(driver.name)
    return stale


def amend_pass_drivers(pass_obj, drivers, *, by, reason) -> Pass:
    """Change the drivers of an issued pass: a new pass (new number, same vehicle, plate and
    window, ``replaces`` = the old one) is issued and the old one revoked, in one transaction.

    The printed pass names its drivers, so a change of driver needs a new paper; the old one
    goes into the revocation feed. Needs the revoke permission (officers), since it revokes.
    """
    from .workflow import WorkflowError, revoke_pass

    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("A reason is required."), code="reason_required")
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
        stale = _stale_drivers(old, chosen, now)
        if stale:
            raise WorkflowError(
                _("Nucleic-acid test missing or older than %(hours)d hours for: %(names)s.")
                % {
                    "hours": old.request.pass_type.health_proof_max_age_hours,
                    "names": "、".join(stale),
                },
                code="health_proof_stale",
            )
        (number,) = allocate_pass_numbers(1, old.number[:6])
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
        revoke_pass(
            old,
            by=by,
            reason=_("Replaced by pass %(number)s: %(reason)s")
            % {"number": number, "reason": reason},
        )
        queue_rendering(old.request)
    return new
