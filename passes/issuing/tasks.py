"""Work that follows issuing: the pass PDFs (and again when they go stale) and the passes'
offline-list tags."""

from celery import shared_task


@shared_task(name="passes.render_request_passes", acks_late=True)
def render_request_passes(request_id: int) -> int | None:
    """Make sure the request's combined PDF exists and is current; safe to run twice (an
    unchanged request keeps its stored file). Returns the PassPdf id, or None."""
    from . import rendering

    record = rendering.render_request_passes(request_id)
    return record.pk if record else None


@shared_task(name="passes.make_offline_tags", acks_late=True)
def make_offline_tags(request_id: int) -> int:
    """Make the offline-list tags of a request's passes here rather than in the inspector's
    first list copy after the approval: each is a deliberately slow hash (a guess must cost as
    much), too slow to make many of while an inspector waits. Safe to run twice."""
    from . import offline_tags

    return offline_tags.make_for_request(request_id)
