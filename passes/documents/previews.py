"""A document's previews (its thumbnail and a picture of every page): drawn once by a worker,
stored, and served as stored; nothing is drawn in a web request.

The upload queues ``passes.make_thumbnail``; the worker draws everything in one child process
the kernel bounds (``pictures.draw_previews`` under ``PASSDESK_RENDER_*``). A drawing that
passes a bound (memory, CPU, wall time), crashes its child or meets a damaged file marks the
document "cannot be shown" with the reason, which the review page shows; it is never tried
again. Every run counts an attempt; a run that could not finish for a reason outside the file
(the file store away, a worker that died) leaves the document pending, and the sweeper
(``passes.sweep_thumbnails``) or the next view sends it again after a wait that doubles
(``PASSDESK_PREVIEW_RETRY_SECONDS``), until ``PASSDESK_PREVIEW_MAX_ATTEMPTS`` runs: then it is
"cannot be shown" too (gave_up). With no broker (the embedded demo) the queued task runs at
once in the same process, still in its bounded child.
"""

import datetime
import logging
import os
import shutil
import tempfile

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..health.outages import storage_away
from ..models import Document
from ..models.documents import PreviewStatus
from . import pictures
from .sandbox import BoundExceeded, ChildFailed, run_bounded

logger = logging.getLogger(__name__)

# How long a view's or the sweeper's request may wait for a worker before it is sent again.
QUEUE_GRACE_SECONDS = 120
RETRY_CAP_SECONDS = 6 * 3600
SWEEP_WITHIN_DAYS = 2

REASONS = {
    "bound_memory": _("drawing it needed more memory than a document may use"),
    "bound_cpu": _("drawing it took more processor time than a document may use"),
    "bound_wall": _("drawing it took longer than a document may take"),
    "bound_output": _("its pictures are larger than a document's may be"),
    "crashed": _("the drawing program stopped on this file"),
    "damaged": _("the file is damaged and cannot be drawn"),
    "file_missing": _("the stored file is missing"),
    "gave_up": _("it could not be drawn after several tries"),
}


def reason_text(document) -> str:
    return str(REASONS.get(document.preview_reason, document.preview_reason))


def _retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after ``attempts`` runs: the base, doubling, at most six hours."""
    base = settings.PASSDESK_PREVIEW_RETRY_SECONDS
    return datetime.timedelta(seconds=min(RETRY_CAP_SECONDS, base * 2 ** max(0, attempts - 1)))


def _busy_for(attempts: int) -> datetime.timedelta:
    """A run's next try is pushed back past the longest it can take, so no sweep sends it
    while it is drawing."""
    running = datetime.timedelta(seconds=settings.PASSDESK_RENDER_WALL_SECONDS + 60)
    return max(_retry_delay(attempts), running)


def fail(document_id: int, reason: str, usage=None) -> None:
    """Mark the document "cannot be shown"; it is not tried again."""
    logger.warning(
        "thumbnail: document %s cannot be drawn: %s%s",
        document_id,
        reason,
        f" ({usage})" if usage else "",
    )
    Document.objects.filter(pk=document_id, preview_status=PreviewStatus.PENDING).update(
        preview_status=PreviewStatus.FAILED, preview_reason=reason, preview_retry_at=None
    )


def _queue(document_id: int) -> bool:
    try:
        make_thumbnail.apply_async((document_id,), retry=False)
    except Exception as error:  # the broker is away: the sweeper sends it later
        if getattr(make_thumbnail.app.conf, "task_always_eager", False):
            raise
        logger.warning("previews of document %s left for the sweeper: %s", document_id, error)
        return False
    return True


def request_previews(document) -> str:
    """For views: the document's preview status, after making sure a worker will draw a
    pending one (queued when its next try is due, the next try pushed back first, so
    concurrent views queue it once). Never draws anything itself."""
    if document.preview_status != PreviewStatus.PENDING:
        return document.preview_status
    now = timezone.now()
    retry_at = document.preview_retry_at
    if retry_at is not None and retry_at > now:
        return PreviewStatus.PENDING
    if document.preview_attempts >= settings.PASSDESK_PREVIEW_MAX_ATTEMPTS:
        fail(document.pk, "gave_up")
        document.preview_status, document.preview_reason = PreviewStatus.FAILED, "gave_up"
        return PreviewStatus.FAILED
    claimed = Document.objects.filter(
        pk=document.pk, preview_status=PreviewStatus.PENDING, preview_retry_at=retry_at
    ).update(preview_retry_at=now + datetime.timedelta(seconds=QUEUE_GRACE_SECONDS))
    if claimed and _queue(document.pk):
        # Drawn already when tasks run eagerly (no broker): serve it at once.
        document.refresh_from_db(
            fields=["preview_status", "preview_reason", "thumbnail", "preview_pages"]
        )
    return document.preview_status


def ensure_previews(document_or_id) -> bool:
    """Draw and store the document's previews unless it has them. True when they exist after
    the call. Counts an attempt; a refusal by the bounds marks the document, an outage leaves
    it for the next try. Never raises for the file's sake: the worker carries on."""
    document_id = getattr(document_or_id, "pk", document_or_id)
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        logger.info("thumbnail: document %s no longer exists", document_id)
        return False
    if document.preview_status != PreviewStatus.PENDING:
        return document.preview_status == PreviewStatus.READY
    attempts = document.preview_attempts + 1
    if attempts > settings.PASSDESK_PREVIEW_MAX_ATTEMPTS:
        fail(document_id, "gave_up")
        return False
    claimed = Document.objects.filter(
        pk=document_id,
        preview_status=PreviewStatus.PENDING,
        preview_attempts=document.preview_attempts,
    ).update(preview_attempts=attempts, preview_retry_at=timezone.now() + _busy_for(attempts))
    if not claimed:  # another worker took it up (or finished) meanwhile
        return Document.objects.filter(pk=document_id, preview_status=PreviewStatus.READY).exists()
    done = _draw_and_store(document)
    if isinstance(document_or_id, Document):
        document_or_id.refresh_from_db()
    return done


@shared_task(
    name="passes.make_thumbnail",
    acks_late=True,
    soft_time_limit=settings.PASSDESK_RENDER_WALL_SECONDS + 30,
    time_limit=settings.PASSDESK_RENDER_WALL_SECONDS + 60,
)
def make_thumbnail(document_id: int) -> bool:
    """The worker's ``ensure_previews``: drawn in a bounded child; a no-op when they exist or
    the document is marked "cannot be shown". A file that cannot be drawn marks the document,
    it is never raised, so the worker carries on."""
    return ensure_previews(document_id)


def _draw_and_store(document) -> bool:
    try:
        data = pictures.stored_bytes(document)
    except OSError as error:
        if storage_away(error):
            logger.warning(
                "previews of document %s wait for the file store: %r", document.pk, error
            )
            return False
        fail(document.pk, "file_missing")
        return False
    except pictures.PreviewUnavailable:
        fail(document.pk, "damaged")
        return False
    directory = tempfile.mkdtemp(prefix="passdesk-previews-")
    try:
        try:
            names = run_bounded(
                pictures.draw_previews,
                data,
                document.content_type,
                document.page_count,
                directory,
                settings.PASSDESK_PREVIEW_WIDTH,
                max_result_bytes=64 * 1024,
                **pictures.bounds(),
            )
        except BoundExceeded as error:
            fail(document.pk, f"bound_{error.kind}", error.usage)
            return False
        except ChildFailed as error:
            fail(document.pk, "crashed", error.usage)
            return False
        except pictures.PreviewUnavailable:
            fail(document.pk, "damaged")
            return False
        return _store(document, directory, names)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _store(document, directory, names) -> bool:
    field = document.thumbnail
    storage = field.storage
    stored = []
    try:
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                target = field.field.generate_filename(document, "thumb.jpg")
                if name != "thumbnail.jpg":
                    target = target.replace("thumbnails/", "previews/", 1)
                stored.append(storage.save(target, File(handle)))
    except OSError as error:
        _delete(storage, stored)
        if storage_away(error):
            logger.warning(
                "previews of document %s wait for the file store: %r", document.pk, error
            )
            return False
        raise
    thumbnail, pages = stored[0], stored[1:]
    keep_thumbnail = bool(document.thumbnail)  # drawn before the page pictures existed
    updated = Document.objects.filter(pk=document.pk, preview_status=PreviewStatus.PENDING).update(
        thumbnail=document.thumbnail.name if keep_thumbnail else thumbnail,
        preview_pages=pages,
        preview_status=PreviewStatus.READY,
        preview_reason="",
        preview_retry_at=None,
    )
    if not updated:  # another worker finished first: keep theirs
        _delete(storage, stored)
    elif keep_thumbnail:
        _delete(storage, [thumbnail])
    return True


def _delete(storage, names) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete stored file %s", name, exc_info=True)


def sweep_previews(*, now=None, limit: int = 200) -> dict:
    """Send again the recent documents whose previews are due (a task the broker lost, a
    worker that died, the file store away), each claimed with a conditional UPDATE; one tried
    ``PASSDESK_PREVIEW_MAX_ATTEMPTS`` times is given up. Documents older than two days are
    left to their next view."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=QUEUE_GRACE_SECONDS)
    due = list(
        Document.objects.filter(
            preview_status=PreviewStatus.PENDING,
            uploaded_at__gte=now - datetime.timedelta(days=SWEEP_WITHIN_DAYS),
        )
        .filter(
            Q(preview_retry_at__lte=now)
            | Q(preview_retry_at__isnull=True, uploaded_at__lte=now - grace)
        )
        .order_by("uploaded_at")
        .values_list("pk", "preview_attempts", "preview_retry_at")[:limit]
    )
    sent = given_up = 0
    for pk, attempts, retry_at in due:
        if attempts >= settings.PASSDESK_PREVIEW_MAX_ATTEMPTS:
            fail(pk, "gave_up")
            given_up += 1
            continue
        claimed = Document.objects.filter(
            pk=pk, preview_status=PreviewStatus.PENDING, preview_retry_at=retry_at
        ).update(preview_retry_at=now + max(grace, _retry_delay(attempts)))
        if claimed and _queue(pk):
            sent += 1
    return {"due": len(due), "sent": sent, "given_up": given_up}


@shared_task(name="passes.sweep_thumbnails", acks_late=True, ignore_result=True)
def sweep_thumbnails() -> dict:
    """Beat: ``sweep_previews``."""
    return sweep_previews()
