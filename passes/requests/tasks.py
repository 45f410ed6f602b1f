"""Workflow tasks: the periodic sweep that expires passes whose window has ended."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="passes.expire_passes", acks_late=True)
def expire_passes() -> int:
    """Expire every active pass whose validity has ended; returns how many changed."""
    from ..models import Pass
    from . import workflow

    now = timezone.now()
    due = Pass.objects.due_to_expire(now)
    return sum(
        workflow.expire_pass(pass_id, at=now) for pass_id in due.values_list("pk", flat=True)
    )
