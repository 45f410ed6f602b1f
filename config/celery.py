"""The Celery app. Configuration lives in Django settings under the ``CELERY_`` prefix."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("passdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A task is defined in the service module whose work it does (docs/architecture.md), so the
# worker imports those modules themselves (related_name=None): named here as strings, config
# imports nothing of the app.
app.autodiscover_tasks(
    [
        "passes.api.idempotency",
        "passes.documents.previews",
        "passes.documents.ocr.services",
        "passes.enterprises.fleet_import",
        "passes.issuing.offline_tags",
        "passes.issuing.rendering",
        "passes.messaging.announcements",
        "passes.notifications.outbox",
        "passes.notifications.periodic",
        "passes.requests.workflow",
        "passes.trust.pull",
    ],
    related_name=None,
)

# Celery's Django fix-up closes the database connection before and after every task unless
# CELERY_DB_REUSE_MAX is set: a new PostgreSQL connection (a backend process) for each thumbnail
# and e-mail. Workers follow Django's own rule instead, as web requests do: the connection is
# kept for CONN_MAX_AGE seconds, checked before reuse (CONN_HEALTH_CHECKS) and dropped after an
# error that left it unusable.
app.conf.CELERY_DB_REUSE_MAX = 2**31


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    if task is None or getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's request and transaction
    from django.db import close_old_connections

    close_old_connections()


@signals.worker_ready.connect
@signals.worker_process_init.connect
def _settle_heap(**kwargs):
    """The worker has loaded the app and started its pool, or a pool process has forked with
    the app loaded: settle that process's heap (``config.heap``)."""
    from config import heap

    heap.settle()
