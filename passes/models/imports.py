"""Bulk imports of vehicles and drivers from a spreadsheet, processed by a Celery task."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enterprises import Enterprise


def import_upload_path(instance, filename):
    return f"imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        VEHICLES = "vehicles", _("Vehicles")
        DRIVERS = "drivers", _("Drivers")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="import_jobs",
        verbose_name=_("enterprise"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=import_upload_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    # The language the uploader used, so the task words the rejection reasons in it.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    created = models.PositiveIntegerField(_("rows saved"), default=0)
    rejected_rows = models.JSONField(
        _("rejected rows"),
        default=list,
        blank=True,
        help_text=_("One entry per refused row: its line number in the file and the reason."),
    )
    error = models.TextField(_("error"), blank=True)
    # Runs started (each counted before it reads the file) and when the job was last handed to
    # a worker or started: the sweeper backs off on both and gives up after the last attempt.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    attempted_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self):
        return int(self.processed * 100 / self.total) if self.total else 0
