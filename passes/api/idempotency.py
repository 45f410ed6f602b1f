"""``Idempotency-Key`` for the API's create and submit calls.

A client that did not hear the answer to a POST sends it again with the same key: it gets the
first answer back (status and body, with ``Idempotent-Replayed: true``) instead of a second
request. The same key with a different method, path or body is refused (422
``idempotency_key_reused``); a key whose first request is still running gets 409
``idempotency_in_progress``. Keys belong to one user and expire after
``PASSDESK_IDEMPOTENCY_TTL_HOURS``.

Insert first: the row is created before the work starts, so the unique constraint on
(user, key) lets exactly one of two concurrent requests proceed. Only successful (2xx) answers
are kept; after an error the key is released so the corrected request can be sent with it.
"""

import datetime
import functools
import hashlib
import json

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..models import IdempotencyKey
from .errors import ApiError

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# A first request that has not finished after this long is taken as lost (its worker died).
ABANDONED_AFTER = datetime.timedelta(minutes=5)


class KeyReused(ApiError):
    def __init__(self):
        super().__init__(
            _(
                "This Idempotency-Key was already used for a different request; use a new key "
                "for a new request."
            ),
            code="idempotency_key_reused",
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )


class InProgress(ApiError):
    def __init__(self):
        super().__init__(
            _("A request with this Idempotency-Key is still being processed; try again shortly."),
            code="idempotency_in_progress",
            status_code=status.HTTP_409_CONFLICT,
        )


class BadKey(ApiError):
    def __init__(self):
        message = _("The Idempotency-Key header must be 1 to %(max)d visible ASCII characters.") % {
            "max": MAX_KEY_LENGTH
        }
        super().__init__(message, code="invalid_idempotency_key", fields={HEADER: [message]})


def fingerprint(request) -> str:
    """What the key promises to stand for: method, path and the parsed body."""
    data = request.data
    if isinstance(data, QueryDict):
        data = {key: data.getlist(key) for key in sorted(data)}
    payload = json.dumps(
        {"method": request.method, "path": request.path, "body": data},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(char) < 127 for char in key)


def begin(user, key: str, request) -> IdempotencyKey:
    """Claim ``key`` for this request, or return the completed record to replay.

    Raises ``KeyReused`` or ``InProgress``.
    """
    now = timezone.now()
    print_ = fingerprint(request)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method,
                    path=request.path[:300],
                    fingerprint=print_,
                    expires_at=now
                    + datetime.timedelta(hours=settings.PASSDESK_IDEMPOTENCY_TTL_HOURS),
                )
        except IntegrityError:
            pass
        with transaction.atomic():
            existing = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
            if existing is None:
                continue  # released meanwhile: try to claim it again
            lost = not existing.is_complete and existing.created_at < now - ABANDONED_AFTER
            if existing.expires_at <= now or lost:
                existing.delete()
                continue
            if existing.fingerprint != print_:
                raise KeyReused()
            if not existing.is_complete:
                raise InProgress()
            return existing
    raise InProgress()


def complete(record: IdempotencyKey, response) -> None:
    body = json.loads(JSONRenderer().render(response.data) or b"null")
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response_body=body
    )


def release(record: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def replay(record: IdempotencyKey) -> Response:
    return Response(
        record.response_body, status=record.status_code, headers={REPLAY_HEADER: "true"}
    )


def idempotent(handler):
    """Decorate a view method (``post``) to honour the ``Idempotency-Key`` header."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        key = key.strip()
        if not _valid_key(key):
            raise BadKey()
        record = begin(request.user, key, request)
        if record.is_complete:
            return replay(record)
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            release(record)
            raise
        if 200 <= response.status_code < 300:
            complete(record, response)
        else:
            release(record)
        return response

    return wrapper


def purge_expired(now=None) -> int:
    """Delete keys past their expiry; returns how many."""
    deleted, _details = IdempotencyKey.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted


@shared_task(name="passes.purge_idempotency_keys", acks_late=True)
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key replays past their expiry (beat; safe to run twice)."""
    return purge_expired()
