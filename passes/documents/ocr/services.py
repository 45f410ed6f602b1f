"""Machine reading of a document: scheduled after its upload commits, run by the ``ocr`` worker.

A reading is advisory. Whatever goes wrong with the scan (unreadable, no text, a time limit)
leaves the document "not machine-read" and review goes on as before.

An outage is no verdict on the document: when the stored file cannot be fetched (the object
store is away) or the task never reached a worker (the broker lost it), the reading stays
pending and ``sweep_readings`` (beat, every minute) sends it again, waiting longer each time
(``PASSDESK_OCR_RETRY_SECONDS``, doubling, at most ``RETRY_CAP_SECONDS``), until
``PASSDESK_OCR_GIVE_UP_SECONDS`` after it was asked for; only then is it "not machine-read",
saying why (``file_unavailable`` or ``stale``), never "unreadable".
"""

import datetime
import functools
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ... import audit
from ...models import Document, DocumentReading
from ..sandbox import BoundExceeded, ChildFailed
from . import engine
from .checks import outcome_of, run_checks
from .extract import extract

logger = logging.getLogger(__name__)

Status = DocumentReading.Status
RETRY_CAP_SECONDS = 600
WAITING_FOR_STORAGE = "storage_unavailable"


def _seconds(value) -> datetime.timedelta:
    return datetime.timedelta(seconds=value)


def _queue_grace() -> datetime.timedelta:
    """How long a sent reading may wait for a worker before the sweeper sends it again."""
    return _seconds(settings.PASSDESK_OCR_STALE_AFTER_SECONDS)


def _retry_delay(requested_at, now) -> datetime.timedelta:
    """The wait before the next try: as long as the reading has waited already (so the waits
    double), from ``PASSDESK_OCR_RETRY_SECONDS`` up to ``RETRY_CAP_SECONDS``."""
    waited = (now - requested_at).total_seconds()
    return _seconds(min(RETRY_CAP_SECONDS, max(settings.PASSDESK_OCR_RETRY_SECONDS, waited)))


def _given_up(requested_at, now) -> bool:
    return (now - requested_at).total_seconds() > settings.PASSDESK_OCR_GIVE_UP_SECONDS


def schedule_reading(document: Document) -> DocumentReading | None:
    """Mark a new ``document`` as being read and send it to the ``ocr`` queue once the
    surrounding transaction commits. Call inside the upload's transaction, which has just
    written the document (so it has no reading yet; ``reread`` reads one again). Does nothing
    when OCR is off."""
    if not settings.PASSDESK_OCR_ENABLED:
        return None
    now = timezone.now()
    reading = DocumentReading.objects.create(
        document=document, status=Status.PENDING, requested_at=now, retry_at=now + _queue_grace()
    )
    transaction.on_commit(functools.partial(_send, document.pk))
    return reading


def _send(document_id: int) -> bool:
    """Queue the reading; False (and the reading due for the next sweep) if the broker is
    away."""
    try:
        read_document.apply_async((document_id,), retry=False)
    except Exception:  # broker unreachable: the upload stands, the sweeper sends it later
        logger.warning("could not queue machine reading of document %s", document_id)
        DocumentReading.objects.filter(document_id=document_id, status=Status.PENDING).update(
            reason="queue_unavailable", retry_at=timezone.now()
        )
        return False
    return True


def reread(document: Document, *, by) -> DocumentReading:
    """An officer asks for the document to be read again (after a failure, or a new engine)."""
    with transaction.atomic():
        reading, _created = DocumentReading.objects.update_or_create(
            document=document,
            defaults={
                "status": Status.PENDING,
                "reason": "",
                "requested_at": timezone.now(),
                "retry_at": timezone.now() + _queue_grace(),
            },
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
    values.setdefault("retry_at", None)
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


def read_now(document_id: int) -> DocumentReading | None:
    """Read the document here and now, extract its kind's fields, check them; store all of
    it. A reading that is no longer pending (a duplicate message, a second sweep) is left as it
    is: ``reread`` asks for a new one."""
    document = _load(document_id)
    if document is None:  # removed since the upload: nothing to do
        return None
    existing = DocumentReading.objects.filter(document=document).first()
    if existing is not None and existing.status != Status.PENDING:
        return existing
    now = timezone.now()
    requested_at = existing.requested_at if existing else now
    common = {"requested_at": requested_at, "attempts": (existing.attempts if existing else 0) + 1}
    if existing is not None:  # taken up: a worker killed from here on is retried after a while
        run_limit = _seconds(settings.PASSDESK_OCR_TIME_LIMIT_SECONDS + 30)
        DocumentReading.objects.filter(pk=existing.pk, status=Status.PENDING).update(
            attempts=common["attempts"], retry_at=now + max(_queue_grace(), run_limit)
        )
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except Exception as error:  # the store, not the scan: no verdict on the document
        return _fetch_failed(document, error, **common)
    try:
        result = engine.read_file(data, document.content_type)
    except engine.EngineUnavailable:
        logger.error("OCR engine unavailable; document %s not machine-read", document_id)
        return _finish(document, status=Status.NOT_READ, reason="unavailable", **common)
    except (TimeoutError, SoftTimeLimitExceeded):  # the task's time limit
        return _finish(document, status=Status.NOT_READ, reason="timeout", **common)
    except (BoundExceeded, ChildFailed) as error:  # opening the scan passed its bounds
        logger.warning("document %s not machine-read: %s (%s)", document_id, error, error.usage)
        return _finish(document, status=Status.NOT_READ, reason="too_heavy", **common)
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
    extraction = extract(document.kind, lines)
    checks = run_checks(document, extraction, lines)
    for name, index in extraction.evidence.items():  # the checks may point at a line too
        if index is not None:
            lines[index].setdefault("fields", []).append(name)
    return _finish(
        document,
        status=Status.READ,
        reason="",
        fields=extraction.fields,
        checks=checks,
        outcome=outcome_of(checks),
        **base,
    )


def _fetch_failed(document, error, *, requested_at, attempts) -> DocumentReading:
    """The stored file could not be fetched: the reading waits and is tried again later (the
    sweeper), until it has waited ``PASSDESK_OCR_GIVE_UP_SECONDS``."""
    now = timezone.now()
    logger.warning(
        "document %s: the stored file could not be fetched for reading (%r); will retry",
        document.pk,
        error,
    )
    if _given_up(requested_at, now):
        return _finish(
            document,
            status=Status.NOT_READ,
            reason="file_unavailable",
            requested_at=requested_at,
            attempts=attempts,
        )
    reading, _created = DocumentReading.objects.update_or_create(
        document=document,
        defaults={
            "status": Status.PENDING,
            "reason": WAITING_FOR_STORAGE,
            "requested_at": requested_at,
            "attempts": attempts,
            "retry_at": now + _retry_delay(requested_at, now),
        },
    )
    return reading


# Beat runs it on the default queue, so a long OCR queue does not hold it up.
@shared_task(name="passes.sweep_readings", acks_late=True, ignore_result=True)
def sweep_readings(*, now=None, limit: int = 200) -> dict:
    """Send again the pending readings that are due: a task the broker lost, a file the store
    could not give, a worker that died while reading. Each is claimed with a conditional
    UPDATE (two sweeps never send one twice) and its next try pushed back first; one that has
    waited past ``PASSDESK_OCR_GIVE_UP_SECONDS`` is given up, saying why."""
    now = now or timezone.now()
    due = list(
        DocumentReading.objects.filter(status=Status.PENDING)
        .filter(
            Q(retry_at__lte=now) | Q(retry_at__isnull=True, requested_at__lte=now - _queue_grace())
        )
        .order_by("requested_at")
        .values_list("pk", "document_id", "requested_at", "retry_at", "reason", "attempts")[:limit]
    )
    sent = given_up = 0
    for pk, document_id, requested_at, retry_at, reason, attempts in due:
        if _given_up(requested_at, now):
            document = _load(document_id)
            if document is not None:
                why = "file_unavailable" if reason == WAITING_FOR_STORAGE else "stale"
                _finish(
                    document,
                    status=Status.NOT_READ,
                    reason=why,
                    requested_at=requested_at,
                    attempts=attempts,
                )
                given_up += 1
            continue
        claimed = DocumentReading.objects.filter(
            pk=pk, status=Status.PENDING, retry_at=retry_at
        ).update(retry_at=now + _retry_delay(requested_at, now))
        if claimed and _send(document_id):
            sent += 1
    return {"due": len(due), "sent": sent, "given_up": given_up}


def mark_timed_out(document_id: int) -> None:
    document = _load(document_id)
    if document is not None:
        _finish(document, status=Status.NOT_READ, reason="timeout")


@shared_task(
    name="passes.read_document",
    acks_late=True,
    soft_time_limit=settings.PASSDESK_OCR_TIME_LIMIT_SECONDS,
    time_limit=settings.PASSDESK_OCR_TIME_LIMIT_SECONDS + 30,
)
def read_document(document_id: int) -> str | None:
    """The ``ocr`` worker's ``read_now`` (safe to run twice: the reading is replaced); a read
    past the soft time limit leaves the document "not machine-read" (timeout)."""
    try:
        reading = read_now(document_id)
    except SoftTimeLimitExceeded:
        mark_timed_out(document_id)
        return "timeout"
    return reading.status if reading else None


def effective_status(reading: DocumentReading | None, now=None) -> tuple[str, str]:
    """(status, reason) as a person should see it: a reading still pending long after it was
    asked for is "not machine-read" (the OCR worker is down or the queue is jammed), unless it
    is waiting for the file store (it is tried again, and says so)."""
    if reading is None:
        return Status.NOT_READ, "not_requested"
    if reading.status == Status.PENDING and reading.reason == WAITING_FOR_STORAGE:
        return Status.PENDING, WAITING_FOR_STORAGE
    if reading.status == Status.PENDING:
        now = now or timezone.now()
        stale = datetime.timedelta(seconds=settings.PASSDESK_OCR_STALE_AFTER_SECONDS)
        if now - reading.requested_at > stale:
            return Status.NOT_READ, "stale"
    return reading.status, reading.reason
