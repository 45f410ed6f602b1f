"""Pass requests: what an enterprise asks for, one item per vehicle (一车一证一线路)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import Checkpoint, PassType
from .enterprises import Driver, Enterprise, Vehicle

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone


def new_reference() -> str:
    """``SQ20261128-7KX3QA``: the date it was opened plus six unambiguous characters."""
    suffix = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"SQ{timezone.localdate():%Y%m%d}-{suffix}"


class PassRequestQuerySet(models.QuerySet):
    def with_vehicle_count(self):
        """Each request's number of vehicles as ``vehicle_total`` (what lists show; read it
        with ``PassRequest.vehicle_count``), counted by a subquery for the rows of the page
        only: a join with GROUP BY aggregated every matching request before the page was cut,
        and again to count them for the paginator."""
        items = (
            RequestItem.objects.filter(request=models.OuterRef("pk"))
            .order_by()
            .annotate(count=models.Func(models.F("pk"), function="COUNT"))
            .values("count")
        )
        # COUNT without GROUP BY: one row, 0 for a request without vehicles.
        return self.annotate(
            vehicle_total=models.Subquery(items, output_field=models.IntegerField())
        )


class PassRequest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for changes")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class CargoCategory(models.TextChoices):
        RAW_MATERIALS = "raw_materials", _("Raw materials")
        FINISHED_GOODS = "finished_goods", _("Finished goods")
        DAILY_NECESSITIES = "daily_necessities", _("Food and daily necessities")
        MEDICAL_SUPPLIES = "medical_supplies", _("Medical supplies")
        FUEL = "fuel", _("Fuel and energy")
        OTHER = "other", _("Other")

    EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})
    QUEUE_STATUSES = frozenset({Status.SUBMITTED, Status.IN_REVIEW})

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, default=new_reference, editable=False
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="requests", verbose_name=_("enterprise")
    )
    pass_type = models.ForeignKey(
        PassType, on_delete=models.PROTECT, related_name="requests", verbose_name=_("pass type")
    )
    cargo_category = models.CharField(
        _("cargo category"),
        max_length=30,
        choices=CargoCategory.choices,
        default=CargoCategory.OTHER,
    )
    cargo_description = models.CharField(_("cargo description"), max_length=300, blank=True)
    origin = models.CharField(_("origin"), max_length=200, blank=True)
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    route_description = models.TextField(_("route"), blank=True)
    checkpoints = models.ManyToManyField(
        Checkpoint, blank=True, related_name="requests", verbose_name=_("checkpoints")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("assigned reviewer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_requests",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    # When the applicant ticked the pass type's declaration (承诺), if it asks for one.
    declaration_accepted_at = models.DateTimeField(
        _("declaration accepted at"), null=True, blank=True
    )

    objects = PassRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("pass request")
        verbose_name_plural = _("pass requests")
        ordering = ["-created_at"]
        permissions = [
            ("review_passrequest", _("Can review pass requests")),
            ("assign_passrequest", _("Can assign pass requests to reviewers")),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="request_queue_idx")]

    def __str__(self):
        return self.reference

    @property
    def is_editable(self):
        return self.status in self.EDITABLE_STATUSES

    def vehicle_count(self) -> int:
        """How many vehicles (items, so passes) the request has: the one home of the count.
        Read from ``with_vehicle_count``'s annotation or prefetched items when there, else
        counted in one query."""
        counted = self.__dict__.get("vehicle_total")
        if counted is not None:
            return counted
        return self.items.count()  # uses prefetched items when they are there


class RequestItem(models.Model):
    """One vehicle and its drivers on a request: it becomes one pass."""

    request = models.ForeignKey(
        PassRequest, on_delete=models.CASCADE, related_name="items", verbose_name=_("request")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="request_items", verbose_name=_("vehicle")
    )
    drivers = models.ManyToManyField(
        Driver, related_name="request_items", verbose_name=_("drivers")
    )
    # Set when the item renews (续期) an issued pass: the review shows what changed since it.
    renews = models.ForeignKey(
        "passes.Pass",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("renews pass"),
    )

    class Meta:
        verbose_name = _("vehicle on request")
        verbose_name_plural = _("vehicles on request")
        constraints = [
            models.UniqueConstraint(fields=["request", "vehicle"], name="one_item_per_vehicle")
        ]

    def __str__(self):
        return f"{self.request} · {self.vehicle}"
