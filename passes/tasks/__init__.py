"""Celery tasks, one module per area; each is imported here so the worker registers it.

Tasks are thin: they take ids, are safe to run twice, and call the service modules.
"""

from .api import purge_idempotency_keys
from .documents import make_thumbnail
from .events import expire_passes
from .imports import run_import
from .issuing import render_request_passes
from .notifications import (
    deliver_notification,
    notify_expiring_passes,
    send_review_digests,
    sweep_notifications,
)
from .ocr import read_document

__all__ = [
    "deliver_notification",
    "expire_passes",
    "make_thumbnail",
    "notify_expiring_passes",
    "purge_idempotency_keys",
    "read_document",
    "render_request_passes",
    "run_import",
    "send_review_digests",
    "sweep_notifications",
]
