"""The inspector's page (inspectors only) and the public verification page (anyone)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from .. import access, roles
from ..models import Checkpoint, Decision, Verdict
from . import public, ratelimit, verdicts
from .serializers import MALFORMED_NUMBER


def _messages() -> dict:
    """The page script's words, translated here so the script needs no catalogue."""
    return {
        "offlineTitle": _("Saved offline"),
        "offlineSaved": _(
            "No network: the scan is kept on this phone and will be uploaded and checked when "
            "the network is back. Check the paper pass by eye meanwhile."
        ),
        "queued": _("Scans waiting to upload: %(count)s"),
        "late": _("Uploaded late; scanned at %(time)s"),
        "replay": _("This scan was already recorded."),
        "sessionExpired": _(
            "You are no longer logged in; log in again. The scan is kept on this phone."
        ),
        "cameraUnavailable": _(
            "The camera cannot be used here; type the pass number and plate instead."
        ),
        "needBoth": _("Type the pass number and the plate."),
        "serverError": _("The server could not check this scan: %(message)s"),
        "noPass": _("No pass on record for this code."),
        "checking": _("Checking…"),
        "offlineChecked": _(
            "No network: checked on this phone (signature and copied revocation list); the "
            "scan will be uploaded later."
        ),
        "revokedAsOf": _("Revocation list as of %(time)s."),
        "issuedBy": _("Issued by %(office)s (%(deployment)s), a trusted peer office."),
        "offlineUnknown": _("(not available offline)"),
        "offlineNotListed": _(
            "No live pass with this number and this plate on the copied list. Offline, a wrong "
            "plate looks the same as a wrong number: check both on the paper pass."
        ),
        "notOnLocalList": _("Not on this phone's list"),
        "issuedSinceCopy": _(
            "A pass issued after the list was copied (%(time)s, Beijing time) is not on it: "
            "check the paper pass by eye, or call the office."
        ),
        "validTo": _("to"),
        "beijingTime": _("(Beijing time)"),
        "malformedNumber": str(MALFORMED_NUMBER),
        "unreadableCode": _("unreadable code"),
        "listsNone": _(
            "No offline copy of the pass lists on this phone yet: connect to the network once."
        ),
        "listsAsOf": _("Offline lists as of %(time)s (Beijing time), %(age)s old."),
        "listsTooOld": _("Too old: refresh them on a network."),
        "staleTitle": _("Lists too old"),
        "staleVerdict": _(
            "The copies on this phone are older than the office allows; they would say "
            "“%(verdict)s”. Check the paper pass and call the office."
        ),
        "daysHours": _("%(days)s d %(hours)s h"),
        "hoursMinutes": _("%(hours)s h %(minutes)s min"),
        "minutes": _("%(minutes)s min"),
        "revokedOn": _("Revoked %(time)s (Beijing time)."),
        "revokedBecause": _("Reason: %(reason)s"),
        "revocationCodes": {
            "revoked": _("revoked by the office"),
            "replaced": _("replaced by a newer pass"),
        },
        "expiredAgo": _("Expired %(age)s ago (%(time)s)."),
        "startsAt": _("Valid from %(time)s."),
        "offRoute": _("Not valid at %(here)s: this pass is for %(route)s only."),
        "decided": _("Recorded: %(decision)s."),
        "decisions": {value: str(label) for value, label in Decision.choices},
        "reasons": {code: str(text) for code, text in verdicts.REASONS.items()},
    }


def _api_url(name: str, default: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # the API routes are not mounted (a partial deployment)
        return default


def _verdict_labels() -> dict:
    return {
        verdict.value: {"label": str(verdict.label), "severity": verdicts.SEVERITY[verdict]}
        for verdict in Verdict
    }


@access.policy("catalog")
@never_cache
@ensure_csrf_cookie
@login_required
def inspector(request):
    """A single page: choose the checkpoint once a shift, then scan or type, see the verdict."""
    if not roles.can_scan(request.user):
        raise PermissionDenied(_("Only checkpoint inspectors can use this page."))
    checkpoints = list(
        access.visible_checkpoints(request.user, Checkpoint.objects.filter(is_active=True)).values(
            "id", "code", "name"
        )
    )
    return render(
        request,
        "passes/checkpoint/inspector.html",
        {
            "checkpoints": checkpoints,
            "checkpoint_config": {
                "scanUrl": _api_url("api:scan-create", "/api/v1/scans/"),
                "keysUrl": _api_url("api:trust-keys", "/api/v1/trust/keys/"),
                "revocationsUrl": _api_url("api:revocation-feed", "/api/v1/revocations/"),
                "activePassesUrl": _api_url(
                    "api:active-passes", "/api/v1/checkpoint/active-passes/"
                ),
                "decisionUrl": _api_url("api:scan-decision", "/api/v1/scans/decision/"),
                "serviceWorkerUrl": reverse("passes:checkpoint-sw"),
                "scope": reverse("passes:checkpoint"),
                "verdicts": _verdict_labels(),
                "checkpoints": checkpoints,
                "lateAfterSeconds": settings.PASSDESK_SCAN_LATE_AFTER_SECONDS,
            },
            "messages_js": _messages(),
        },
    )


def _rate_limited(request):
    if ratelimit.allow(request, "verify", settings.PASSDESK_VERIFY_RATE_PER_MINUTE):
        return None
    return render(
        request,
        "passes/checkpoint/verify.html",
        {"throttled": True, "form_values": {}},
        status=429,
    )


@access.public("the QR code's page: whoever holds the signed token may check it")
@never_cache
@require_GET
def verify_token(request, token):
    """The page the QR code leads to: is this printed pass genuine and valid now?"""
    limited = _rate_limited(request)
    if limited:
        return limited
    result = public.check_token(token[:300])
    return render(
        request,
        "passes/checkpoint/verify.html",
        {"result": result, "from_qr": True, "form_values": {}, "checked_at": timezone.now()},
    )


@access.public("the verify form: a number and plate give valid or not, rate-limited")
@never_cache
@require_GET
def verify_form(request):
    """Type the number and plate printed on a pass (GET, so nothing is changed)."""
    number = request.GET.get("number", "")[:40].strip()
    plate = request.GET.get("plate", "")[:20].strip()
    context = {"form_values": {"number": number, "plate": plate}}
    if number or plate:
        limited = _rate_limited(request)
        if limited:
            return limited
        if not (number and plate):
            context["form_error"] = _("Type both the pass number and the plate.")
        else:
            context["result"] = public.check_number(number, plate)
            context["checked_at"] = timezone.now()
    return render(request, "passes/checkpoint/verify.html", context)
