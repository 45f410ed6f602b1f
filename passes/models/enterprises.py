"""Enterprises, the people who act for them, and their fleet."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import CreditCodeField, IdNumberField, MobileField, PlateField
from ..validators import mask_id_number


class Enterprise(models.Model):
    class Verification(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=200)
    credit_code = CreditCodeField(_("unified social credit code"), unique=True)
    address = models.CharField(_("address"), max_length=300)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = MobileField(_("contact phone"))
    verification_status = models.CharField(
        _("verification"),
        max_length=20,
        choices=Verification.choices,
        default=Verification.PENDING,
        db_index=True,
    )
    is_key_enterprise = models.BooleanField(_("key enterprise"), default=False, db_index=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        permissions = [
            ("verify_enterprise", _("Can verify or suspend enterprises")),
        ]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.verification_status == self.Verification.VERIFIED


class Membership(models.Model):
    """A user acting for an enterprise. A person acts for one enterprise."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("enterprise"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.enterprise}"


class Vehicle(models.Model):
    class VehicleType(models.TextChoices):
        HEAVY_TRUCK = "heavy_truck", _("Heavy truck")
        MEDIUM_TRUCK = "medium_truck", _("Medium truck")
        LIGHT_TRUCK = "light_truck", _("Light truck")
        VAN = "van", _("Van")
        REFRIGERATED = "refrigerated", _("Refrigerated truck")
        TANKER = "tanker", _("Tanker")
        TRACTOR = "tractor", _("Tractor unit")
        OTHER = "other", _("Other")

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("enterprise")
    )
    plate = PlateField(_("plate"), db_index=True)
    vehicle_type = models.CharField(
        _("vehicle type"),
        max_length=20,
        choices=VehicleType.choices,
        default=VehicleType.HEAVY_TRUCK,
    )
    licence_number = models.CharField(_("vehicle licence number"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "plate"], name="vehicle_plate_unique_per_enterprise"
            )
        ]

    def __str__(self):
        return self.plate


PLATE_COLOURS = ("blue", "yellow", "green", "yellow-green")
NEW_ENERGY_PLATE_LENGTH = 8  # 湘BD12345: province, letter and six characters


def plate_colour(plate: str, vehicle_type: str = "") -> str:
    """The plate's colour as on the vehicle (GA 36): yellow for heavy trucks, tractor units and
    trailers, green for new-energy vehicles, yellow beside green for large new-energy ones
    (黄绿双拼), blue otherwise. One of ``PLATE_COLOURS``, for a normalised plate; the
    inspector's page, the driver's e-pass and the printed pass all show this one."""
    large = vehicle_type in (Vehicle.VehicleType.HEAVY_TRUCK, Vehicle.VehicleType.TRACTOR)
    large = large or plate.endswith("挂")
    if len(plate) == NEW_ENERGY_PLATE_LENGTH:
        return "yellow-green" if large else "green"
    return "yellow" if large else "blue"


class Driver(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="drivers", verbose_name=_("enterprise")
    )
    name = models.CharField(_("name"), max_length=50)
    id_number = IdNumberField(_("resident ID number"))
    phone = MobileField(_("mobile phone"))
    licence_number = models.CharField(_("driving licence number"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "id_number"], name="driver_id_unique_per_enterprise"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.masked_id_number})"

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)
