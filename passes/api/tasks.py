"""Housekeeping for the REST API."""

from celery import shared_task


@shared_task(name="passes.purge_idempotency_keys", acks_late=True)
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key replays past their expiry (safe to run twice)."""
    from .idempotency import purge_expired

    return purge_expired()
