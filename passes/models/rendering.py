"""Rendered pass PDFs, kept in private storage and served only through permission-checked
views. A file is reused while its fingerprint (everything printed on it) is unchanged."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .issued import Pass
from .requests import PassRequest


def _pdf_path(instance, filename):
    return f"passes/pdf/{timezone.now():%Y/%m}/{filename}"


class PassPdf(models.Model):
    """The combined PDF of a request (``pass_obj`` empty) or the PDF of one pass."""

    request = models.ForeignKey(
        PassRequest, on_delete=models.CASCADE, related_name="pdfs", verbose_name=_("request")
    )
    pass_obj = models.ForeignKey(
        Pass,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pdfs",
        verbose_name=_("pass"),
    )
    file = models.FileField(_("file"), upload_to=_pdf_path, max_length=200)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    page_count = models.PositiveIntegerField(_("pages"), default=0)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    rendered_at = models.DateTimeField(_("rendered at"), default=timezone.now)

    class Meta:
        verbose_name = _("pass PDF")
        verbose_name_plural = _("pass PDFs")
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(pass_obj__isnull=True),
                name="one_combined_pdf_per_request",
            ),
            models.UniqueConstraint(
                fields=["pass_obj"],
                condition=models.Q(pass_obj__isnull=False),
                name="one_pdf_per_pass",
            ),
        ]

    def __str__(self):
        return self.file.name
