"""Checkpoint scans: one row per look at a pass, whatever the outcome.

Append-only like the audit trail: a scan is evidence of what an inspector saw at a bridge, so
forged and unknown codes are kept too, and nothing edits or deletes a row afterwards.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import Checkpoint
from .issued import Pass

# How much of a scanned code is kept: enough to recognise a forged token, not a dump of garbage.
RAW_CODE_MAX_LENGTH = 512


class Verdict(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    REVOKED = "revoked", _("Revoked")
    FORGED = "forged", _("Forged")
    UNKNOWN = "unknown", _("Unknown pass")
    PLATE_MISMATCH = "plate_mismatch", _("Plate does not match")
    OFF_ROUTE = "off_route", _("Off route")


class Decision(models.TextChoices):
    """What the inspector did with a vehicle whose pass is good but not for this checkpoint."""

    LET_THROUGH = "let_through", _("Let through")
    TURNED_BACK = "turned_back", _("Turned back")


class ScanEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Scan events are never edited.")

    def delete(self):
        raise PermissionError("Scan events are never deleted.")


class ScanEvent(models.Model):
    pass_obj = models.ForeignKey(
        Pass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scans",
        verbose_name=_("pass"),
    )
    code = models.CharField(_("scanned code"), max_length=RAW_CODE_MAX_LENGTH, blank=True)
    number = models.CharField(_("pass number"), max_length=32, blank=True)
    plate = models.CharField(_("plate"), max_length=16, blank=True)
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="scans", verbose_name=_("checkpoint")
    )
    # No index of its own: the unique (inspector, nonce) index starts with it.
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="scans",
        verbose_name=_("inspector"),
        db_index=False,
    )
    nonce = models.CharField(_("nonce"), max_length=64)
    scanned_at = models.DateTimeField(_("scanned at"), db_index=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    is_late = models.BooleanField(_("uploaded late"), default=False)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices, db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Set once, afterwards, for an off-route scan: the only write a scan row ever gets.
    decision = models.CharField(
        _("inspector's decision"), max_length=20, choices=Decision.choices, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScanEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        ordering = ["-scanned_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["inspector", "nonce"], name="scan_nonce_per_inspector")
        ]

    def __str__(self):
        return f"{self.scanned_at:%Y-%m-%d %H:%M} {self.number or '?'} {self.verdict}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Scan events are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Scan events are never deleted.")
