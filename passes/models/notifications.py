"""The notification outbox, people's channel preferences and enterprises' webhooks.

A ``Notification`` row is written in the same transaction as the change it reports, so a change
that commits always has its notifications, and one that rolls back has none. Celery only moves
rows from queued to sent; a row that never reached the broker is picked up by the sweeper.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import MobileField
from .enterprises import Enterprise


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")
    WECHAT = "wechat", _("WeChat")
    ROBOT = "robot", _("Group robot")


class NotificationPreference(models.Model):
    """How one person wants to hear from passdesk. Absent row = the defaults below."""

    class ReviewMode(models.TextChoices):
        IMMEDIATE = "immediate", _("An e-mail for every new submission")
        DIGEST = "digest", _("One digest e-mail listing new submissions")
        OFF = "off", _("No e-mail about new work")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    email_enabled = models.BooleanField(_("e-mail"), default=True)
    sms_enabled = models.BooleanField(_("SMS"), default=False)
    sms_phone = MobileField(_("mobile number for SMS"), blank=True)
    review_mode = models.CharField(
        _("new work (reviewers)"),
        max_length=10,
        choices=ReviewMode.choices,
        default=ReviewMode.DIGEST,
    )
    last_digest_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)


class Notification(models.Model):
    """One message to one recipient on one channel (the outbox row)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead (gave up)")

    class Failure(models.TextChoices):
        """What the last failure asks for (``channels.DeliveryFailure.kind``)."""

        RETRY = "retry", _("Retrying (outage or timeout)")
        RATE_LIMITED = "rate_limited", _("Rate limited: waiting, not counted as an attempt")
        GIVE_UP = "give_up", _("Given up: this message cannot be delivered")
        CONFIGURATION = "configuration", _("Fix the configuration, then retry")

    DELIVERABLE = (Status.QUEUED, Status.FAILED)

    event = models.CharField(_("event"), max_length=40, db_index=True)
    event_uid = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    audit_event_id = models.BigIntegerField(_("audit event id"), null=True, blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("enterprise"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    webhook_endpoint = models.ForeignKey(
        "WebhookEndpoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("webhook endpoint"),
    )
    chat_robot = models.ForeignKey(
        "ChatRobot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("group robot"),
    )
    address = models.CharField(_("address"), max_length=500)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # Pass ids whose PDFs the e-mail carries; rendered when sending, not inside the transaction.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Template channels (provider SMS, WeChat): {"kind", "params", "url"} (notifications.kinds).
    template = models.JSONField(_("template and parameters"), default=dict, blank=True)
    # The provider's id of the accepted message (Alibaba BizId, Tencent SerialNo, WeChat msgid).
    provider_ref = models.CharField(_("provider's message id"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When the row was last handed to the broker (or is due to be); NULL: the broker refused it.
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    failure = models.CharField(
        _("what the failure asks for"), max_length=15, choices=Failure.choices, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["event", "object_id"], name="notification_event_obj_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.address} ({self.channel})"


class WebhookEndpoint(models.Model):
    """An HTTPS endpoint an enterprise registered; deliveries are signed with ``secret``."""

    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("enterprise"),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_webhook_secret)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One attempt to deliver a notification to a webhook endpoint, with what came back."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        verbose_name=_("notification"),
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    request_body = models.TextField(_("request body"))
    signature_header = models.CharField(_("signature header"), max_length=200)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_body = models.TextField(_("response body (start)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.endpoint} #{self.attempt}: {self.response_status or self.error[:40]}"

    @property
    def succeeded(self):
        return self.response_status is not None and 200 <= self.response_status < 300
