"""Scanned materials. Files live in private storage under random names."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import DocumentKind
from .enterprises import Driver, Enterprise, Vehicle
from .requests import PassRequest, RequestItem


def document_upload_path(instance, filename):
    """A random name: the original one is kept only for display, never used on disk."""
    return f"documents/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


def thumbnail_upload_path(instance, filename):
    """A random name with the picture's own extension (``.jpg``; older thumbnails are ``.png``)."""
    extension = ".png" if filename.lower().endswith(".png") else ".jpg"
    return f"thumbnails/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{extension}"


def relied_on(request_id, enterprise_id, *, renewals=False) -> models.Q:
    """The documents a request relies on, as a filter: the one home of that rule.

    Its own documents, and the standing ones (on no request) of its enterprise: the
    enterprise's own (business licence...), and those of the vehicles and drivers on it.
    ``request_id`` and ``enterprise_id`` are values or expressions (``OuterRef("pk")``), so the
    same filter serves one request and the SQL of many (the machine check per request). With
    ``renewals``, a renewal (续期) also relies on what the requests of the passes it renews
    carried, except health proofs, which must be new. Subqueries, not joins: no duplicates.
    """
    from .catalog import HEALTH_PROOF_KINDS

    # In the subqueries below an outer reference is one level further out.
    inner = models.OuterRef(request_id) if isinstance(request_id, models.OuterRef) else request_id
    on_request = RequestItem.objects.filter(request_id=inner).order_by()
    drivers = RequestItem.drivers.through.objects.filter(requestitem__request_id=inner)
    standing = models.Q(request__isnull=True, enterprise_id=enterprise_id) & (
        models.Q(vehicle__isnull=True, driver__isnull=True)
        | models.Q(vehicle_id__in=on_request.values("vehicle_id"))
        | models.Q(driver_id__in=drivers.order_by().values("driver_id"))
    )
    relied = models.Q(request_id=request_id) | standing
    if renewals:
        renewed = on_request.filter(renews__isnull=False).values("renews__request_id")
        relied |= models.Q(request_id__in=renewed) & ~models.Q(kind__in=HEALTH_PROOF_KINDS)
    return relied


class DocumentQuerySet(models.QuerySet):
    def relied_on_by(self, pass_request, *, renewals=False):
        """The documents ``pass_request`` relies on (``relied_on``)."""
        return self.filter(
            relied_on(pass_request.pk, pass_request.enterprise_id, renewals=renewals)
        )


class PreviewStatus(models.TextChoices):
    PENDING = "pending", _("being prepared")
    READY = "ready", _("ready")
    FAILED = "failed", _("cannot be shown")


class Document(models.Model):
    """A scanned material. It belongs to an enterprise and is attached to a request (optionally
    to one of its items or drivers), or stands with a vehicle or driver for reuse."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="documents", verbose_name=_("enterprise")
    )
    request = models.ForeignKey(
        PassRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("request"),
    )
    item = models.ForeignKey(
        RequestItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("vehicle on request"),
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("vehicle"),
    )
    driver = models.ForeignKey(
        Driver,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("driver"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_upload_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    page_count = models.PositiveSmallIntegerField(_("pages"), default=1)
    tested_at = models.DateTimeField(
        _("tested at"),
        null=True,
        blank=True,
        help_text=_("For nucleic-acid test reports: when the sample was taken."),
    )
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=thumbnail_upload_path, max_length=200, blank=True
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploaded_documents",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Previews (thumbnail and page pictures) are drawn by a worker in a bounded child process
    # (documents.previews); a document whose drawing passed a bound, or was tried too often,
    # is "failed" with the reason, shown to the reviewer and never tried again.
    preview_status = models.CharField(
        _("preview"), max_length=10, choices=PreviewStatus.choices, default=PreviewStatus.PENDING
    )
    preview_reason = models.CharField(_("why no preview"), max_length=40, blank=True)
    preview_attempts = models.PositiveSmallIntegerField(_("preview attempts"), default=0)
    preview_retry_at = models.DateTimeField(_("preview next try"), null=True, blank=True)
    preview_pages = models.JSONField(_("page pictures"), default=list, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "sha256"],
                condition=models.Q(request__isnull=False),
                name="document_unique_per_request",
            )
        ]

    PreviewStatus = PreviewStatus

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"
