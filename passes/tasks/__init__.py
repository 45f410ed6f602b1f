"""Celery tasks, one module per area; each is imported here so the worker registers it.

Tasks are thin: they take ids, are safe to run twice, and call the service modules.
"""

from .events import deliver_event, expire_passes

__all__ = ["deliver_event", "expire_passes"]
