"""Celery tasks of the messaging area: thin, taking ids, safe to run twice (acks_late)."""

from celery import shared_task


@shared_task(name="passes.start_announcement_delivery", acks_late=True, ignore_result=True)
def start_announcement_delivery(announcement_id: int) -> int:
    from .announcements import start_delivery

    return start_delivery(announcement_id)


@shared_task(name="passes.deliver_announcement_batch", acks_late=True, ignore_result=True)
def deliver_announcement_batch(announcement_id: int, enterprise_ids: list[int]) -> int:
    from .announcements import deliver_batch

    return deliver_batch(announcement_id, enterprise_ids)


@shared_task(name="passes.publish_due_announcements", acks_late=True, ignore_result=True)
def publish_due_announcements() -> int:
    from .announcements import publish_due

    return publish_due()
