"""Drivers' e-pass links (``/d/<token>``): made when a pass is issued, renewed or amended, told
again when it is revoked, resent, handed over or withdrawn by the enterprise.

A link is bound to one driver and one pass and opens nothing after the pass's end. The token
is 120 random bits; only its SHA-256 is stored (``DriverLink.token_hash``), so a new link
(resend, hand-over as a QR code) replaces the old one: the link in clear exists only in the SMS
and on the enterprise's screen. Every SMS goes through the notification outbox, written in the
caller's transaction like every other message, so a change that rolls back sends nothing.

The workflow calls ``pass_issued`` and ``pass_revoked`` inside its transactions; the portal and
the API call ``resend``, ``handover`` and ``withdraw`` (rate-limited, audited).
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import audit, ratelimit
from ..errors import WorkflowError
from ..models import Driver, DriverLink, Notification, Pass
from ..models.notifications import Channel
from ..notifications import kinds, outbox

logger = logging.getLogger(__name__)

# Outbox event names (``Notification.event``) and the template kinds (``notifications.kinds``).
EVENT_LINK = "driver.epass_link"
EVENT_REVOKED = "driver.pass_revoked"
KIND_LINK = "driver_epass_link"
KIND_REVOKED = "pass_revoked"

# Why a link is sent; kept in the audit event and the outbox row's idempotency key.
ISSUED, RENEWED, AMENDED, RESENT = "issued", "renewed", "amended", "resent"

TOKEN_BYTES = 15  # 120 bits, 20 characters: the SMS stays one segment with the link whole


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_path(token: str) -> str:
    try:
        return reverse("passes:epass", args=[token])
    except NoReverseMatch:  # the driver's pages are not mounted (a partial deployment)
        return f"/d/{token}"


def link_url(token: str) -> str:
    return settings.PASSDESK_PUBLIC_BASE_URL.rstrip("/") + link_path(token)


def resolve(token: str) -> DriverLink | None:
    """The link a token opens (whatever its state), with its pass and driver, or None."""
    token = (token or "").strip()
    if not (16 <= len(token) <= 64):
        return None
    return (
        DriverLink.objects.select_related(
            "driver", "pass_obj__request__enterprise", "pass_obj__request__pass_type"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


def _mint(link: DriverLink | None, pass_obj, driver_id: int, now) -> tuple[DriverLink, str]:
    """A fresh token for (pass, driver): a new row, or the old row with its token replaced."""
    token = new_token()
    if link is None:
        link = DriverLink(pass_obj=pass_obj, driver_id=driver_id)
    link.token_hash = hash_token(token)
    link.created_at = now
    link.expires_at = pass_obj.valid_until
    link.withdrawn_at = None
    return link, token


def _sms_text(kind: str, pass_obj, url: str) -> str:
    """What the logging and gateway backends send (provider templates use the params). The
    link comes last and the words are few: a one-segment SMS keeps the link whole."""
    with translation.override(settings.LANGUAGE_CODE):
        if kind == KIND_REVOKED:
            return _("%(plate)s pass %(number)s revoked, do not use it.") % {
                "plate": pass_obj.plate,
                "number": pass_obj.number,
            }
        return _("%(plate)s e-pass: %(link)s") % {"plate": pass_obj.plate, "link": url}


def _sms_row(kind, event, pass_obj, driver, *, url="", key, enterprise_id, audit_event_id=None):
    """One outbox row: an SMS to the driver's phone for ``kind`` with its parameters."""
    return Notification(
        event=event,
        object_id=pass_obj.pk,
        audit_event_id=audit_event_id,
        enterprise_id=enterprise_id,
        address=driver.phone,
        channel=Channel.SMS,
        language=settings.LANGUAGE_CODE,
        body_text=_sms_text(kind, pass_obj, url),
        idempotency_key=key[:200],
        # Provider SMS (Alibaba, Tencent) sends the approved template with these parameters.
        template=kinds.template_payload(
            kind, {"plate": pass_obj.plate, "number": pass_obj.number, "link": url}
        ),
    )


def _queue(rows) -> None:
    """Store the rows in the caller's transaction; hand them to Celery after the commit."""
    ids = outbox.store(rows)
    if ids:
        transaction.on_commit(lambda: outbox.dispatch(ids))


def _drivers_by_pass(pass_ids) -> dict[int, list[Driver]]:
    through = Pass.drivers.through
    found: dict[int, list[Driver]] = {pk: [] for pk in pass_ids}
    for row in through.objects.filter(pass_id__in=pass_ids).select_related("driver"):
        found[row.pass_id].append(row.driver)
    return found


def pass_issued(passes, *, reason=ISSUED, enterprise_id=None) -> int:
    """Make a link for every driver named on ``passes`` (just created) and queue each its SMS.

    Runs inside the workflow's transaction, in a savepoint: a failure here is logged and leaves
    the approval alone (the enterprise can resend from 我的通行证). Returns the SMS queued."""
    passes = list(passes)
    if not passes:
        return 0
    try:
        with transaction.atomic():
            return _issue_links(passes, reason, enterprise_id)
    except Exception:
        logger.exception("could not make drivers' e-pass links for %s", [p.pk for p in passes])
        return 0


def _issue_links(passes, reason, enterprise_id) -> int:
    now = timezone.now()
    drivers = _drivers_by_pass([p.pk for p in passes])
    existing = {
        (link.pass_obj_id, link.driver_id): link
        for link in DriverLink.objects.filter(pass_obj__in=passes)
    }
    made, rows = [], []
    for pass_obj in passes:
        owner = enterprise_id or pass_obj.request.enterprise_id
        for driver in drivers[pass_obj.pk]:
            link, token = _mint(existing.get((pass_obj.pk, driver.pk)), pass_obj, driver.pk, now)
            link.last_sent_at = now
            link.send_count += 1
            made.append(link)
            rows.append(
                _sms_row(
                    KIND_LINK,
                    EVENT_LINK,
                    pass_obj,
                    driver,
                    url=link_url(token),
                    key=f"{EVENT_LINK}:{reason}:{pass_obj.pk}:{driver.pk}:{link.send_count}",
                    enterprise_id=owner,
                )
            )
    new = [link for link in made if link.pk is None]
    DriverLink.objects.bulk_create(new)
    old = [link for link in made if link.pk is not None]
    if old:
        DriverLink.objects.bulk_update(
            old,
            [
                "token_hash",
                "created_at",
                "expires_at",
                "withdrawn_at",
                "last_sent_at",
                "send_count",
            ],
        )
    _queue(rows)
    return len(rows)


def pass_revoked(pass_obj, *, audit_event=None) -> int:
    """Tell each driver with a live link that the pass is revoked (their e-pass page turns grey
    at its next refresh; the link keeps opening it, grey, until the pass's end). A driver named
    on a live pass that replaces this one (an amendment) hears of the new pass instead."""
    try:
        with transaction.atomic():
            now = timezone.now()
            carried_on = set(
                Pass.drivers.through.objects.filter(
                    pass_id__in=Pass.objects.live(now).filter(replaces=pass_obj).values("pk")
                ).values_list("driver_id", flat=True)
            )
            links = DriverLink.objects.filter(
                pass_obj=pass_obj, withdrawn_at__isnull=True, expires_at__gt=now
            ).select_related("driver")
            rows = [
                _sms_row(
                    KIND_REVOKED,
                    EVENT_REVOKED,
                    pass_obj,
                    link.driver,
                    key=f"{EVENT_REVOKED}:{pass_obj.pk}:{link.driver_id}",
                    enterprise_id=pass_obj.request.enterprise_id,
                    audit_event_id=getattr(audit_event, "pk", None),
                )
                for link in links
                if link.driver_id not in carried_on
            ]
            _queue(rows)
            return len(rows)
    except Exception:
        logger.exception("could not tell drivers of pass %s it is revoked", pass_obj.pk)
        return 0


# --- The enterprise's actions ----------------------------------------------------------------


def _check_sendable(pass_obj, now) -> None:
    status = pass_obj.effective_status(now)
    if status != Pass.Status.ACTIVE:
        raise WorkflowError(
            _("Pass %(number)s is %(status)s: its e-pass cannot be sent.")
            % {"number": pass_obj.number, "status": Pass.Status(status).label},
            code="pass_not_active",
        )


def _drivers_on(pass_obj, driver_ids) -> list[Driver]:
    """The pass's drivers among ``driver_ids`` (all of them when it is None); another id is
    an error, as a driver not on the pass has no e-pass of it."""
    named = list(pass_obj.drivers.order_by("name", "pk"))
    if driver_ids is None:
        return named
    wanted = {int(pk) for pk in driver_ids}
    chosen = [driver for driver in named if driver.pk in wanted]
    if not wanted or len(chosen) != len(wanted):
        raise WorkflowError(
            _("Choose drivers named on pass %(number)s.") % {"number": pass_obj.number},
            code="invalid_drivers",
        )
    return chosen


def _allow_send(pass_obj, driver) -> None:
    """At most ``PASSDESK_EPASS_SENDS_PER_HOUR`` new links per driver and pass, and
    ``PASSDESK_EPASS_ENTERPRISE_SENDS_PER_HOUR`` per enterprise: each costs an SMS."""
    per_driver = settings.PASSDESK_EPASS_SENDS_PER_HOUR
    per_enterprise = settings.PASSDESK_EPASS_ENTERPRISE_SENDS_PER_HOUR
    if not (
        ratelimit.hit(f"epass-send:{pass_obj.pk}:{driver.pk}", per_driver, 3600)
        and ratelimit.hit(f"epass-send-ent:{pass_obj.request.enterprise_id}", per_enterprise, 3600)
    ):
        raise WorkflowError(
            _("Too many links sent to %(driver)s for this pass; try again in an hour.")
            % {"driver": driver.name},
            code="too_many_sends",
        )


def resend(pass_obj, driver_ids=None, *, by) -> list[DriverLink]:
    """A new link by SMS to each chosen driver (all the pass's drivers by default); the link
    sent before stops opening the e-pass."""
    now = timezone.now()
    _check_sendable(pass_obj, now)
    drivers = _drivers_on(pass_obj, driver_ids)
    for driver in drivers:
        _allow_send(pass_obj, driver)
    with transaction.atomic():
        existing = {link.driver_id: link for link in DriverLink.objects.filter(pass_obj=pass_obj)}
        links, rows = [], []
        for driver in drivers:
            link, token = _mint(existing.get(driver.pk), pass_obj, driver.pk, now)
            link.last_sent_at = now
            link.send_count += 1
            link.save()
            links.append(link)
            rows.append(
                _sms_row(
                    KIND_LINK,
                    EVENT_LINK,
                    pass_obj,
                    driver,
                    url=link_url(token),
                    key=f"{EVENT_LINK}:{RESENT}:{pass_obj.pk}:{driver.pk}:{link.send_count}",
                    enterprise_id=pass_obj.request.enterprise_id,
                )
            )
        audit.record(
            "epass.send",
            actor=by,
            pass_obj=pass_obj,
            request=pass_obj.request,
            data={"drivers": [driver.pk for driver in drivers]},
        )
        _queue(rows)
    return links


def handover(pass_obj, driver_id, *, by) -> str:
    """A new link for one driver, shown on the enterprise's screen (as a QR code to scan) and
    not sent; it replaces the link sent before. Returns the link."""
    now = timezone.now()
    _check_sendable(pass_obj, now)
    (driver,) = _drivers_on(pass_obj, [driver_id])
    _allow_send(pass_obj, driver)
    with transaction.atomic():
        url = fresh_link(pass_obj, driver.pk, now=now)
        audit.record(
            "epass.handover",
            actor=by,
            pass_obj=pass_obj,
            request=pass_obj.request,
            data={"drivers": [driver.pk]},
        )
    return url


def fresh_link(pass_obj, driver_id: int, *, now=None) -> str:
    """A new link for (pass, driver), replacing the old one; no check, no SMS, no audit: the
    hand-over's core, and the demo's (``manage.py demo`` prints one driver's link)."""
    link, token = _mint(
        DriverLink.objects.filter(pass_obj=pass_obj, driver_id=driver_id).first(),
        pass_obj,
        driver_id,
        now or timezone.now(),
    )
    link.save()
    return link_url(token)


def withdraw(pass_obj, driver_ids=None, *, by) -> int:
    """Stop the chosen drivers' links (all by default) opening the e-pass; a page already open
    on a phone forgets the pass at its next refresh. Returns how many were withdrawn."""
    drivers = _drivers_on(pass_obj, driver_ids)
    with transaction.atomic():
        count = DriverLink.objects.filter(
            pass_obj=pass_obj, driver__in=drivers, withdrawn_at__isnull=True
        ).update(withdrawn_at=timezone.now())
        audit.record(
            "epass.withdraw",
            actor=by,
            pass_obj=pass_obj,
            request=pass_obj.request,
            data={"drivers": [driver.pk for driver in drivers]},
        )
    return count


def links_of(pass_obj) -> list[tuple[Driver, DriverLink | None]]:
    """Each driver named on the pass with their link (None: never made)."""
    links = {link.driver_id: link for link in DriverLink.objects.filter(pass_obj=pass_obj)}
    return [(driver, links.get(driver.pk)) for driver in pass_obj.drivers.order_by("name", "pk")]


def mark_opened(link: DriverLink, at=None) -> None:
    """Remember when the driver last opened the link (at most one write in five minutes)."""
    at = at or timezone.now()
    if link.last_opened_at is None or (at - link.last_opened_at).total_seconds() > 300:
        DriverLink.objects.filter(pk=link.pk).update(last_opened_at=at)
        link.last_opened_at = at
