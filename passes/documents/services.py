"""Attaching, replacing and removing scanned materials, and who may see them.

The portal, the API, the admin and the demo all call these functions; they check the actor,
the links between the objects and the request's state, inspect the file, store it under a
random name, audit the change and queue the thumbnail once the transaction commits. A failure
half-way leaves nothing behind: the row is rolled back and a stored file is removed.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import access, audit, roles
from ..errors import WorkflowError
from ..models import Document, DocumentKind, PassRequest, sqlrows
from ..models.catalog import DRIVER_DOCUMENT_KINDS, HEALTH_PROOF_KINDS, VEHICLE_DOCUMENT_KINDS
from .errors import UploadRejected
from .inspection import InspectedUpload, inspect_upload
from .ocr.services import schedule_reading

logger = logging.getLogger(__name__)

# A test report timed a few minutes "in the future" is a clock difference, not a lie.
CLOCK_SKEW = datetime.timedelta(minutes=5)


def _require_member(by, enterprise) -> None:
    message = _("Only members of %(enterprise)s can change its documents.")
    roles.require_member(by, enterprise, message % {"enterprise": enterprise})


# --- Who may -----------------------------------------------------------------------------------


def can_view_document(user, document) -> bool:
    """Whether ``document`` (in hand) is in ``user``'s access policy: members of the owning
    enterprise; reviewers and officers of its office once its request has been submitted (the
    review side never sees drafts); nobody else. One indexed look-up by primary key."""
    return access.visible_documents(user).filter(pk=document.pk).exists()


def documents_visible_to(user):
    """The documents ``user`` may see, as a queryset: ``access.visible_documents``."""
    return access.visible_documents(user)


def _require_editable(pass_request) -> None:
    if not pass_request.is_editable:
        raise WorkflowError(
            _(
                "Request %(reference)s is %(status)s; its documents can be changed only while "
                "it is a draft or returned for changes."
            )
            % {"reference": pass_request.reference, "status": pass_request.get_status_display()},
            code="not_editable",
        )


# --- What it is attached to ---------------------------------------------------------------------


def _check_links(enterprise, *, kind, request, item, driver, vehicle):
    """Everything belongs to ``enterprise`` and fits together; fill in the only vehicle or the
    only driver of a request when a per-vehicle or per-driver kind leaves it out. Returns the
    (item, driver, vehicle) to store."""
    if kind not in DocumentKind.values:
        raise UploadRejected(
            _("Choose what kind of document this is."), "invalid_kind", field="kind"
        )
    for field, obj, message in (
        ("request", request, _("That request does not belong to %(enterprise)s.")),
        ("driver", driver, _("That driver does not belong to %(enterprise)s.")),
        ("vehicle", vehicle, _("That vehicle does not belong to %(enterprise)s.")),
    ):
        if obj is not None and obj.enterprise_id != enterprise.pk:
            raise UploadRejected(
                message % {"enterprise": enterprise}, "wrong_enterprise", field=field
            )
    if item is not None:
        if request is None or item.request_id != request.pk:
            raise UploadRejected(
                _("That vehicle is not on this request."), "wrong_request", field="item"
            )
        if vehicle is not None and vehicle.pk != item.vehicle_id:
            raise UploadRejected(
                _("The vehicle and the request item do not match."), "wrong_request", field="item"
            )
    if request is None:
        if vehicle is not None and driver is not None:
            raise UploadRejected(
                _("A document belongs to one vehicle or one driver, not both."),
                "ambiguous_owner",
                field="driver",
            )
        return None, driver, vehicle

    for_driver = driver is not None or kind in DRIVER_DOCUMENT_KINDS
    if item is not None and vehicle is None and not for_driver:
        items = [item]  # a vehicle's document for a named item: nothing else to look up
    else:
        items = request.items.select_related("vehicle")
        if for_driver:
            items = items.prefetch_related("drivers")  # only a driver's document needs them
        items = list(items)
    if item is not None:  # the same item, with its vehicle loaded
        item = next((it for it in items if it.pk == item.pk), item)
    if vehicle is not None and item is None:
        item = next((it for it in items if it.vehicle_id == vehicle.pk), None)
        if item is None:
            raise UploadRejected(
                _("Vehicle %(plate)s is not on request %(reference)s.")
                % {"plate": vehicle.plate, "reference": request.reference},
                "wrong_request",
                field="vehicle",
            )
    request_drivers = {}
    if for_driver:
        request_drivers = {d.pk: d for it in items for d in it.drivers.all()}
    if driver is not None and driver.pk not in request_drivers:
        raise UploadRejected(
            _("Driver %(name)s is not on request %(reference)s.")
            % {"name": driver.name, "reference": request.reference},
            "wrong_request",
            field="driver",
        )
    if kind in VEHICLE_DOCUMENT_KINDS and item is None:
        if len(items) != 1:
            raise UploadRejected(
                _("Say which vehicle this %(kind)s belongs to.")
                % {"kind": DocumentKind(kind).label},
                "vehicle_required",
                field="item",
            )
        item = items[0]
    if kind in DRIVER_DOCUMENT_KINDS and driver is None:
        if len(request_drivers) != 1:
            raise UploadRejected(
                _("Say which driver this %(kind)s belongs to.")
                % {"kind": DocumentKind(kind).label},
                "driver_required",
                field="driver",
            )
        driver = next(iter(request_drivers.values()))
    return item, driver, item.vehicle if item is not None else None


def _clean_tested_at(kind, tested_at):
    if kind not in HEALTH_PROOF_KINDS:
        return None
    if tested_at is None:
        raise UploadRejected(
            _("Give the time the nucleic-acid test sample was taken."),
            "tested_at_required",
            field="tested_at",
        )
    if not isinstance(tested_at, datetime.datetime):
        raise UploadRejected(
            _("Give the test time as a date and time."), "tested_at_invalid", field="tested_at"
        )
    if timezone.is_naive(tested_at):
        tested_at = timezone.make_aware(tested_at)
    if tested_at > timezone.now() + CLOCK_SKEW:
        raise UploadRejected(
            _("The test time %(time)s is in the future.")
            % {"time": date_format(timezone.localtime(tested_at), "DATETIME_FORMAT")},
            "tested_at_in_future",
            field="tested_at",
        )
    return tested_at


def _duplicate_check(request, inspected: InspectedUpload, *, exclude_pk=None) -> None:
    earlier = _earlier_copy(request, inspected, exclude_pk=exclude_pk)
    if earlier is not None:
        raise _duplicate(inspected, earlier)


def _earlier_copy(request, inspected: InspectedUpload, *, exclude_pk=None) -> Document | None:
    """The document of ``request`` that is the same file, if any."""
    if request is None:
        return None
    earlier = Document.objects.filter(request=request, sha256=inspected.sha256)
    if exclude_pk:
        earlier = earlier.exclude(pk=exclude_pk)
    return earlier.first()


def _duplicate(inspected, earlier) -> UploadRejected:
    return UploadRejected(
        _(
            "“%(name)s” was refused: it is the same file as “%(earlier)s”, already attached to "
            "this request."
        )
        % {"name": inspected.name, "earlier": earlier.original_name},
        "duplicate",
    )


# --- Storing ----------------------------------------------------------------------------------


def _lock_request(pass_request):
    return PassRequest.objects.select_for_update().get(pk=pass_request.pk)


def _queue_thumbnail(document_id: int) -> None:
    """Ask a worker for the thumbnail. Never raises: with the broker away the upload has
    committed all the same, and the thumbnail is drawn by the sweeper or on first view."""
    from .previews import make_thumbnail

    try:
        make_thumbnail.apply_async((document_id,), retry=False)
    except Exception as error:  # kombu OperationalError, redis errors, timeouts
        if getattr(make_thumbnail.app.conf, "task_always_eager", False):
            raise
        logger.warning("thumbnail of document %s left for the sweeper: %s", document_id, error)


def _after_commit(func, *args) -> None:
    """Run ``func(*args)`` once the transaction commits; an error there is logged, never
    raised at a caller whose work has committed. (A plain function, not functools.partial:
    Django's robust-hook logging reads ``__qualname__``.)"""

    def hook():
        func(*args)

    hook.__qualname__ = getattr(func, "__qualname__", "hook")
    transaction.on_commit(hook, robust=True)


def _delete_files(names, storage) -> None:
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete stored file %s", name, exc_info=True)


def _save_new(document: Document, uploaded_file, inspected: InspectedUpload) -> None:
    """Write the file and the row; if the row cannot be written, remove the file.

    No savepoint of its own: a unique-key failure here ends the caller's transaction, and the
    caller, outside it, names the file that raced in (``_refuse_raced``)."""
    stored = None
    try:
        document.file.save(inspected.name, uploaded_file, save=False)
        stored = document.file.name
        document.save()
    except BaseException:
        _delete_files([stored], document.file.storage)
        raise


def _document_for(inspected: InspectedUpload, *, by, tested_at, **where) -> Document:
    """A new document row for an inspected upload, placed where ``where`` says (enterprise,
    request, kind, and the item, driver or vehicle it belongs to)."""
    return Document(
        **where,
        original_name=inspected.name,
        sha256=inspected.sha256,
        content_type=inspected.content_type,
        size=inspected.size,
        page_count=inspected.page_count,
        tested_at=tested_at,
        uploaded_by=by,
    )


class _NewFile:
    """A new document's stored file, which must go again unless the row pointing at it
    commits: on any failure, ``discard()`` in the caller's ``except`` removes it."""

    def __init__(self):
        self.name = None
        self.committed = False

    def save(self, document: Document, uploaded_file, inspected: InspectedUpload) -> None:
        _save_new(document, uploaded_file, inspected)
        self.name = document.file.name
        # The first commit hook of the new row: from then on the file must stay, even when a
        # later hook fails.
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self.committed = True

    def discard(self) -> None:
        if self.name and not self.committed:
            _delete_files([self.name], Document.file.field.storage)


def _refuse_raced(error, request, inspected: InspectedUpload, *, exclude_pk=None) -> None:
    """After the database refused the row and the transaction rolled back: when the same file
    raced in from another upload past ``_duplicate_check``, refuse it naming that file."""
    if isinstance(error, IntegrityError):
        earlier = _earlier_copy(request, inspected, exclude_pk=exclude_pk)
        if earlier is not None:
            raise _duplicate(inspected, earlier) from None


def _upload_data(document: Document) -> dict:
    return {
        "document": document.pk,
        "kind": document.kind,
        "name": document.original_name,
        "sha256": document.sha256,
        "size": document.size,
        "content_type": document.content_type,
        "pages": document.page_count,
        "item": document.item_id,
        "driver": document.driver_id,
        "vehicle": document.vehicle_id,
    }


def attach_document(
    *,
    enterprise,
    uploaded_file,
    kind,
    by,
    request=None,
    item=None,
    driver=None,
    vehicle=None,
    tested_at=None,
) -> Document:
    """Inspect ``uploaded_file`` and attach it to ``request`` (optionally to one of its items or
    drivers), or keep it as a standing document of the enterprise, a vehicle or a driver.

    Raises ``UploadRejected`` for a refused file or inconsistent details, and
    ``WorkflowError`` (``not_allowed``, ``not_editable``) when ``by`` may not change them."""
    _require_member(by, enterprise)
    if request is not None:
        _require_editable(request)
    item, driver, vehicle = _check_links(
        enterprise, kind=kind, request=request, item=item, driver=driver, vehicle=vehicle
    )
    tested_at = _clean_tested_at(kind, tested_at)
    inspected = inspect_upload(uploaded_file)  # outside the transaction: it may take a moment
    new_file = _NewFile()
    try:
        with transaction.atomic():
            if request is not None:
                request = _lock_request(request)
                _require_editable(request)
            _duplicate_check(request, inspected)
            document = _document_for(
                inspected,
                by=by,
                tested_at=tested_at,
                enterprise=enterprise,
                request=request,
                item=item,
                driver=driver,
                vehicle=vehicle,
                kind=kind,
            )
            new_file.save(document, uploaded_file, inspected)
            audit.record(
                "document.upload",
                actor=by,
                request=request,
                enterprise=enterprise,
                data=_upload_data(document),
            )
            _after_commit(_queue_thumbnail, document.pk)
            # The new document's reading is known (None with OCR off): the answer's machine
            # check shows it without reading it back.
            sqlrows.cache_related(document, "reading", schedule_reading(document))
    except BaseException as error:
        new_file.discard()
        _refuse_raced(error, request, inspected)
        raise
    return document


def remove_document(document, *, by) -> None:
    """Remove a document while its request is editable (a standing document: while no queued
    request relies on it). The files are deleted once the removal commits."""
    with transaction.atomic():
        locked = (
            Document.objects.select_for_update(of=("self",))
            .select_related("enterprise", "request")
            .get(pk=document.pk)
        )
        _require_member(by, locked.enterprise)
        if locked.request_id:
            _require_editable(_lock_request(locked.request))
        else:
            _require_unused(locked)
        names = [locked.file.name, locked.thumbnail.name, *locked.preview_pages]
        storage = locked.file.storage
        audit.record(
            "document.remove",
            actor=by,
            request=locked.request,
            enterprise=locked.enterprise,
            data=_upload_data(locked),
        )
        locked.delete()
        _after_commit(_delete_files, names, storage)


def _require_unused(document) -> None:
    """A standing document of a vehicle or driver on a queued request is what the reviewer is
    looking at: it stays until the decision."""
    queued = PassRequest.objects.filter(
        enterprise_id=document.enterprise_id, status__in=PassRequest.QUEUE_STATUSES
    )
    if document.vehicle_id:
        queued = queued.filter(items__vehicle_id=document.vehicle_id)
    elif document.driver_id:
        queued = queued.filter(items__drivers__id=document.driver_id)
    else:
        return
    in_use = queued.first()
    if in_use is not None:
        raise WorkflowError(
            _("“%(name)s” is part of request %(reference)s, which is being reviewed.")
            % {"name": document.original_name, "reference": in_use.reference},
            code="not_editable",
        )


def replace_document(document, *, uploaded_file, by, tested_at=None) -> Document:
    """Put a new file in place of ``document``: same kind, request, vehicle and driver. The old
    row and files go, the new document gets a new id; the audit event links the two."""
    old = Document.objects.select_related("enterprise", "request", "item", "driver").get(
        pk=document.pk
    )
    _require_member(by, old.enterprise)
    if old.request_id:
        _require_editable(old.request)
    tested_at = _clean_tested_at(old.kind, tested_at)
    inspected = inspect_upload(uploaded_file)
    if inspected.sha256 == old.sha256:
        raise UploadRejected(
            _("“%(name)s” is the same file as the one it should replace.")
            % {"name": inspected.name},
            "unchanged",
        )
    new_file = _NewFile()
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update(of=("self",)).get(pk=old.pk)
            request = None
            if locked.request_id:
                request = _lock_request(old.request)
                _require_editable(request)
            _duplicate_check(request, inspected, exclude_pk=locked.pk)
            old_names = [locked.file.name, locked.thumbnail.name, *locked.preview_pages]
            old_data = _upload_data(locked)
            replacement = _document_for(
                inspected,
                by=by,
                tested_at=tested_at,
                enterprise=old.enterprise,
                request=request,
                item_id=locked.item_id,
                driver_id=locked.driver_id,
                vehicle_id=locked.vehicle_id,
                kind=locked.kind,
            )
            locked.delete()
            new_file.save(replacement, uploaded_file, inspected)
            audit.record(
                "document.replace",
                actor=by,
                request=request,
                enterprise=old.enterprise,
                data={**_upload_data(replacement), "replaced": old_data},
            )
            _after_commit(_delete_files, old_names, replacement.file.storage)
            _after_commit(_queue_thumbnail, replacement.pk)
            schedule_reading(replacement)
    except BaseException as error:
        new_file.discard()
        _refuse_raced(error, old.request, inspected, exclude_pk=old.pk)
        raise
    return replacement
