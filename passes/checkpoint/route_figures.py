"""Off-route scans for the officers' dashboard: per checkpoint, how many vehicles were let
through, turned back, or are still without a decision (one query)."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from .. import access
from ..models import Decision, ScanEvent, Verdict


def off_route_by_checkpoint(
    days: int = 30, now=None, user=None
) -> list[tuple[str, int, int, int, int]]:
    """``(checkpoint name, off-route scans, let through, turned back, undecided)``, busiest
    first, over the last ``days`` days (at the checkpoints ``user`` may see, when given)."""
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    scans = ScanEvent.objects.all() if user is None else access.visible_scans(user)
    rows = (
        scans.filter(verdict=Verdict.OFF_ROUTE, scanned_at__gte=since)
        .values("checkpoint__name")
        .annotate(
            total=Count("pk"),
            let_through=Count("pk", filter=Q(decision=Decision.LET_THROUGH)),
            turned_back=Count("pk", filter=Q(decision=Decision.TURNED_BACK)),
            undecided=Count("pk", filter=Q(decision="")),
        )
        .order_by("-total", "checkpoint__name")
    )
    return [
        (r["checkpoint__name"], r["total"], r["let_through"], r["turned_back"], r["undecided"])
        for r in rows
    ]
