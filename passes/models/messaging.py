"""The office talking with enterprises: announcements, messages on a request, reply templates and
frequently asked questions. Files attached here live in private storage under random names and
are served only through permission-checked views, like scanned materials."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import PassType
from .requests import PassRequest


def announcement_upload_path(instance, filename):
    return f"announcements/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


def message_upload_path(instance, filename):
    return f"messages/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Announcement(models.Model):
    """Guidance from the office to many enterprises at once (the WeChat group's pinned post)."""

    class Audience(models.TextChoices):
        ALL = "all", _("All enterprises")
        KEY = "key", _("Key enterprises")
        PASS_TYPE = "pass_type", _("Enterprises with active passes of a pass type")
        DISTRICT = "district", _("Enterprises of one district")

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        max_length=10000,
        help_text=_("Plain text. Web addresses starting with http:// or https:// become links."),
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.ALL
    )
    pass_type = models.ForeignKey(
        PassType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pass type"),
        help_text=_("For the audience “enterprises with active passes of a pass type”."),
    )
    district = models.CharField(
        _("district code"),
        max_length=6,
        blank=True,
        help_text=_(
            "For the audience “one district”: the 6-digit administrative division code, as in "
            "characters 3 to 8 of the enterprises' unified social credit codes (e.g. 430211)."
        ),
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        default=timezone.now,
        db_index=True,
        help_text=_("Now, or a later time: it is published and sent then."),
    )
    robots = models.ManyToManyField(
        "ChatRobot",
        blank=True,
        related_name="announcements",
        verbose_name=_("group robots"),
        help_text=_("Group chats the announcement is posted to, besides members' own channels."),
    )
    delivery_started_at = models.DateTimeField(_("delivery started"), null=True, blank=True)
    delivery_finished_at = models.DateTimeField(_("delivery queued"), null=True, blank=True)
    enterprises_reached = models.PositiveIntegerField(_("enterprises addressed"), default=0)
    members_addressed = models.PositiveIntegerField(_("members addressed"), default=0)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
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
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-publish_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None

    @property
    def is_published(self):
        return not self.is_withdrawn and self.publish_at <= timezone.now()


class AnnouncementAttachment(models.Model):
    """A file with an announcement (an operating guide as PDF), inspected like a scan."""

    announcement = models.ForeignKey(
        Announcement,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("announcement"),
    )
    file = models.FileField(_("file"), upload_to=announcement_upload_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name or f"attachment-{self.pk}"


class AnnouncementRead(models.Model):
    """A member opened an announcement in the portal (the unread mark and the officers' count)."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="reads", verbose_name=_("announcement")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="announcement_reads",
        verbose_name=_("user"),
    )
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement read")
        verbose_name_plural = _("announcement reads")
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="announcement_read_once")
        ]

    def __str__(self):
        return f"{self.user} read {self.announcement}"


class RequestMessage(models.Model):
    """One message on a request, from the enterprise or the office (in place of a phone call)."""

    request = models.ForeignKey(
        PassRequest, on_delete=models.CASCADE, related_name="messages", verbose_name=_("request")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    from_office = models.BooleanField(_("from the office"), default=False)
    body = models.TextField(_("message"), max_length=4000, blank=True)
    file = models.FileField(
        _("attachment"), upload_to=message_upload_path, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # Enterprise messages: when the office answered (NULL = waiting; the queue's mark and filter).
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["request", "from_office", "answered_at"], name="message_unanswered_idx"
            )
        ]

    def __str__(self):
        return f"{self.request_id}: {self.body[:40]}"


class ReplyTemplate(models.Model):
    """A common answer a reviewer inserts into a reply with one click."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=4000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["position", "title"]

    def __str__(self):
        return self.title


class FaqEntry(models.Model):
    """A frequently asked question, shown on the portal's FAQ page."""

    class Topic(models.TextChoices):
        GENERAL = "general", _("General")
        TYPE = "type", _("Pass types")
        DETAILS = "details", _("Cargo, route and validity")
        VEHICLES = "vehicles", _("Vehicles and drivers")
        DOCUMENTS = "documents", _("Scanned materials")
        REVIEW = "review", _("Review and passes")

    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"), max_length=10000)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, default="general")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("frequently asked question")
        verbose_name_plural = _("frequently asked questions")
        ordering = ["topic", "position", "pk"]

    def __str__(self):
        return self.question
