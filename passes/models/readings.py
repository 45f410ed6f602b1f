"""What the machine read on a scanned material (OCR), kept with the document. Advisory: a
reviewer sees it beside the filed values; it never approves or rejects anything."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import Document


class DocumentReading(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Being read")
        READ = "read", _("Machine-read")
        NOT_READ = "not_read", _("Not machine-read")

    class Outcome(models.TextChoices):
        ALL_MATCH = "all_match", _("All match")
        MISMATCH = "mismatch", _("Mismatch")
        INCOMPLETE = "incomplete", _("Partly read")
        NONE = "", _("No checks")

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, related_name="reading", verbose_name=_("document")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Why a document was not machine-read: unreadable, no_text, timeout, error, unavailable...
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, blank=True, db_index=True
    )
    # [{"text", "confidence", "page", "box": [[x, y] * 4] as fractions of the page, "source"}]
    lines = models.JSONField(_("text lines"), default=list, blank=True)
    # {"plate": "湘B12345", ...}: the fields extracted for the document's kind
    fields = models.JSONField(_("extracted fields"), default=dict, blank=True)
    # [{"field", "status": match|mismatch|unreadable, "read", "filed", "reason"}]
    checks = models.JSONField(_("checks"), default=list, blank=True)
    engine_version = models.CharField(_("engine version"), max_length=100, blank=True)
    pages = models.PositiveSmallIntegerField(_("pages read"), default=0)
    seconds = models.FloatField(_("time taken (s)"), null=True, blank=True)
    cpu_seconds = models.FloatField(_("CPU time (s)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    requested_at = models.DateTimeField(_("requested at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # While pending: when the sweeper sends the reading again if it is still pending (a task
    # the broker lost, a file the store could not give, a worker that died).
    retry_at = models.DateTimeField(_("next try at"), null=True, blank=True)

    class Meta:
        verbose_name = _("machine reading")
        verbose_name_plural = _("machine readings")

    def __str__(self):
        return f"{self.document_id}: {self.get_status_display()}"
