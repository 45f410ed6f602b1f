"""What happened to an announcement's messages, channel by channel, for the officers."""

from django.db.models import Count

from ..models import Notification
from ..models.notifications import Channel
from .announcements import EVENT


def channel_report(announcement) -> list[dict]:
    """Per channel, what happened to the announcement's messages: queued (or sending), sent
    (accepted by the provider), failed and retrying, dead, and the commonest reasons."""
    rows = (
        Notification.objects.filter(event=EVENT, object_id=announcement.pk)
        .order_by()
        .values("channel", "status")
        .annotate(n=Count("pk"))
    )
    report = {}
    for row in rows:
        entry = report.setdefault(
            row["channel"],
            {"channel": row["channel"], "waiting": 0, "sent": 0, "failed": 0, "dead": 0},
        )
        status = row["status"]
        bucket = {"queued": "waiting", "sending": "waiting"}.get(status, status)
        entry[bucket] = entry.get(bucket, 0) + row["n"]
    reasons = (
        Notification.objects.filter(
            event=EVENT,
            object_id=announcement.pk,
            status__in=[Notification.Status.FAILED, Notification.Status.DEAD],
        )
        .exclude(last_error="")
        .order_by()
        .values("channel", "failure", "last_error")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    for row in reasons:
        entry = report[row["channel"]]
        if len(entry.setdefault("reasons", [])) < 3:
            entry["reasons"].append(
                {"failure": row["failure"], "error": row["last_error"][:200], "count": row["n"]}
            )
    order = [choice for choice, _label in Channel.choices]
    return sorted(report.values(), key=lambda entry: order.index(entry["channel"]))
