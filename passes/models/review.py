"""What reviewers record while they work a request: document verdicts, who opened which
document, the officer-maintained return reasons, and the review queue (a proxy of requests)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import Document
from .requests import PassRequest


class ReviewQueue(PassRequest):
    """Submitted and in-review requests, oldest first: the reviewers' working list."""

    class Meta:
        proxy = True
        verbose_name = _("review queue")
        verbose_name_plural = _("review queue")
        permissions = [
            ("view_dashboard", _("Can see the office dashboard")),
            ("export_data", _("Can export requests and passes")),
        ]


class DocumentReview(models.Model):
    """A reviewer's verdict on one document. The latest verdict wins; history is in the audit."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        FLAGGED = "flagged", _("Flagged")

    document = models.OneToOneField(
        Document,
        on_delete=models.CASCADE,
        related_name="review",
        verbose_name=_("document"),
    )
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    reason = models.TextField(_("reason"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), auto_now=True)

    class Meta:
        verbose_name = _("document review")
        verbose_name_plural = _("document reviews")

    def __str__(self):
        return f"{self.document_id}: {self.get_verdict_display()}"


class DocumentView(models.Model):
    """Opening a scan is recorded: who looked at which document, when."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="views", verbose_name=_("document")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("viewed by"),
    )
    viewed_at = models.DateTimeField(_("viewed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("document view")
        verbose_name_plural = _("document views")
        ordering = ["-viewed_at"]

    def __str__(self):
        return f"{self.user_id} → {self.document_id} @ {self.viewed_at:%Y-%m-%d %H:%M}"


class ReturnReasonTemplate(models.Model):
    """A ready-made reason for returning a request (补正), kept by officers."""

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text sent to the enterprise"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("return reason template")
        verbose_name_plural = _("return reason templates")
        ordering = ["position", "title"]

    def __str__(self):
        return self.title
