"""Issuing offices, and the peer deployments whose offices this one trusts.

An ``Office`` is an issuing authority: a region code (the first six digits of its pass numbers),
its own signing keys, checkpoints, pass types and staff. One deployment may host several; a
deployment with one office behaves as before (the data migration made it from the settings).

A ``PeerDeployment`` is another passdesk whose signed trust list this one pulls (see
``passes.trust``): the last good list is kept here, with the peer's revocations.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REGION_CODE = RegexValidator(r"^\d{6}$", _("A region code has 6 digits, e.g. 430200."))
FINGERPRINT = RegexValidator(
    r"^[0-9a-f]{64}$", _("A fingerprint is 64 lower-case hex digits (SHA-256).")
)


class Office(models.Model):
    name = models.CharField(_("name"), max_length=100)
    region_code = models.CharField(
        _("region code"),
        max_length=6,
        unique=True,
        validators=[REGION_CODE],
        help_text=_("The first six digits of every pass number this office issues."),
    )
    seal = models.ImageField(_("seal image"), upload_to="offices/seals/", blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="passdesk_offices",
        verbose_name=_("staff"),
        help_text=_("Reviewers, officers and inspectors who work for this office."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["pk"]

    def __str__(self):
        return self.name


class PeerDeployment(models.Model):
    """Another passdesk deployment whose offices' passes verify here."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("trust list URL"), unique=True, help_text=_("The peer's /api/v1/trust/ address.")
    )
    fingerprint = models.CharField(
        _("pinned fingerprint"),
        max_length=64,
        validators=[FINGERPRINT],
        help_text=_(
            "SHA-256 of the peer's trust-list key, exchanged out of band "
            "(manage.py passdesk_keys trust-fingerprint on the peer)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The last trust list that passed every check, as received (signature included).
    trust_list = models.JSONField(_("last good trust list"), null=True, blank=True, editable=False)
    sequence = models.BigIntegerField(_("sequence"), default=0, editable=False)
    expires_at = models.DateTimeField(_("list expires at"), null=True, blank=True, editable=False)
    last_pulled_at = models.DateTimeField(_("last pulled"), null=True, blank=True, editable=False)
    last_good_at = models.DateTimeField(_("last good pull"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    revocations_until = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("peer deployment")
        verbose_name_plural = _("peer deployments")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PeerRevocation(models.Model):
    """A pass number a peer office revoked (from its revocation feed)."""

    peer = models.ForeignKey(PeerDeployment, on_delete=models.CASCADE, related_name="revocations")
    region_code = models.CharField(max_length=6)
    number = models.CharField(max_length=12)
    reason = models.CharField(max_length=20, default="revoked")
    at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["peer", "number"], name="peer_revocation_once")
        ]

    def __str__(self):
        return self.number
