"""The revocation feed: pass numbers that stopped being good, for checkpoint devices that verify
offline (``python -m passes.verify --revocations FILE`` reads this very format).

Shape::

    {"revoked": [{"number": "430200000123", "status": "revoked", "reason": "revoked",
                  "at": "2026-11-28T04:00:00.123456Z"}, ...],
     "until": "2026-11-28T04:05:00.000000Z", "more": false}

A device keeps ``until`` and asks ``?since=<until>`` next time. Entries are those whose status
changed at or after ``since`` (``Pass.status_changed_at``, indexed), oldest first. ``until``
lags the database clock by ``SETTLE`` so that a revocation committed a moment after its
timestamp was taken is never skipped; the price is that an entry near the end of one answer
comes again in the next: a device treats the list as a set. ``reason`` is a code, never the
officer's free text (which may name people): ``revoked``, ``replaced`` (a newer pass was
issued for the same vehicle, e.g. after a driver change) or ``expired``.
"""

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import Pass

SETTLE = datetime.timedelta(seconds=30)
PAGE_SIZE = 5000


def format_time(value: datetime.datetime) -> str:
    """UTC with a Z: no ``+`` to be mangled into a space in a query string."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def revocations_since(since: datetime.datetime | None, *, limit: int = PAGE_SIZE) -> dict:
    now = timezone.now()
    rows = (
        Pass.objects.filter(
            status__in=(Pass.Status.REVOKED, Pass.Status.EXPIRED),
            status_changed_at__isnull=False,
        )
        .annotate(replaced=Exists(Pass.objects.filter(replaces=OuterRef("pk"))))
        .order_by("status_changed_at", "pk")
        .values_list("number", "status", "status_changed_at", "replaced")
    )
    if since is not None:
        rows = rows.filter(status_changed_at__gte=since)
    rows = list(rows[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    entries = [
        {
            "number": number,
            "status": status,
            "reason": "expired"
            if status == Pass.Status.EXPIRED
            else ("replaced" if replaced else "revoked"),
            "at": format_time(changed_at),
        }
        for number, status, changed_at, replaced in rows
    ]
    if more:
        # Resume at the last entry shown (it comes again: the list is a set).
        until = rows[-1][2]
    else:
        until = now - SETTLE
        if since is not None and until < since:
            until = since
    return {"revoked": entries, "until": format_time(until), "more": more}
