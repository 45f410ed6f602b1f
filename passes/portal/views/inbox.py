"""通知: the messages the office sent to the enterprise and its people, newest first, one line
per event (an approval e-mailed to two members and sent to a webhook is one line), with where
each went and whether it arrived. The settings form is one click away."""

from django.core.paginator import Paginator
from django.shortcuts import render

from ... import access
from ...models import Notification
from ...notifications import kinds
from ..access import member_required

SHOWN = 500  # the latest rows read; older ones are in the office's records


def _address(row) -> str:
    """Where it went, as much as a colleague needs: a masked mobile, a webhook's host, an
    e-mail address; a WeChat id means nothing to people, so the recipient's name instead."""
    if row.channel == "sms":
        number = row.address
        return f"{number[:3]}****{number[-4:]}" if len(number) == 11 else number
    if row.channel == "webhook":
        return row.address.split("/")[2] if "://" in row.address else row.address
    if row.channel == "wechat":
        user = row.recipient
        return (user.get_full_name() or user.get_username()) if user else ""
    return row.address


def received(user, enterprise) -> list[dict]:
    """The enterprise's notifications grouped by event, newest first (the policy's rows only).
    Message bodies are not shown: a driver's SMS carries the e-pass link, which is theirs."""
    rows = (
        access.visible(Notification, user)
        .filter(enterprise=enterprise)
        .exclude(channel="robot")
        .select_related("recipient")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    events = {}
    for row in rows:
        event = events.get(row.event_uid)
        if event is None:
            kind = kinds.KINDS.get(row.event.replace(".", "_"))
            event = events[row.event_uid] = {
                "at": row.created_at,
                "what": row.subject or (kind.label if kind else row.event),
                "deliveries": [],
            }
        event["deliveries"].append(
            {
                "channel": row.get_channel_display(),
                "to": _address(row),
                "status": row.status,
                "status_label": row.get_status_display(),
            }
        )
    return list(events.values())


@access.policy("notifications")
@member_required
def notification_list(request):
    page = Paginator(received(request.user, request.enterprise), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "passes/portal/notification_list.html", {"page": page})
