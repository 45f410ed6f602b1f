"""Who hears about an event, on which channels, and what each message says.

``build`` returns unsaved outbox rows; ``queue_event`` stores them in the caller's transaction.
Enterprise members get the request, pass and enterprise events; reviewers who asked for it get
new work at once (the others get the digest, see ``periodic``); every active webhook endpoint of
the enterprise gets every request, pass and enterprise event as signed JSON.
"""

import json
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .. import notifications as ev
from ..models import (
    AuditEvent,
    Document,
    Enterprise,
    Membership,
    Notification,
    NotificationPreference,
    Pass,
    PassRequest,
    WebhookEndpoint,
)
from ..models.notifications import Channel
from . import kinds, outbox, texts

# event -> [(audience, template name)]
AUDIENCES = {
    ev.REQUEST_SUBMITTED: [("members", "request_submitted"), ("reviewers", "review_new_work")],
    ev.REQUEST_RESUBMITTED: [
        ("members", "request_resubmitted"),
        ("reviewers", "review_new_work"),
    ],
    ev.REQUEST_RETURNED: [("members", "request_returned")],
    ev.REQUEST_REJECTED: [("members", "request_rejected")],
    ev.REQUEST_APPROVED: [("members", "request_approved")],
    ev.REQUEST_MESSAGE: [("members", "request_message")],
    ev.PASS_REVOKED: [("members", "pass_revoked")],
    ev.PASS_EXPIRING: [("members", "pass_expiring")],
    ev.ENTERPRISE_VERIFIED: [("members", "enterprise_verified")],
    ev.ENTERPRISE_SUSPENDED: [("members", "enterprise_suspended")],
}
WEBHOOK_PREFIXES = ("request.", "pass.", "enterprise.")


@dataclass
class Subject:
    """What an event is about, loaded once for all its recipients."""

    event: str
    enterprise: Enterprise | None = None
    pass_request: PassRequest | None = None
    pass_obj: Pass | None = None
    audit: AuditEvent | None = None
    passes: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    reason: str = ""

    @cached_property
    def vehicle_count(self) -> int:
        return self.pass_request.vehicle_count() if self.pass_request else 0

    def context(self) -> dict:
        return {
            "event": self.event,
            "enterprise": self.enterprise,
            "pass_request": self.pass_request,
            "pass_obj": self.pass_obj,
            "passes": self.passes,
            "pass_count": len(self.passes),
            # Called by the templates that show it (a submission's), counted once at most.
            "vehicle_count": lambda: self.vehicle_count,
            "documents": self.documents,
            "reason": self.reason,
            "request_url": request_url(self.pass_request),
            "pdf_url": pdf_url(self.pass_request) if self.passes else "",
            "site_url": site_url("/"),
            "renew_url": renew_url(),
            "office": settings.PASSDESK_OFFICE_TITLE,
        }


def site_url(path: str) -> str:
    return settings.PASSDESK_PUBLIC_BASE_URL.rstrip("/") + path


def renew_url() -> str:
    """我的通行证 filtered to passes expiring soon, where each has its 续期 (renew) button."""
    path = _reverse_first(["passes:pass-list"])
    return site_url(f"{path}?state=expiring") if path else site_url("/")


def _reverse_first(names, *args) -> str | None:
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def request_url(pass_request) -> str:
    if pass_request is None:
        return site_url("/")
    path = _reverse_first(["passes:request-detail", "passes:request_detail"], pass_request.pk)
    return site_url(path or "/")


def pdf_url(pass_request) -> str:
    """The link to the request's printable passes (the portal page when no PDF view exists)."""
    if pass_request is None:
        return ""
    path = _reverse_first(
        ["passes:request-passes-pdf", "passes:request-pdf", "passes:passes-pdf"], pass_request.pk
    )
    return site_url(path) if path else request_url(pass_request)


def load_subject(
    event: str,
    object_id: int,
    audit_event_id: int | None,
    *,
    pass_request: PassRequest | None = None,
    audit: AuditEvent | None = None,
    passes: list | None = None,
) -> Subject:
    """What the event is about. ``pass_request`` (with its enterprise and pass type),
    ``audit`` and, for an approval, the ``passes`` just issued (with their vehicles), when the
    caller has them in hand, are used instead of read again."""
    subject = Subject(event=event)
    kind = event.split(".", 1)[0]
    if kind == "request" and pass_request is not None and pass_request.pk == object_id:
        subject.pass_request = pass_request
    elif kind == "request":
        subject.pass_request = PassRequest.objects.select_related("enterprise", "pass_type").get(
            pk=object_id
        )
    elif kind == "pass":
        subject.pass_obj = Pass.objects.select_related(
            "request__enterprise", "request__pass_type", "vehicle"
        ).get(pk=object_id)
        subject.pass_request = subject.pass_obj.request
        subject.passes = [subject.pass_obj]
        subject.reason = subject.pass_obj.revocation_reason
    elif kind == "enterprise":
        subject.enterprise = Enterprise.objects.get(pk=object_id)
    if subject.pass_request is not None:
        subject.enterprise = subject.pass_request.enterprise
    if audit is not None and audit.pk == audit_event_id:
        subject.audit = audit
    elif audit_event_id:
        subject.audit = AuditEvent.objects.filter(pk=audit_event_id).first()
    if subject.audit is not None and subject.audit.reason:
        subject.reason = subject.audit.reason
    elif kind == "request" and subject.pass_request.decision_reason:
        subject.reason = subject.pass_request.decision_reason
    if event == ev.REQUEST_APPROVED:
        if passes is not None and subject.pass_request is pass_request:
            subject.passes = sorted(passes, key=lambda issued: issued.number)
        else:
            subject.passes = _issued_passes(subject)
    if event == ev.REQUEST_RETURNED and subject.audit is not None:
        subject.documents = _document_reasons(subject)
    return subject


def _issued_passes(subject) -> list:
    passes = subject.pass_request.passes.select_related("vehicle").order_by("number")
    numbers = (subject.audit.data or {}).get("passes") if subject.audit else None
    if numbers:
        passes = passes.filter(number__in=numbers)
    return list(passes)


def _document_reasons(subject) -> list[dict]:
    """``[{"kind", "name", "reason"}]`` from the return's ``data["documents"]`` (id → reason),
    limited to documents of this request."""
    given = (subject.audit.data or {}).get("documents") or {}
    ids = {}
    for key, reason in given.items():
        try:
            ids[int(key)] = reason
        except (TypeError, ValueError):
            continue
    documents = Document.objects.filter(pk__in=ids, request=subject.pass_request).order_by("pk")
    return [
        {"kind": doc.get_kind_display(), "name": doc.original_name, "reason": ids[doc.pk]}
        for doc in documents
        if str(ids[doc.pk]).strip()
    ]


def preference_of(user) -> NotificationPreference:
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def channels_of(user, preference, kind: str | None = None) -> list[tuple[str, str]]:
    """(channel, address) for each personal channel the member chose and can be reached on.
    WeChat (the bound openid) only for the kinds of message the person chose there."""
    channels = []
    if preference.email_enabled and user.email:
        channels.append((Channel.EMAIL, user.email))
    if preference.sms_enabled and preference.sms_phone:
        channels.append((Channel.SMS, preference.sms_phone))
    if kind and settings.PASSDESK_WECHAT_APP_ID:
        binding = _wechat_binding(user)
        if binding is not None and binding.is_active and kind in (binding.kinds or ()):
            channels.append((Channel.WECHAT, binding.openid))
    return channels


def _wechat_binding(user):
    try:
        return user.wechat_binding
    except ObjectDoesNotExist:
        return None


def template_payload(kind: str, channel: str, context: dict, url: str = "") -> dict:
    """The kind and parameters a template channel (provider SMS, WeChat) sends; {} for e-mail."""
    if channel not in (Channel.SMS, Channel.WECHAT) or kind not in kinds.KINDS:
        return {}
    return kinds.template_payload(kind, context, url=url if channel == Channel.WECHAT else "")


def members(enterprise) -> list:
    memberships = Membership.objects.filter(
        enterprise=enterprise, user__is_active=True
    ).select_related("user", "user__notification_preference", "user__wechat_binding")
    return [membership.user for membership in memberships]


def immediate_reviewers() -> list:
    from .. import roles

    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            notification_preference__review_mode=NotificationPreference.ReviewMode.IMMEDIATE,
        )
        .select_related("notification_preference", "wechat_binding")
    )
    return [user for user in users if roles.can_review(user)]


def person_rows(event, template, people, context, *, key_base, enterprise) -> list:
    rows = []
    rendered = {}
    for user in people:
        preference = preference_of(user)
        language = texts.normalise_language(preference.language)
        channels = channels_of(user, preference, template)
        if not channels:
            continue
        if language not in rendered:
            rendered[language] = texts.render(template, language, context)
        text = rendered[language]
        for channel, address in channels:
            email = channel == Channel.EMAIL
            rows.append(
                Notification(
                    event=event,
                    object_id=key_base[1],
                    audit_event_id=key_base[2],
                    enterprise=enterprise,
                    recipient=user,
                    address=address,
                    channel=channel,
                    language=language,
                    subject=text.subject,
                    body_text=text.text if email else text.sms,
                    body_html=text.html if email else "",
                    template=template_payload(
                        template, channel, context, context.get("request_url", "")
                    ),
                    attachments=[p.pk for p in context.get("passes") or []]
                    if channel == Channel.EMAIL and event == ev.REQUEST_APPROVED
                    else [],
                    idempotency_key=outbox.key(
                        event, key_base[1], key_base[2], f"u{user.pk}", channel
                    ),
                )
            )
    return rows


def webhook_payload(subject: Subject, event_uid: uuid.UUID) -> dict:
    return {
        "id": f"evt_{event_uid.hex}",
        "type": subject.event,
        "time": timezone.now().isoformat(),
        "data": webhook_data(subject),
    }


def _pass_data(pass_obj) -> dict:
    return {
        "number": pass_obj.number,
        "plate": pass_obj.plate,
        "status": pass_obj.status,
        "valid_from": pass_obj.valid_from,
        "valid_until": pass_obj.valid_until,
    }


def webhook_data(subject: Subject) -> dict:
    data = {}
    if subject.enterprise is not None:
        data["enterprise"] = {
            "credit_code": subject.enterprise.credit_code,
            "name": subject.enterprise.name,
            "verification_status": subject.enterprise.verification_status,
        }
    if subject.pass_request is not None:
        data["request"] = {
            "reference": subject.pass_request.reference,
            "status": subject.pass_request.status,
            "pass_type": subject.pass_request.pass_type.code,
            "url": request_url(subject.pass_request),
        }
    if subject.pass_obj is not None:
        data["pass"] = _pass_data(subject.pass_obj)
    elif subject.passes:
        data["passes"] = [_pass_data(p) for p in subject.passes]
    if subject.reason:
        data["reason"] = subject.reason
    if subject.documents:
        data["documents"] = [{"name": d["name"], "reason": d["reason"]} for d in subject.documents]
    return data


def webhook_rows(subject: Subject, *, key_base) -> list:
    endpoints = list(WebhookEndpoint.objects.filter(enterprise=subject.enterprise, is_active=True))
    if not endpoints:
        return []
    event_uid = uuid.uuid4()
    body = json.dumps(
        webhook_payload(subject, event_uid), cls=DjangoJSONEncoder, ensure_ascii=False
    )
    return [
        Notification(
            event=subject.event,
            event_uid=event_uid,
            object_id=key_base[1],
            audit_event_id=key_base[2],
            enterprise=subject.enterprise,
            webhook_endpoint=endpoint,
            address=endpoint.url,
            channel=Channel.WEBHOOK,
            language="",
            subject=subject.event,
            body_text=body,
            idempotency_key=outbox.key(
                subject.event, key_base[1], key_base[2], f"wh{endpoint.pk}", Channel.WEBHOOK
            ),
        )
        for endpoint in endpoints
    ]


def build(
    event: str,
    *,
    object_id: int,
    audit_event_id: int | None,
    pass_request: PassRequest | None = None,
    audit: AuditEvent | None = None,
    passes: list | None = None,
) -> list:
    subject = load_subject(
        event, object_id, audit_event_id, pass_request=pass_request, audit=audit, passes=passes
    )
    context = subject.context()
    rows = []
    for audience, template in AUDIENCES.get(event, ()):
        if audience == "members":
            people, row_event = members(subject.enterprise), event
        else:
            people, row_event = immediate_reviewers(), ev.REVIEW_NEW_WORK
        rows += person_rows(
            row_event,
            template,
            people,
            context,
            key_base=(row_event, object_id, audit_event_id),
            enterprise=subject.enterprise,
        )
    if event.startswith(WEBHOOK_PREFIXES) and subject.enterprise is not None:
        rows += webhook_rows(subject, key_base=(event, object_id, audit_event_id))
    if event == ev.REQUEST_APPROVED:
        from . import robots

        rows += robots.pass_issued_rows(subject, key_base=(event, object_id, audit_event_id))
    return rows
