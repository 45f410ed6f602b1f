"""What the REST API keeps for itself: responses kept for ``Idempotency-Key`` replays."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One client key of one user. Inserted before the work starts (the unique constraint makes
    a concurrent duplicate fail at once), completed with the response afterwards; a replay with
    the same fingerprint gets that response, another body under the same key is refused."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # Empty while the first request is still being processed.
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"

    @property
    def is_complete(self) -> bool:
        return self.status_code is not None
