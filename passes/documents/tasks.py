"""Previews of scanned materials (thumbnail and page pictures), drawn after the upload commits."""

from celery import shared_task
from django.conf import settings


@shared_task(
    name="passes.make_thumbnail",
    acks_late=True,
    soft_time_limit=settings.PASSDESK_RENDER_WALL_SECONDS + 30,
    time_limit=settings.PASSDESK_RENDER_WALL_SECONDS + 60,
)
def make_thumbnail(document_id: int) -> bool:
    """Draw the document's thumbnail and page pictures in a bounded child (``previews``); a
    no-op when they exist or the document is marked "cannot be shown". A file that cannot be
    drawn marks the document, it is never raised, so the worker carries on."""
    from .previews import ensure_previews

    return ensure_previews(document_id)


@shared_task(name="passes.sweep_thumbnails", acks_late=True, ignore_result=True)
def sweep_thumbnails() -> dict:
    """Send again the recent previews whose task never reached a worker or did not finish;
    give up on those tried too often."""
    from .previews import sweep_previews

    return sweep_previews()
