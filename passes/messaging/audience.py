"""Who an announcement is for. The same rules pick the enterprises it is sent to and decide
which announcements a member sees (in the portal and through the API), so they never disagree.

A district is the 6-digit administrative division code in characters 3 to 8 of the unified
social credit code (GB 32100-2015: the registering authority's division).
"""

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Substr
from django.utils import timezone

from ..models import Announcement, AnnouncementRead, Enterprise, Pass

Audience = Announcement.Audience


def district_of(credit_code: str) -> str:
    return (credit_code or "")[2:8]


def _active_passes(now):
    return Pass.objects.live(now)


def enterprises_for(announcement, *, now=None):
    """The enterprises an announcement goes to (a queryset; evaluated when it is sent)."""
    now = now or timezone.now()
    enterprises = Enterprise.objects.all()
    if announcement.audience == Audience.KEY:
        return enterprises.filter(is_key_enterprise=True)
    if announcement.audience == Audience.PASS_TYPE:
        holding = _active_passes(now).filter(
            request__enterprise=OuterRef("pk"), request__pass_type_id=announcement.pass_type_id
        )
        return enterprises.filter(Exists(holding))
    if announcement.audience == Audience.DISTRICT:
        return enterprises.annotate(district_code=Substr("credit_code", 3, 6)).filter(
            district_code=announcement.district
        )
    return enterprises


def visible_to(enterprise, *, now=None):
    """Published, not withdrawn announcements whose audience includes ``enterprise``."""
    now = now or timezone.now()
    pass_types = (
        _active_passes(now)
        .filter(request__enterprise=enterprise)
        .values_list("request__pass_type_id", flat=True)
    )
    condition = Q(audience=Audience.ALL) | Q(
        audience=Audience.DISTRICT, district=district_of(enterprise.credit_code)
    )
    if enterprise.is_key_enterprise:
        condition |= Q(audience=Audience.KEY)
    condition |= Q(audience=Audience.PASS_TYPE, pass_type_id__in=pass_types)
    return Announcement.objects.filter(
        condition, withdrawn_at__isnull=True, publish_at__lte=now
    ).order_by("-publish_at", "-pk")


def for_member(enterprise, user, *, now=None):
    """What a member acting for ``enterprise`` sees, newest first, each with ``is_read`` (this
    person opened it): the portal's list and banner and the API all read announcements here."""
    return visible_to(enterprise, now=now).annotate(
        is_read=Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user))
    )
