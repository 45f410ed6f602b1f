"""Public metadata of the keys that sign pass tokens. Private keys never enter the database:
they live in the key directory (``PASSDESK_SIGNING_KEY_DIR``) or an environment variable."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SigningKey(models.Model):
    kid = models.CharField(_("key id"), max_length=8, unique=True)
    public_key = models.CharField(
        _("public key"), max_length=64, help_text=_("Raw 32-byte Ed25519 public key, base64.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    retired_at = models.DateTimeField(
        _("retired at"),
        null=True,
        blank=True,
        help_text=_("No longer signs new passes; passes it signed still verify."),
    )
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"),
        null=True,
        blank=True,
        help_text=_("No longer trusted: passes it signed fail verification from this time on."),
    )
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True)
    office = models.ForeignKey(
        "passes.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_keys",
        verbose_name=_("office"),
        help_text=_("The issuing office; empty means the deployment's first office."),
    )

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.kid

    @property
    def state(self) -> str:
        if self.withdrawn_at:
            return "withdrawn"
        if self.retired_at:
            return "retired"
        return "active"
