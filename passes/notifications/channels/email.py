"""E-mail through Django's e-mail framework: plain-text and HTML parts, and for issued passes
the request's combined PDF attached (besides the link in the body)."""

import contextlib
import logging
import smtplib
import threading
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from . import PermanentFailure, TemporaryFailure

logger = logging.getLogger(__name__)


# Larger PDFs (hundreds of passes) travel as the link in the body only.
ATTACH_MAX_BYTES = 8 * 1024 * 1024


def pass_pdf(pass_ids):
    """``(filename, bytes)`` of the request's combined pass PDF (ISSUING's ``request_pdf``:
    stored, or rendered now if missing or stale), or None when there is none or it is too big;
    the e-mail body always carries the link as well."""
    if not pass_ids:
        return None
    from ...models import Pass

    first = Pass.objects.filter(pk__in=pass_ids).select_related("request").first()
    if first is None:
        return None
    try:
        from ...issuing.rendering import request_pdf

        record = request_pdf(first.request)
        if record is None or record.size > ATTACH_MAX_BYTES:
            return None
        with record.file.open("rb") as handle:
            content = handle.read()
    except Exception:  # a PDF problem must not stop the e-mail: the link is in the body
        logger.exception("could not attach the PDF of request %s", first.request_id)
        return None
    return f"passdesk-passes-{first.request.reference}.pdf", content


class _Reused(threading.local):
    backend = None
    key = None
    last_used = 0.0


_reused = _Reused()
# Keep one open connection per worker thread between messages sent in quick succession (a
# backlog, a digest run); after this long idle it is reopened, before the server drops it.
REUSE_IDLE_SECONDS = 20


def _close_reused():
    if _reused.backend is not None:
        with contextlib.suppress(Exception):
            _reused.backend.close()
    _reused.backend = None


def _backend():
    key = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    if _reused.key != key or time.monotonic() - _reused.last_used > REUSE_IDLE_SECONDS:
        _close_reused()
    if _reused.backend is None:
        _reused.backend = get_connection(fail_silently=False)
        _reused.backend.open()
        _reused.key = key
    return _reused.backend


def _deliver(message) -> None:
    for attempt in (1, 2):
        message.connection = _backend()
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            _close_reused()  # the server closed the kept connection: once more, freshly
            if attempt == 2:
                raise
            continue
        except Exception:
            _close_reused()
            raise
        _reused.last_used = time.monotonic()
        return


def send(notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"X-Passdesk-Event": notification.event},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    attachment = pass_pdf(notification.attachments)
    if attachment is not None:
        message.attach(attachment[0], attachment[1], "application/pdf")
    try:
        _deliver(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"recipient refused: {error.recipients}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
