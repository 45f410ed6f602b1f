"""Issued passes and the counter that numbers them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import PlateField
from .enterprises import Driver, Vehicle
from .requests import PassRequest, RequestItem


class PassSerial(models.Model):
    """The last serial used for a region code. Incremented under a row lock inside the approving
    transaction, so numbers neither repeat nor skip (a sequence would skip on rollback)."""

    region_code = models.CharField(max_length=6, unique=True)
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("pass serial counter")
        verbose_name_plural = _("pass serial counters")

    def __str__(self):
        return f"{self.region_code}: {self.last_serial}"


class PassQuerySet(models.QuerySet):
    """The one home of "which passes are live" and "which expire soon" (docs/architecture.md,
    "One home per rule"). ``Pass.effective_status`` is the same rule for one pass in hand."""

    def live(self, at=None):
        """Passes good at ``at`` (default now) or still to start: active (neither revoked nor
        swept as expired) and their window not ended. Expiry does not wait for the sweeper."""
        return self.filter(status=Pass.Status.ACTIVE, valid_until__gt=at or timezone.now())

    def in_force(self, at=None):
        """Live passes whose window has already started at ``at``: valid right then."""
        at = at or timezone.now()
        return self.live(at).filter(valid_from__lte=at)

    def upcoming(self, at=None):
        """Live passes whose window starts after ``at``: issued, not valid yet (尚未生效)."""
        at = at or timezone.now()
        return self.live(at).filter(valid_from__gt=at)

    def expiring(self, within, at=None):
        """Live passes whose window ends within ``within`` (a timedelta) of ``at``."""
        at = at or timezone.now()
        return self.live(at).filter(valid_until__lte=at + within)

    def due_to_expire(self, at=None):
        """Still marked active although their window has ended: what the expiry sweep changes."""
        return self.filter(status=Pass.Status.ACTIVE, valid_until__lte=at or timezone.now())

    def ended(self, at=None):
        """Expired as people see it: swept as expired, or active with the window over."""
        at = at or timezone.now()
        return self.filter(
            models.Q(status=Pass.Status.EXPIRED)
            | models.Q(status=Pass.Status.ACTIVE, valid_until__lte=at)
        )


class Pass(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    number = models.CharField(_("pass number"), max_length=12, unique=True)
    request = models.ForeignKey(
        PassRequest, on_delete=models.PROTECT, related_name="passes", verbose_name=_("request")
    )
    item = models.ForeignKey(
        RequestItem, on_delete=models.PROTECT, related_name="passes", verbose_name=_("vehicle")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="passes", verbose_name=_("vehicle")
    )
    # The plate as printed and signed on the pass; the vehicle record may be edited later.
    plate = PlateField(_("plate"), db_index=True)
    drivers = models.ManyToManyField(Driver, related_name="passes", verbose_name=_("drivers"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    # When the pass last left "active" (revoked or expired): the revocation feed's cursor.
    status_changed_at = models.DateTimeField(
        _("status changed at"), null=True, blank=True, db_index=True
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    objects = PassQuerySet.as_manager()

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        ordering = ["-issued_at", "-number"]
        permissions = [
            ("revoke_pass", _("Can revoke passes")),
            ("scan_pass", _("Can verify passes at checkpoints")),
        ]

    def __str__(self):
        return self.number

    @property
    def route(self) -> str:
        """One vehicle, one pass, one route: the approved request's route, as printed."""
        request = self.request
        ends = " → ".join(part for part in (request.origin, request.destination) if part)
        return "：".join(part for part in (ends, request.route_description) if part)

    def effective_status(self, at=None):
        """Active, revoked or expired as of ``at``; expiry does not wait for the sweeper.
        The same rule as ``Pass.objects.live(at)``, for a pass in hand."""
        if self.status != self.Status.ACTIVE:
            return self.status
        if (at or timezone.now()) >= self.valid_until:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    UPCOMING = "upcoming"

    def shown_status(self, at=None) -> str:
        """As an enterprise reads its pass book: ``Pass.UPCOMING`` for a live pass whose window
        has not started (the checkpoint says 尚未生效 then), else ``effective_status``. The
        same rule as ``Pass.objects.in_force(at)`` and ``upcoming(at)``."""
        at = at or timezone.now()
        status = self.effective_status(at)
        if status == self.Status.ACTIVE and at < self.valid_from:
            return self.UPCOMING
        return status


class OfflineTag(models.Model):
    """A pass's slow tag on the inspectors' offline list (``signing.passlist.entry_tag``),
    computed once per pass and kept here, so a list for thousands of passes is not thousands
    of slow hashes each time a phone copies it. ``params`` fingerprints the salt and cost it was
    made with: a tag made with other ones is made again."""

    pass_obj = models.OneToOneField(
        Pass, on_delete=models.CASCADE, primary_key=True, related_name="offline_tag"
    )
    params = models.BinaryField(max_length=4)
    tag = models.BinaryField(max_length=8)

    class Meta:
        verbose_name = _("offline list tag")
        verbose_name_plural = _("offline list tags")

    def __str__(self):
        return str(self.pass_obj_id)
