"""Issuing offices, and the peer deployments whose offices this one trusts.

An ``Office`` is an issuing authority: a region code (the first six digits of its pass numbers),
its own signing keys, checkpoints, pass types and staff. One deployment may host several; a
deployment with one office behaves as before (the data migration made it from the settings).

A ``PeerDeployment`` is another passdesk whose signed trust list this one pulls (see
``passes.trust``): the last good list is kept here, with the peer's revocations. A
``PeerClaim`` records which peer a region code or key id belongs to, so that no peer can take
over another's.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REGION_CODE = RegexValidator(r"^\d{6}$", _("A region code has 6 digits, e.g. 430200."))
KEY_ID = re.compile(r"^[0-9a-f]{8}$")
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


class PeerClaim(models.Model):
    """A region code or key id and the one peer it belongs to: the first peer whose accepted
    trust list claimed it, or the peer an officer set. A list from any other peer that claims
    it is refused whole (``passes.trust.claims``). A claim stays when the peer's list stops
    naming it, so a peer that drops an office for a day does not free its code for another;
    an officer removes or reassigns it."""

    class Kind(models.TextChoices):
        REGION = "region", _("region code")
        KEY = "key", _("key id")

    peer = models.ForeignKey(
        PeerDeployment,
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("peer deployment"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(
        _("region code or key id"),
        max_length=8,
        help_text=_("Six digits for a region code, eight hex digits for a key id."),
    )
    set_by_officer = models.BooleanField(
        _("set by an officer"),
        default=False,
        editable=False,
        help_text=_("Otherwise it went to the first peer whose list claimed it."),
    )
    created_at = models.DateTimeField(_("claimed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("peer's region code or key id")
        verbose_name_plural = _("peers' region codes and key ids")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="peer_claim_one_owner")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.REGION:
            REGION_CODE(self.value)
        elif self.kind == self.Kind.KEY and not KEY_ID.match(self.value or ""):
            raise ValidationError(
                {"value": _("A key id is 8 lower-case hex digits, as the peer's list shows it.")}
            )


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
