"""Machine reading of a document: scheduled after its upload commits, run by the ``ocr`` worker.

A reading is advisory. Whatever goes wrong (an unreadable scan, a worker that is down, a time
limit) leaves the document "not machine-read" and review goes on as before.
"""

import datetime
import functools
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ... import audit
from ...models import Document, DocumentReading
from . import engine
from .checks import outcome_of, run_checks
from .extract import extract

logger = logging.getLogger(__name__)

Status = DocumentReading.Status


def schedule_reading(document: Document) -> DocumentReading | None:
    """Mark a new ``document`` as being read and send it to the ``ocr`` queue once the
    surrounding transaction commits. Call inside the upload's transaction, which has just
    written the document (so it has no reading yet; ``reread`` reads one again). Does nothing
    when OCR is off."""
    if not settings.PASSDESK_OCR_ENABLED:
        return None
    reading = DocumentReading.objects.create(
        document=document, status=Status.PENDING, requested_at=timezone.now()
    )
    transaction.on_commit(functools.partial(_send, document.pk))
    return reading


def _send(document_id: int) -> None:
    from .tasks import read_document

    try:
        read_document.apply_async((document_id,), retry=False)
    except Exception:  # broker unreachable: the upload stands, the document is not read
        logger.warning("could not queue machine reading of document %s", document_id)
        DocumentReading.objects.filter(document_id=document_id, status=Status.PENDING).update(
            status=Status.NOT_READ, reason="queue_unavailable"
        )


def reread(document: Document, *, by) -> DocumentReading:
    """An officer asks for the document to be read again (after a failure, or a new engine)."""
    with transaction.atomic():
        reading, _created = DocumentReading.objects.update_or_create(
            document=document,
            defaults={"status": Status.PENDING, "reason": "", "requested_at": timezone.now()},
        )
        audit.record(
            "document.reread",
            actor=by,
            request=document.request,
            enterprise=document.enterprise,
            data={"document": document.pk},
        )
        transaction.on_commit(functools.partial(_send, document.pk))
    return reading


def _load(document_id):
    return (
        Document.objects.select_related(
            "enterprise", "vehicle", "driver", "item__vehicle", "request__pass_type"
        )
        .filter(pk=document_id)
        .first()
    )


def _finish(document, **values) -> DocumentReading:
    """Store the outcome and put what was read in the audit trail."""
    values.setdefault("read_at", timezone.now())
    with transaction.atomic():
        reading, _created = DocumentReading.objects.update_or_create(
            document=document,
            defaults={"requested_at": values.pop("requested_at", timezone.now()), **values},
        )
        audit.record(
            "document.machine_read",
            request=document.request,
            enterprise=document.enterprise,
            reason=values.get("reason", ""),
            data={
                "document": document.pk,
                "status": reading.status,
                "outcome": reading.outcome,
                "checks": reading.checks,
                "engine": reading.engine_version,
                "seconds": reading.seconds,
            },
        )
    return reading


def read_document(document_id: int, *, attempts: int = 1) -> DocumentReading | None:
    """Read the document, extract its kind's fields, check them; store all of it."""
    document = _load(document_id)
    if document is None:  # removed since the upload: nothing to do
        return None
    existing = DocumentReading.objects.filter(document=document).first()
    requested_at = existing.requested_at if existing else timezone.now()
    common = {"requested_at": requested_at, "attempts": (existing.attempts if existing else 0) + 1}
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
        result = engine.read_file(data, document.content_type)
    except engine.EngineUnavailable:
        logger.error("OCR engine unavailable; document %s not machine-read", document_id)
        return _finish(document, status=Status.NOT_READ, reason="unavailable", **common)
    except (TimeoutError, SoftTimeLimitExceeded):  # the task's time limit
        return _finish(document, status=Status.NOT_READ, reason="timeout", **common)
    except Exception:
        # The scan itself (never its content) is named in the log.
        logger.warning("document %s could not be machine-read", document_id, exc_info=True)
        return _finish(document, status=Status.NOT_READ, reason="unreadable", **common)
    lines = [line.as_dict() for line in result.lines]
    base = {
        "engine_version": result.engine_version,
        "pages": result.pages,
        "seconds": round(result.seconds, 3),
        "cpu_seconds": round(result.cpu_seconds, 3),
        "lines": lines,
        **common,
    }
    if not lines:
        return _finish(document, status=Status.NOT_READ, reason="no_text", **base)
    extraction = extract(document.kind, [line["text"] for line in lines])
    for name, index in extraction.evidence.items():
        lines[index].setdefault("fields", []).append(name)
    checks = run_checks(document, extraction, lines)
    return _finish(
        document,
        status=Status.READ,
        reason="",
        fields=extraction.fields,
        checks=checks,
        outcome=outcome_of(checks),
        **base,
    )


def mark_timed_out(document_id: int) -> None:
    document = _load(document_id)
    if document is not None:
        _finish(document, status=Status.NOT_READ, reason="timeout")


def effective_status(reading: DocumentReading | None, now=None) -> tuple[str, str]:
    """(status, reason) as a person should see it: a reading still pending long after it was
    asked for is "not machine-read" (the OCR worker is down or the queue is jammed)."""
    if reading is None:
        return Status.NOT_READ, "not_requested"
    if reading.status == Status.PENDING:
        now = now or timezone.now()
        stale = datetime.timedelta(seconds=settings.PASSDESK_OCR_STALE_AFTER_SECONDS)
        if now - reading.requested_at > stale:
            return Status.NOT_READ, "stale"
    return reading.status, reading.reason
