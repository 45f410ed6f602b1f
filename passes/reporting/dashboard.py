"""The office at a glance: the figures behind the officers' dashboard, each one query.

Days are counted in the office's time zone (``TIME_ZONE``). The median decision time uses
PostgreSQL's ``percentile_cont`` where available and falls back to Python elsewhere.
"""

import datetime
import statistics
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from .. import access
from ..documents.ocr.request_checks import machine_check_figures
from ..models import AuditEvent, Enterprise, Pass, PassRequest

Status = PassRequest.Status
DECISION_ACTIONS = ("request.approve", "request.return", "request.reject")
# Labels translated when shown (pgettext_lazy): "< 4 小时", "1–3 天", not "< 4 h".
BACKLOG_BUCKETS = [
    (4, pgettext_lazy("waiting time", "< 4 h")),
    (24, pgettext_lazy("waiting time", "4–24 h")),
    (72, pgettext_lazy("waiting time", "1–3 days")),
    (None, pgettext_lazy("waiting time", "> 3 days")),
]


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``; it takes intervals as well as numbers."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass
class Figures:
    by_status: list  # (status value, label, count)
    issued_today: int
    issued_per_day: list  # (date, count), oldest first, 30 days, zero days included
    backlog: int
    backlog_oldest: datetime.datetime | None
    backlog_buckets: list  # (label, count)
    median_decision: datetime.timedelta | None
    decisions_by_reviewer: list  # (username, approved, returned, rejected, total)
    key_total: int
    key_with_pass: int
    machine_check: dict | None = None  # decided, all_match(_share), mismatch, overridden, rate


def _today_start(now):
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Rows:
    """What the figures count: the rows a user may see (``access``), or the deployment's."""

    requests: object
    passes: object
    events: object
    enterprises: object


def rows_for(user=None) -> Rows:
    if user is None:
        return Rows(
            PassRequest.objects.all(),
            Pass.objects.all(),
            AuditEvent.objects.all(),
            Enterprise.objects.all(),
        )
    return Rows(
        access.visible_requests(user),
        access.visible_passes(user),
        access.visible_audit_events(user),
        access.visible_enterprises(user),
    )


def requests_by_status(rows=None):
    rows = rows or rows_for()
    counts = dict(rows.requests.order_by().values_list("status").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


def issued_per_day(now, days=30, rows=None):
    start = _today_start(now) - datetime.timedelta(days=days - 1)
    passes = (rows or rows_for()).passes
    rows = dict(
        passes.filter(issued_at__gte=start)
        .annotate(day=TruncDate("issued_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    first = start.date()
    return [
        (first + datetime.timedelta(days=i), rows.get(first + datetime.timedelta(days=i), 0))
        for i in range(days)
    ]


def backlog(now, rows=None):
    queue = (rows or rows_for()).requests.filter(status__in=PassRequest.QUEUE_STATUSES)
    edges = [now - datetime.timedelta(hours=h) for h, _label in BACKLOG_BUCKETS[:-1]]
    aggregate = queue.aggregate(
        total=Count("pk"),
        oldest=Min("submitted_at"),
        b0=Count("pk", filter=Q(submitted_at__gte=edges[0])),
        b1=Count("pk", filter=Q(submitted_at__lt=edges[0], submitted_at__gte=edges[1])),
        b2=Count("pk", filter=Q(submitted_at__lt=edges[1], submitted_at__gte=edges[2])),
        b3=Count("pk", filter=Q(submitted_at__lt=edges[2])),
    )
    buckets = [
        (str(label), aggregate[f"b{i}"]) for i, (_hours, label) in enumerate(BACKLOG_BUCKETS)
    ]
    return aggregate["total"], aggregate["oldest"], buckets


def median_decision_time(since, rows=None):
    decided = (rows or rows_for()).requests.filter(
        decided_at__gte=since,
        submitted_at__isnull=False,
        status__in=[Status.APPROVED, Status.RETURNED, Status.REJECTED],
    )
    if connection.vendor == "postgresql":
        span = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
        return decided.aggregate(median=Median(span))["median"]
    spans = [
        (decided_at - submitted_at).total_seconds()
        for submitted_at, decided_at in decided.values_list("submitted_at", "decided_at")
    ]
    return datetime.timedelta(seconds=statistics.median(spans)) if spans else None


def decisions_by_reviewer(since, rows=None):
    events = (rows or rows_for()).events
    rows = (
        events.filter(action__in=DECISION_ACTIONS, created_at__gte=since, actor__isnull=False)
        .order_by()
        .values("actor__username", "actor__first_name", "actor__last_name")
        .annotate(
            approved=Count("pk", filter=Q(action="request.approve")),
            returned=Count("pk", filter=Q(action="request.return")),
            rejected=Count("pk", filter=Q(action="request.reject")),
            total=Count("pk"),
        )
        .order_by("-total", "actor__username")
    )
    return [
        (
            _person(r["actor__first_name"], r["actor__last_name"]) or r["actor__username"],
            r["approved"],
            r["returned"],
            r["rejected"],
            r["total"],
        )
        for r in rows
    ]


def _person(first_name, last_name) -> str:
    """The name people know a reviewer by, as ``User.get_full_name`` writes it."""
    return f"{first_name} {last_name}".strip()


def key_enterprises_with_pass(now, rows=None):
    rows = rows or rows_for()
    active = rows.passes.in_force(now).filter(request__enterprise=OuterRef("pk"))
    aggregate = rows.enterprises.filter(is_key_enterprise=True).aggregate(
        total=Count("pk"), with_pass=Count("pk", filter=Exists(active))
    )
    return aggregate["total"], aggregate["with_pass"]


def figures(now=None, days=30, user=None) -> Figures:
    """The figures over the deployment, or over what ``user`` may see (their offices')."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=days)
    rows = rows_for(user)
    per_day = issued_per_day(now, days, rows)
    total, oldest, buckets = backlog(now, rows)
    key_total, key_with_pass = key_enterprises_with_pass(now, rows)
    return Figures(
        by_status=requests_by_status(rows),
        issued_today=per_day[-1][1],
        issued_per_day=per_day,
        backlog=total,
        backlog_oldest=oldest,
        backlog_buckets=buckets,
        median_decision=median_decision_time(since, rows),
        decisions_by_reviewer=decisions_by_reviewer(since, rows),
        key_total=key_total,
        key_with_pass=key_with_pass,
        machine_check=machine_check_figures(since, rows.requests),
    )
