"""What the e-pass page shows of one pass, for the driver a link belongs to.

No more than the printed pass shows, and less of the people on it: the plate, the number, the
pass type, the validity in Beijing time, the route and checkpoints, the enterprise, this
driver's own name and ID number masked (as on the public ``/v/`` page), and the signed QR code,
the very code printed on the paper pass, so every verifier answers the same for both. Never the
other drivers, a phone number, or the officer's free-text revocation reason.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from ..checkpoint.plates import plate_colour
from ..checkpoint.summary import mask_name
from ..issuing.pdf.sheet import local_end
from ..models import Pass
from ..signing.keys import sign_pass
from ..signing.tokens import group_number, verification_url
from ..validators import mask_id_number
from . import qr

VALID, REVOKED, EXPIRED, NOT_YET_VALID = "valid", "revoked", "expired", "not_yet_valid"


def messages() -> dict:
    """The page script's words (it judges the window itself offline), translated here."""
    return {
        "states": {
            VALID: _("Valid"),
            REVOKED: _("Revoked"),
            EXPIRED: _("Expired"),
            NOT_YET_VALID: _("Not yet valid"),
        },
        "reasons": {
            VALID: "",
            REVOKED: _("Revoked by the traffic office. Do not use this pass."),
            "replaced": _(
                "Replaced by a newer pass: open the newest link the enterprise sent you."
            ),
            EXPIRED: _("The validity ended at %(time)s (Beijing time)."),
            NOT_YET_VALID: _("Valid from %(time)s (Beijing time)."),
        },
        "gone": _(
            "This link no longer opens an e-pass: the enterprise withdrew it or sent a newer "
            "one, or the pass has ended."
        ),
        "live": _("Updated %(age)s ago, at %(time)s"),
        "offline": _("Offline: last updated %(age)s ago, at %(time)s. Shown as then known."),
        "underMinute": _("less than 1 min"),
        "daysHours": _("%(days)s d %(hours)s h"),
        "hoursMinutes": _("%(hours)s h %(minutes)s min"),
        "minutes": _("%(minutes)s min"),
    }


def _beijing(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def state_of(pass_obj: Pass, at=None) -> tuple[str, str]:
    """(state, reason code): valid, revoked (revoked or replaced), expired, not yet valid."""
    at = at or timezone.now()
    status = pass_obj.effective_status(at)
    if status == Pass.Status.REVOKED:
        replaced = Pass.objects.filter(replaces=pass_obj).exists()
        return REVOKED, "replaced" if replaced else REVOKED
    if status == Pass.Status.EXPIRED:
        return EXPIRED, EXPIRED
    if at < pass_obj.valid_from:
        return NOT_YET_VALID, NOT_YET_VALID
    return VALID, VALID


def reason_text(reason: str, pass_obj: Pass) -> str:
    template = messages()["reasons"][reason]
    if reason == EXPIRED:
        return template % {"time": local_end(pass_obj.valid_until)}
    if reason == NOT_YET_VALID:
        return template % {"time": _beijing(pass_obj.valid_from)}
    return template


def card(link, *, state_url: str, at=None) -> dict:
    """The e-pass of ``link`` as JSON-ready data (the page draws it; its script redraws it)."""
    at = at or timezone.now()
    pass_obj = link.pass_obj
    request = pass_obj.request
    state, reason = state_of(pass_obj, at)
    count, path = qr.svg_path(verification_url(sign_pass(pass_obj)))
    checkpoints = [checkpoint.name for checkpoint in request.checkpoints.order_by("name")]
    ends = " → ".join(part for part in (request.origin, request.destination) if part)
    return {
        "url": state_url,
        "state": state,
        "reason": reason,
        "reason_text": reason_text(reason, pass_obj),
        "state_label": messages()["states"][state],
        "plate": pass_obj.plate,
        "plate_colour": plate_colour(pass_obj.plate, pass_obj.vehicle.vehicle_type),
        "number": group_number(pass_obj.number),
        "pass_type": request.pass_type.name,
        "enterprise": request.enterprise.name,
        "valid_from": timezone.localtime(pass_obj.valid_from).isoformat(),
        "valid_until": timezone.localtime(pass_obj.valid_until).isoformat(),
        "valid_from_ms": int(pass_obj.valid_from.timestamp() * 1000),
        "valid_until_ms": int(pass_obj.valid_until.timestamp() * 1000),
        "valid_from_text": _beijing(pass_obj.valid_from),
        "valid_until_text": local_end(pass_obj.valid_until),
        "route": ends,
        "route_detail": request.route_description,
        "checkpoints": "、".join(checkpoints) if request.pass_type.route_bound else "",
        "driver_name": mask_name(link.driver.name),
        "driver_id": mask_id_number(link.driver.id_number),
        "qr_size": count,
        "qr_box": qr.view_box(count),
        "qr_path": path,
        "checked_at": timezone.localtime(at).isoformat(),
        "checked_at_ms": int(at.timestamp() * 1000),
    }


def gone() -> dict:
    """What a withdrawn, replaced or ended link answers: nothing about the pass."""
    return {"state": "gone", "reason_text": messages()["gone"]}
