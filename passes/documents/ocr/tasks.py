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


@shared_task(name="passes.sweep_readings", acks_late=True, ignore_result=True)
def sweep_readings() -> dict:
    """Send again the readings left pending by an outage (broker, object store, a dead worker);
    runs on the default queue, so a long OCR queue does not hold it up."""
    from . import services

    return services.sweep_readings()
