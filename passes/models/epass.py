"""Drivers' personal links to the e-pass (``/d/<token>``): one per driver named on a pass.

Only a hash of the token is kept: the link in clear exists in the SMS the driver received and
on the enterprise's screen the moment it is handed over, never in the database, so a copy of
the database opens no e-pass. A new link (resend, hand-over) replaces the old token.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enterprises import Driver
from .issued import Pass


class DriverLink(models.Model):
    pass_obj = models.ForeignKey(
        Pass, on_delete=models.CASCADE, related_name="driver_links", verbose_name=_("pass")
    )
    driver = models.ForeignKey(
        Driver, on_delete=models.CASCADE, related_name="pass_links", verbose_name=_("driver")
    )
    # SHA-256 (hex) of the token in the link; the token itself is never stored.
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("link made at"), default=timezone.now)
    # The pass's end: the link opens nothing after it.
    expires_at = models.DateTimeField(_("expires at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent by SMS"), null=True, blank=True)
    send_count = models.PositiveIntegerField(_("SMS sent"), default=0)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)

    class Meta:
        verbose_name = _("driver's e-pass link")
        verbose_name_plural = _("drivers' e-pass links")
        constraints = [
            models.UniqueConstraint(fields=["pass_obj", "driver"], name="one_link_per_driver_pass")
        ]

    def __str__(self):
        return f"{self.pass_obj_id}/{self.driver_id}"

    def state(self, at=None) -> str:
        """``active``, ``withdrawn`` or ``expired`` (the link's, not the pass's)."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if (at or timezone.now()) >= self.expires_at:
            return "expired"
        return "active"
