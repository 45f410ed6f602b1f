"""Which passes someone may list, the filters the portal and the API share, and the figures
shown beside each pass (days left, whether its PDF is already rendered)."""

import datetime
import math

from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Pass, PassPdf
from ..wording import durations

EXPIRING_WITHIN = datetime.timedelta(days=3)
MAX_SELECTION = 50


def _expiring_label() -> str:
    return gettext("Expiring within %(span)s") % {"span": durations.span(EXPIRING_WITHIN)}


class PassState(models.TextChoices):
    """The filters of 我的通行证; ``expiring`` is a subset of ``active`` (valid now);
    ``upcoming`` passes are issued but their window has not started."""

    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", lazy(_expiring_label, str)()
    UPCOMING = "upcoming", _("Not yet valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


def base_queryset():
    return Pass.objects.select_related(
        "request__pass_type", "request__enterprise", "vehicle", "replaces"
    ).prefetch_related("drivers", "request__checkpoints")


def passes_of(enterprise):
    """An enterprise's own passes; anything else is simply not in the queryset (404)."""
    return base_queryset().filter(request__enterprise=enterprise)


def filter_by_state(queryset, state: str, *, now=None):
    """Expiry does not wait for the sweeper: an active pass past its window counts as expired."""
    now = now or timezone.now()
    if state == PassState.ACTIVE:
        return queryset.in_force(now)
    if state == PassState.EXPIRING:
        return queryset.in_force(now).expiring(EXPIRING_WITHIN, now)
    if state == PassState.UPCOMING:
        return queryset.upcoming(now)
    if state == PassState.EXPIRED:
        return queryset.ended(now)
    if state == PassState.REVOKED:
        return queryset.filter(status=Pass.Status.REVOKED)
    return queryset


def filter_passes(queryset, *, state=None, plate=None, number=None, enterprise=None, valid_on=None):
    """The list filters; each is optional. ``plate`` matches any part of the normalised plate."""
    if state:
        queryset = filter_by_state(queryset, state)
    if plate:
        queryset = queryset.filter(plate__icontains=plate.replace("·", "").strip().upper())
    if number:
        queryset = queryset.filter(number__startswith=number.strip())
    if enterprise:
        queryset = queryset.filter(request__enterprise_id=enterprise)
    if valid_on:
        queryset = queryset.filter(valid_from__date__lte=valid_on, valid_until__date__gte=valid_on)
    return queryset


def with_pdf_ready(queryset):
    """Annotate ``pdf_ready``: a stored PDF (its own or its request's combined one) rendered
    after the pass last changed, so a download is served from storage at once."""
    changed = models.functions.Coalesce(OuterRef("status_changed_at"), OuterRef("issued_at"))
    own = PassPdf.objects.filter(pass_obj=OuterRef("pk"), rendered_at__gte=changed)
    combined = PassPdf.objects.filter(
        request=OuterRef("request"), pass_obj__isnull=True, rendered_at__gte=changed
    )
    return queryset.annotate(pdf_ready=Exists(own) | Exists(combined))


def book_order(queryset, *, now=None):
    """我的通行证's order: passes valid now (the first to end first), then those still to
    start (the first to start first), then ended and revoked ones (the latest first)."""
    now = now or timezone.now()
    live = models.Q(status=Pass.Status.ACTIVE, valid_until__gt=now)
    group = models.Case(
        models.When(live & models.Q(valid_from__lte=now), then=0),
        models.When(live, then=1),
        default=2,
        output_field=models.IntegerField(),
    )
    soon = models.Case(
        models.When(live & models.Q(valid_from__lte=now), then="valid_until"),
        models.When(live, then="valid_from"),
        default=None,
    )
    return queryset.annotate(book_group=group, book_soon=soon).order_by(
        "book_group", models.F("book_soon").asc(nulls_last=True), "-valid_until", "number"
    )


def days_left(pass_obj, *, now=None) -> int | None:
    """Whole days (rounded up) until the window ends; None unless the pass is valid now."""
    now = now or timezone.now()
    if pass_obj.shown_status(now) != Pass.Status.ACTIVE:
        return None
    return math.ceil((pass_obj.valid_until - now).total_seconds() / 86400)


def state_counts(queryset, *, now=None) -> dict:
    now = now or timezone.now()
    return {state: filter_by_state(queryset, state, now=now).count() for state in PassState.values}
