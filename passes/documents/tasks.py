"""Thumbnails of scanned materials, made after the upload commits."""

from celery import shared_task


@shared_task(name="passes.make_thumbnail", acks_late=True)
def make_thumbnail(document_id: int) -> bool:
    """Draw the first page of a document; a no-op when the thumbnail exists already. A file
    that cannot be drawn is logged by the service, not raised, so the worker carries on."""
    from . import ensure_thumbnail

    return ensure_thumbnail(document_id)


@shared_task(name="passes.sweep_thumbnails", acks_late=True, ignore_result=True)
def sweep_thumbnails() -> int:
    """Draw the thumbnails of recent uploads whose task never reached a worker."""
    from ..documents import sweep_thumbnails as sweep

    return sweep()
