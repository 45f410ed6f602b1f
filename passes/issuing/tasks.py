"""Rendering pass PDFs after approval (and again when they go stale)."""

from celery import shared_task


@shared_task(name="passes.render_request_passes", acks_late=True)
def render_request_passes(request_id: int) -> int | None:
    """Make sure the request's combined PDF exists and is current; safe to run twice (an
    unchanged request keeps its stored file). Returns the PassPdf id, or None."""
    from . import rendering

    record = rendering.render_request_passes(request_id)
    return record.pk if record else None
