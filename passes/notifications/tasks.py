"""Notification tasks: deliver one outbox row, sweep the outbox, expiring passes, digests."""

from celery import shared_task


@shared_task(name="passes.deliver_notification", acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    """Send one outbox row. Safe to run twice: only the run that claims the row sends."""
    from . import outbox

    return outbox.deliver(notification_id)


@shared_task(name="passes.sweep_notifications", acks_late=True, ignore_result=True)
def sweep_notifications() -> dict:
    """Re-dispatch rows the broker never got or lost, and recover rows stuck in sending."""
    from . import outbox

    return outbox.sweep()


@shared_task(name="passes.notify_expiring_passes", acks_late=True, ignore_result=True)
def notify_expiring_passes() -> int:
    from . import periodic

    return periodic.notify_expiring_passes()


@shared_task(name="passes.send_review_digests", acks_late=True, ignore_result=True)
def send_review_digests() -> int:
    from . import periodic

    return periodic.send_review_digests()
