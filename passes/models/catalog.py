"""What officers configure: pass types and checkpoints."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    VEHICLE_LICENCE = "vehicle_licence", _("Vehicle licence")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    NUCLEIC_ACID_TEST = "nucleic_acid_test", _("Nucleic-acid test report")
    COMMITMENT_LETTER = "commitment_letter", _("Commitment letter")
    OTHER = "other", _("Other")


# Which level a required kind of document belongs to. Per-vehicle and per-driver kinds must be
# present for every vehicle / driver on the request; the rest once per request.
VEHICLE_DOCUMENT_KINDS = frozenset({DocumentKind.VEHICLE_LICENCE})
DRIVER_DOCUMENT_KINDS = frozenset({DocumentKind.DRIVING_LICENCE, DocumentKind.NUCLEIC_ACID_TEST})
HEALTH_PROOF_KINDS = frozenset({DocumentKind.NUCLEIC_ACID_TEST})


class PassType(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    max_validity_days = models.PositiveSmallIntegerField(
        _("maximum validity (days)"),
        help_text=_("The longest validity window a pass of this type may have."),
    )
    required_document_kinds = models.JSONField(
        _("required documents"),
        default=list,
        blank=True,
        help_text=_("Kinds of document a request must carry before it can be submitted."),
    )
    health_proof_max_age_hours = models.PositiveSmallIntegerField(
        _("health proof freshness (hours)"),
        null=True,
        blank=True,
        help_text=_(
            "If set, every driver's nucleic-acid test must be at most this old at "
            "approval, e.g. 48."
        ),
    )
    declaration = models.TextField(
        _("declaration (承诺)"),
        blank=True,
        help_text=_("If set, the applicant must accept this text before submitting."),
    )
    route_bound = models.BooleanField(
        _("bound to its checkpoints"),
        default=True,
        help_text=_(
            "Passes of this type are good only at the checkpoints listed on them (one vehicle, "
            "one pass, one route); scanned elsewhere they are “off route”. Untick for everyday "
            "zone passes valid at any checkpoint of the office."
        ),
    )
    office = models.ForeignKey(
        "passes.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pass_types",
        verbose_name=_("office"),
        help_text=_("The issuing office; empty means the deployment's first office."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pass type")
        verbose_name_plural = _("pass types")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def health_proof_problem(self, tested_at, at) -> str | None:
        """Why a nucleic-acid test sampled at ``tested_at`` does not do for this pass type when
        judged at ``at``: "missing", "future" (sampled after ``at``) or "too_old" (more than
        ``health_proof_max_age_hours`` before ``at``; exactly that old still does); None when it
        does or the type sets no limit. The one freshness rule, and one moment: ``at`` is the
        moment of judging, now. The workflow's guards (``requests.guards``) judge at the
        decision (approval, amendment) and the review warnings when shown; the machine check
        (``documents.ocr.checks``) at its reading. Not the requested start: a pass approved
        today for tomorrow needs a test fresh today, as the help text says."""
        hours = self.health_proof_max_age_hours
        if not hours:
            return None
        if tested_at is None:
            return "missing"
        if tested_at > at:
            return "future"
        if tested_at < at - datetime.timedelta(hours=hours):
            return "too_old"
        return None

    def clean(self):
        super().clean()
        unknown = [k for k in self.required_document_kinds or [] if k not in DocumentKind.values]
        if unknown:
            raise ValidationError(
                {
                    "required_document_kinds": _("Unknown document kinds: %(kinds)s.")
                    % {"kinds": ", ".join(map(str, unknown))}
                }
            )

    def required_kind_labels(self):
        return [DocumentKind(kind).label for kind in self.required_document_kinds]


class Checkpoint(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    office = models.ForeignKey(
        "passes.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checkpoints",
        verbose_name=_("office"),
        help_text=_("The issuing office; empty means the deployment's first office."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["name"]

    def __str__(self):
        return self.name
