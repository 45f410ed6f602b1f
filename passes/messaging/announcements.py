"""Publishing, delivering and withdrawing announcements.

Publishing only saves the announcement and, after the commit, hands its id to Celery: the
officer's request never waits for a thousand enterprises. The start task picks the audience and
queues one batch task per ``PASSDESK_ANNOUNCEMENT_BATCH_SIZE`` enterprises; each batch writes
the outbox rows of its members (their chosen channels, in their language) and of the
enterprises' webhooks, and dispatches them. Every row has an idempotency key (announcement +
recipient + channel), so a batch that runs twice sends nothing twice. Announcements due later
are started by the beat task ``publish_due_announcements``.
"""

import json
import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import (
    Announcement,
    AnnouncementAttachment,
    AnnouncementRead,
    Membership,
    Notification,
    WebhookEndpoint,
)
from ..models.notifications import Channel
from ..notifications import outbox, texts
from ..notifications.outbox import key
from ..notifications.recipients import (
    channels_of,
    preference_of,
    site_url,
    template_payload,
)
from . import audience
from .text import clean

EVENT = "announcement.published"
TEMPLATE = "announcement"
# SMS short form: the title is cut so the whole message stays within one 70-character segment.
SMS_TITLE_LENGTH = {"zh-hans": 30, "en": 24}
SMS_LIMIT = 70

logger = logging.getLogger(__name__)


def validate(announcement) -> None:
    """The audience's details must be given: a pass type, or a 6-digit district code."""
    errors = {}
    if announcement.audience == Announcement.Audience.PASS_TYPE and not announcement.pass_type_id:
        errors["pass_type"] = _("Choose the pass type whose holders should get this.")
    if announcement.audience == Announcement.Audience.DISTRICT:
        district = (announcement.district or "").strip()
        if not (len(district) == 6 and district.isdigit()):
            errors["district"] = _("Give the district as its 6-digit code, e.g. 430211.")
    if not clean(announcement.body):
        errors["body"] = _("Write the announcement's text.")
    if errors:
        raise ValidationError(errors)


def detail_url(announcement) -> str:
    return site_url(reverse("passes:announcement-detail", args=[announcement.pk]))


def reschedule(announcement, *, by) -> Announcement:
    """Save changes to an announcement not sent yet (its time, text or audience)."""
    validate(announcement)
    announcement.title = clean(announcement.title)
    announcement.body = clean(announcement.body)
    announcement.save()
    audit.record(
        "announcement.change",
        actor=by,
        data={
            "announcement": announcement.pk,
            "audience": announcement.audience,
            "publish_at": announcement.publish_at.isoformat(),
        },
    )
    if announcement.publish_at <= timezone.now() and announcement.delivery_started_at is None:
        pk = announcement.pk
        transaction.on_commit(lambda: queue_start(pk))
    return announcement


def publish(announcement, *, by) -> Announcement:
    """Save a new announcement (inside the caller's transaction) and start its delivery after
    the commit when it is due now; a later one waits for the beat task."""
    validate(announcement)
    announcement.title = clean(announcement.title)
    announcement.body = clean(announcement.body)
    announcement.created_by = announcement.created_by or by
    announcement.save()
    audit.record(
        "announcement.publish",
        actor=by,
        data={
            "announcement": announcement.pk,
            "audience": announcement.audience,
            "publish_at": announcement.publish_at.isoformat(),
        },
    )
    if announcement.publish_at <= timezone.now():
        pk = announcement.pk
        transaction.on_commit(lambda: queue_start(pk))
    return announcement


def queue_start(pk: int) -> None:
    try:
        start_announcement_delivery.delay(pk)
    except Exception as error:  # the broker is down: the beat task starts it within a minute
        if start_announcement_delivery.app.conf.task_always_eager:
            raise
        logger.warning("could not queue announcement %s, beat will: %s", pk, error)


def start_delivery(pk: int) -> int:
    """Claim the announcement's delivery (once), pick its enterprises and queue the batches.
    Returns the number of batches queued (0 when another run has it, or it was withdrawn)."""
    now = timezone.now()
    claimed = Announcement.objects.filter(
        pk=pk, delivery_started_at__isnull=True, withdrawn_at__isnull=True, publish_at__lte=now
    ).update(delivery_started_at=now)
    if not claimed:
        return 0
    announcement = Announcement.objects.get(pk=pk)
    enterprise_ids = list(
        audience.enterprises_for(announcement, now=now).order_by("pk").values_list("pk", flat=True)
    )
    members = Membership.objects.filter(
        enterprise_id__in=enterprise_ids, user__is_active=True
    ).count()
    Announcement.objects.filter(pk=pk).update(
        enterprises_reached=len(enterprise_ids), members_addressed=members
    )
    post_to_groups(announcement)
    size = max(1, settings.PASSDESK_ANNOUNCEMENT_BATCH_SIZE)
    batches = [enterprise_ids[i : i + size] for i in range(0, len(enterprise_ids), size)]
    for batch in batches:
        deliver_announcement_batch.delay(pk, batch)
    Announcement.objects.filter(pk=pk).update(delivery_finished_at=timezone.now())
    return len(batches)


@shared_task(name="passes.start_announcement_delivery", acks_late=True, ignore_result=True)
def start_announcement_delivery(announcement_id: int) -> int:
    """The worker's ``start_delivery`` (claimed once: safe to run twice)."""
    return start_delivery(announcement_id)


def post_to_groups(announcement) -> int:
    """Queue the announcement's posts to the group robots chosen for it (once: the rows'
    keys are unique). Returns how many were queued."""
    from ..notifications import robots

    ids = outbox.store(robots.announcement_rows(announcement, detail_url(announcement)))
    outbox.dispatch(ids)
    return len(ids)


def _context(announcement, language) -> dict:
    title = announcement.title
    limit = SMS_TITLE_LENGTH.get(language, 24)
    short = title if len(title) <= limit else title[: limit - 1] + "…"
    return {
        "announcement": announcement,
        "title": title,
        "short_title": " ".join(short.split()),
        "body": announcement.body,
        "attachments": [a.original_name for a in announcement.attachments.all()],
        "announcement_url": detail_url(announcement),
        "faq_url": site_url(reverse("passes:faq")),
        "office": settings.PASSDESK_OFFICE_TITLE,
    }


def person_rows(announcement, memberships) -> list[Notification]:
    rendered = {}
    rows = []
    for membership in memberships:
        user = membership.user
        preference = preference_of(user)
        language = texts.normalise_language(preference.language)
        channels = channels_of(user, preference, TEMPLATE)
        if not channels:
            continue
        if language not in rendered:
            context = _context(announcement, language)
            rendered[language] = (
                texts.render(TEMPLATE, language, context),
                context,
            )
        text, context = rendered[language]
        for channel, address in channels:
            email = channel == Channel.EMAIL
            rows.append(
                Notification(
                    event=EVENT,
                    object_id=announcement.pk,
                    enterprise_id=membership.enterprise_id,
                    recipient=user,
                    address=address,
                    channel=channel,
                    language=language,
                    subject=text.subject,
                    body_text=text.text if email else text.sms[:SMS_LIMIT],
                    body_html=text.html if email else "",
                    template=template_payload(
                        TEMPLATE, channel, context, context["announcement_url"]
                    ),
                    idempotency_key=key(EVENT, announcement.pk, None, f"u{user.pk}", channel),
                )
            )
    return rows


def webhook_payload(announcement) -> dict:
    return {
        "announcement": {
            "id": announcement.pk,
            "title": announcement.title,
            "text": announcement.body,
            "url": detail_url(announcement),
            "published_at": announcement.publish_at,
            "attachments": [a.original_name for a in announcement.attachments.all()],
        }
    }


def webhook_rows(announcement, enterprise_ids) -> list[Notification]:
    rows = []
    data = webhook_payload(announcement)
    endpoints = WebhookEndpoint.objects.filter(enterprise_id__in=enterprise_ids, is_active=True)
    for endpoint in endpoints:
        event_uid = uuid.uuid4()
        body = {
            "id": f"evt_{event_uid.hex}",
            "type": EVENT,
            "time": timezone.now().isoformat(),
            "data": data,
        }
        rows.append(
            Notification(
                event=EVENT,
                event_uid=event_uid,
                object_id=announcement.pk,
                enterprise_id=endpoint.enterprise_id,
                webhook_endpoint=endpoint,
                address=endpoint.url,
                channel=Channel.WEBHOOK,
                language="",
                subject=EVENT,
                body_text=json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
                idempotency_key=key(EVENT, announcement.pk, None, f"wh{endpoint.pk}", "webhook"),
            )
        )
    return rows


def deliver_batch(pk: int, enterprise_ids: list[int]) -> int:
    """Write and dispatch the outbox rows of one batch of enterprises. Safe to run twice."""
    announcement = (
        Announcement.objects.filter(pk=pk, withdrawn_at__isnull=True)
        .prefetch_related("attachments")
        .first()
    )
    if announcement is None:
        return 0
    memberships = Membership.objects.filter(
        enterprise_id__in=enterprise_ids, user__is_active=True
    ).select_related("user", "user__notification_preference", "user__wechat_binding")
    rows = person_rows(announcement, memberships) + webhook_rows(announcement, enterprise_ids)
    ids = outbox.store(rows)
    outbox.dispatch(ids)
    return len(ids)


@shared_task(name="passes.deliver_announcement_batch", acks_late=True, ignore_result=True)
def deliver_announcement_batch(announcement_id: int, enterprise_ids: list[int]) -> int:
    """The worker's ``deliver_batch`` (the outbox's keys make a second run write nothing)."""
    return deliver_batch(announcement_id, enterprise_ids)


def publish_due(*, now=None) -> int:
    """Start every announcement that is due and not started yet (the beat task)."""
    now = now or timezone.now()
    due = Announcement.objects.filter(
        delivery_started_at__isnull=True, withdrawn_at__isnull=True, publish_at__lte=now
    ).values_list("pk", flat=True)
    count = 0
    for pk in due:
        start_announcement_delivery.delay(pk)
        count += 1
    return count


@shared_task(name="passes.publish_due_announcements", acks_late=True, ignore_result=True)
def publish_due_announcements() -> int:
    """Beat: ``publish_due``."""
    return publish_due()


def withdraw(announcement, *, by) -> int:
    """Take an announcement out of the portal and stop what has not been sent yet. Messages
    already delivered cannot be recalled. Returns how many queued messages were stopped."""
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.withdrawn_at is not None:
            return 0
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = by
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        stopped = Notification.objects.filter(
            event=EVENT, object_id=locked.pk, status__in=Notification.DELIVERABLE
        ).update(
            status=Notification.Status.DEAD,
            last_error="announcement withdrawn before this was sent",
        )
        audit.record(
            "announcement.withdraw",
            actor=by,
            data={"announcement": locked.pk, "stopped": stopped},
        )
    announcement.withdrawn_at = locked.withdrawn_at
    return stopped


def add_attachment(announcement, uploaded_file) -> AnnouncementAttachment:
    """Inspect a file like a scanned material (content sniffed, size and pages capped, broken
    or encrypted PDFs refused) and keep it with the announcement. Raises ``UploadRejected``."""
    from ..documents.inspection import inspect_upload

    inspected = inspect_upload(uploaded_file)
    attachment = AnnouncementAttachment(
        announcement=announcement,
        original_name=inspected.name,
        content_type=inspected.content_type,
        size=inspected.size,
        sha256=inspected.sha256,
    )
    attachment.file.save(inspected.name, uploaded_file, save=False)
    attachment.save()
    return attachment


def mark_read(announcement, user) -> None:
    AnnouncementRead.objects.get_or_create(announcement=announcement, user=user)


def with_reach(queryset):
    """Annotate ``members_reached`` (distinct people sent at least one message) and
    ``opened`` (people who opened it in the portal), one subquery each."""
    sent = (
        Notification.objects.filter(
            event=EVENT,
            object_id=OuterRef("pk"),
            status=Notification.Status.SENT,
            recipient__isnull=False,
        )
        .order_by()
        .values("object_id")
        .annotate(n=Count("recipient", distinct=True))
        .values("n")
    )
    opened = (
        AnnouncementRead.objects.filter(announcement=OuterRef("pk"))
        .order_by()
        .values("announcement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        members_reached=Coalesce(Subquery(sent, output_field=IntegerField()), 0),
        opened=Coalesce(Subquery(opened, output_field=IntegerField()), 0),
    )


def pending_count(announcement) -> int:
    return Notification.objects.filter(
        Q(status__in=Notification.DELIVERABLE) | Q(status=Notification.Status.SENDING),
        event=EVENT,
        object_id=announcement.pk,
    ).count()
