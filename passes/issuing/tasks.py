"""Pass tasks: rendering PDFs after approval (and again when they go stale), and expiry."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="passes.render_request_passes", acks_late=True)
def render_request_passes(request_id: int) -> int | None:
    """Make sure the request's combined PDF exists and is current; safe to run twice (an
    unchanged request keeps its stored file). Returns the PassPdf id, or None."""
    from . import rendering

    record = rendering.render_request_passes(request_id)
    return record.pk if record else None


@shared_task(name="passes.expire_passes", acks_late=True)
def expire_passes() -> int:
    """Expire every active pass whose validity has ended; returns how many changed."""
    from ..models import Pass
    from ..requests import workflow

    now = timezone.now()
    due = Pass.objects.filter(status=Pass.Status.ACTIVE, valid_until__lte=now)
    return sum(
        workflow.expire_pass(pass_id, at=now) for pass_id in due.values_list("pk", flat=True)
    )
