"""The outbox: storing rows, handing them to Celery, delivering them once, retrying, sweeping.

States: queued → sending → sent; a failed try goes to failed (retried after a backoff) or, after
the last attempt or a permanent error, to dead, where an officer can retry it from the admin.

Exactly once, as far as the outbox can promise it: a row is sent only by the worker that moved
it from queued/failed to sending with one conditional UPDATE, so duplicate task messages (a
redelivered ``acks_late`` task, the sweeper re-dispatching a row whose message is still in the
broker) send nothing. The one window left is a worker killed between the mail server's "250 OK"
and marking the row sent: the sweeper retries such a row after ``SENDING_TIMEOUT`` (at least
once beats never).
"""

import datetime
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import Notification
from .backoff import retry_delay
from .channels import DeliveryFailure, channel_for

logger = logging.getLogger(__name__)
Status = Notification.Status

# After a publish fails, stop trying the broker for this long (an approval should not wait for a
# dead broker once per row); the sweeper does not look at this.
BROKER_PAUSE_SECONDS = 15
_broker_paused_until = 0.0


def max_attempts() -> int:
    return settings.PASSDESK_NOTIFY_MAX_ATTEMPTS


def next_delay(attempt: int) -> float:
    return retry_delay(
        attempt,
        base=settings.PASSDESK_NOTIFY_RETRY_BASE,
        cap=settings.PASSDESK_NOTIFY_RETRY_CAP,
    )


def key(event, object_id, audit_event_id, recipient, channel) -> str:
    """A row's idempotency key: event + object (+ the audit event, so a request returned twice
    is told twice) + recipient + channel."""
    return f"{event}:{object_id}:{audit_event_id or '-'}:{recipient}:{channel}"[:200]


def store(rows: list[Notification]) -> list[int]:
    """Insert rows whose idempotency key is new; return the ids of those still to deliver."""
    if not rows:
        return []
    now = timezone.now()
    for row in rows:
        # Optimistic: the on-commit dispatch follows at once; if it fails it clears this.
        row.dispatched_at = row.dispatched_at or now
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in rows],
            status__in=Notification.DELIVERABLE,
            sent_at__isnull=True,
        ).values_list("pk", flat=True)
    )


def _eager() -> bool:
    return bool(deliver_notification.app.conf.task_always_eager)


def dispatch(ids, *, force: bool = False) -> int:
    """Hand rows to Celery. Never raises: rows the broker refused are marked undispatched and
    wait for the sweeper. Returns how many were handed over."""
    global _broker_paused_until
    ids = list(ids)
    if not ids:
        return 0
    if not force and time.monotonic() < _broker_paused_until:
        Notification.objects.filter(pk__in=ids).update(dispatched_at=None)
        return 0
    done = 0
    try:
        for pk in ids:
            deliver_notification.apply_async((pk,), retry=False)
            done += 1
    except Exception as error:  # the broker: kombu OperationalError, redis errors, timeouts
        if _eager():
            raise
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "broker unavailable, %d notification(s) left for the sweeper: %s",
            len(ids) - done,
            error,
        )
        Notification.objects.filter(pk__in=ids[done:]).update(dispatched_at=None)
    return done


def claim(pk: int) -> Notification | None:
    """Move one due row to sending, counting the attempt, and return it. None if another
    worker has it, it was sent already, or it is not due yet.

    One ``UPDATE … RETURNING`` statement (PostgreSQL, SQLite ≥ 3.35): the row is claimed and
    read in the same atomic step, and a delivery costs one statement fewer."""
    now = timezone.now()
    table = connection.ops.quote_name(Notification._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    rows = list(
        Notification.objects.raw(
            f"UPDATE {table} SET status = %s, attempts = attempts + 1, claimed_at = %s "  # noqa: S608 - table name from the model
            "WHERE id = %s AND status IN (%s, %s) AND next_attempt_at <= %s RETURNING *",
            [
                Status.SENDING,
                adapt(now),
                pk,
                Status.QUEUED,
                Status.FAILED,
                adapt(now + datetime.timedelta(seconds=1)),
            ],
        )
    )
    return rows[0] if rows else None


def deliver(pk: int) -> str:
    """Send one row if it is due and nobody else has it. Returns what happened."""
    notification = claim(pk)
    if notification is None:
        return "skipped"
    try:
        channel_for(notification.channel).send(notification)
    except DeliveryFailure as error:
        return _failed(notification, str(error), permanent=error.permanent, failure=error)
    except Exception as error:  # an unexpected bug: keep the row, retry, let the admin see it
        logger.exception("notification %s failed", pk)
        return _failed(notification, f"{type(error).__name__}: {error}", permanent=False)
    Notification.objects.filter(pk=pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), claimed_at=None, last_error="", failure=""
    )
    return "sent"


@shared_task(name="passes.deliver_notification", acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    """The worker's ``deliver``: safe to run twice, only the run that claims the row sends."""
    return deliver(notification_id)


def _failed(notification, error: str, *, permanent: bool, failure=None) -> str:
    """A rate limit (``channels.RateLimited``) waits the time the provider asked for and does
    not count as an attempt: a busy provider makes messages late, never dead."""
    now = timezone.now()
    kind = getattr(failure, "kind", Notification.Failure.RETRY)
    limited = kind == Notification.Failure.RATE_LIMITED
    if permanent or (not limited and notification.attempts >= max_attempts()):
        Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
            status=Status.DEAD, last_error=error[:2000], claimed_at=None, failure=kind
        )
        logger.warning("notification %s is dead: %s", notification.pk, error)
        return "dead"
    delay = next_delay(notification.attempts)
    if getattr(failure, "retry_after", None):
        delay = max(1.0, float(failure.retry_after))
    due = now + datetime.timedelta(seconds=delay)
    Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
        status=Status.FAILED,
        last_error=error[:2000],
        failure=kind,
        attempts=F("attempts") - 1 if limited else F("attempts"),
        next_attempt_at=due,
        dispatched_at=due,
        claimed_at=None,
    )
    if not _eager():  # eager mode would run the retry at once, recursively: leave it to sweep
        _schedule_retry(notification.pk, delay)
    return "retry"


def _schedule_retry(pk: int, delay: float) -> None:
    try:
        deliver_notification.apply_async((pk,), countdown=delay, retry=False)
    except Exception as error:
        logger.warning("could not schedule retry of notification %s: %s", pk, error)
        Notification.objects.filter(pk=pk).update(dispatched_at=None)


def sweep(*, now=None, grace=None, sending_timeout=None, limit=5000) -> dict:
    """Recover rows the broker lost or never got, and rows stuck in sending.

    Due rows (queued or failed, next attempt passed) are dispatched again if they were never
    dispatched or were dispatched more than ``grace`` seconds ago. Rows sending for longer
    than ``sending_timeout`` (a worker died mid-send) count as a failed attempt.
    """
    now = now or timezone.now()
    grace = grace if grace is not None else settings.PASSDESK_NOTIFY_SWEEP_AFTER
    sending_timeout = (
        sending_timeout if sending_timeout is not None else settings.PASSDESK_NOTIFY_SENDING_TIMEOUT
    )
    stuck = 0
    for notification in Notification.objects.filter(
        status=Status.SENDING, claimed_at__lte=now - datetime.timedelta(seconds=sending_timeout)
    )[:limit]:
        stuck += 1
        _recover_stuck(notification, now)

    stale = now - datetime.timedelta(seconds=grace)
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status__in=Notification.DELIVERABLE, next_attempt_at__lte=now)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=stale))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(dispatched_at=now)
    dispatched = dispatch(ids, force=True) if ids else 0
    return {"stuck": stuck, "due": len(ids), "dispatched": dispatched}


@shared_task(name="passes.sweep_notifications", acks_late=True, ignore_result=True)
def sweep_notifications() -> dict:
    """Beat: ``sweep``."""
    return sweep()


def _recover_stuck(notification, now) -> None:
    error = "the worker stopped while sending; retrying"
    if notification.attempts >= max_attempts():
        Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
            status=Status.DEAD, last_error=error, claimed_at=None
        )
    else:
        Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
            status=Status.FAILED,
            last_error=error,
            next_attempt_at=now,
            dispatched_at=None,
            claimed_at=None,
        )


def retry(ids) -> int:
    """An officer's retry of dead or failed rows: a fresh set of attempts, dispatched now."""
    with transaction.atomic():
        pks = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(ids), status__in=[Status.DEAD, Status.FAILED])
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=pks).update(
            status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), dispatched_at=None
        )
        if pks:
            transaction.on_commit(lambda: dispatch(pks, force=True))
    return len(pks)
