"""Health answers for container healthchecks and load balancers; no authentication, nothing
secret in the answer.

- ``/healthz/`` (liveness): this process serves requests and reaches its database; 200 or 503.
- ``/readyz/`` (readiness): every shared service a node needs answers — the database, the
  Celery broker (Redis) and the file storage (the S3 bucket, or the media folder); 200 when all
  do, 503 naming the ones that do not, so a proxy sends no traffic to a node that would fail.
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# A name that never exists: asking a file system storage whether it does touches the folder.
STORAGE_PROBE = "health/readiness-probe"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return  # eager mode or the in-memory broker: nothing to reach
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=3)
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:
        # One authenticated HEAD on the bucket: fails when the server, the bucket or the
        # credentials are wrong.
        default_storage.connection.meta.client.head_bucket(Bucket=bucket)
    else:
        default_storage.exists(STORAGE_PROBE)


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


@never_cache
@require_GET
def healthz(request):
    try:
        _database()
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    failing = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            logger.exception("readiness check: %s unreachable", name)
            failing.append(name)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
