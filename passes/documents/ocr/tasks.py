"""Machine reading of scanned materials, on the ``ocr`` queue (the worker-ocr service)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings


@shared_task(
    name="passes.read_document",
    acks_late=True,
    soft_time_limit=settings.PASSDESK_OCR_TIME_LIMIT_SECONDS,
    time_limit=settings.PASSDESK_OCR_TIME_LIMIT_SECONDS + 30,
)
def read_document(document_id: int) -> str | None:
    """Read one document (again): safe to run twice, the reading is replaced."""
    from . import services

    try:
        reading = services.read_document(document_id)
    except SoftTimeLimitExceeded:
        services.mark_timed_out(document_id)
        return "timeout"
    return reading.status if reading else None
