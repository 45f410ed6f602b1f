"""The Celery app. Configuration lives in Django settings under the ``CELERY_`` prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("passdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live beside the services they wrap, in each context's ``tasks`` module.
app.autodiscover_tasks(
    [
        "passes.api",
        "passes.documents",
        "passes.documents.ocr",
        "passes.enterprises",
        "passes.issuing",
        "passes.messaging",
        "passes.notifications",
        "passes.requests",
        "passes.trust",
    ]
)
