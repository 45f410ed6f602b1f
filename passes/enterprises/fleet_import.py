"""Bulk import of vehicles and drivers from CSV or XLSX.

The portal stores the upload as an ``ImportJob``; the Celery task ``passes.run_import``
(``run_import`` here) reads the file in a bounded child process (``documents.sandbox``:
memory, CPU and wall-clock limits the kernel enforces, structural limits checked while
reading), then validates and saves the rows in chunks, updating the job's progress after each
chunk. Good rows are saved; every bad row is recorded with its line number (as the spreadsheet
shows it: the header is line 1) and the reason. A file refused or stopped by a bound fails the
job with the reason shown on the import page. A job interrupted half-way resumes after the last
committed chunk; each run counts as an attempt, and after the last one the job is failed.
"""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import audit
from ..documents.sandbox import BoundExceeded, ChildFailed, run_bounded
from ..models import Driver, Vehicle
from ..models.imports import ImportJob
from ..validators import (
    mask_id_number,
    normalize_id_number,
    normalize_mobile,
    normalize_plate,
    validate_id_number,
    validate_mobile,
    validate_plate,
)
from .fleet import unknown_vehicle_type
from .fleet_import_io import (
    ImportFileError,
    ReadLimits,
    parse,
    preload,
    read_import,
    read_rows,
    template_file,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 100
MB = 1024 * 1024


CHINESE_VEHICLE_TYPES = {
    "重型货车": Vehicle.VehicleType.HEAVY_TRUCK,
    "重型厢式货车": Vehicle.VehicleType.HEAVY_TRUCK,
    "重型栏板货车": Vehicle.VehicleType.HEAVY_TRUCK,
    "中型货车": Vehicle.VehicleType.MEDIUM_TRUCK,
    "轻型货车": Vehicle.VehicleType.LIGHT_TRUCK,
    "厢式货车": Vehicle.VehicleType.VAN,
    "面包车": Vehicle.VehicleType.VAN,
    "冷藏车": Vehicle.VehicleType.REFRIGERATED,
    "冷藏货车": Vehicle.VehicleType.REFRIGERATED,
    "罐车": Vehicle.VehicleType.TANKER,
    "罐式货车": Vehicle.VehicleType.TANKER,
    "油罐车": Vehicle.VehicleType.TANKER,
    "牵引车": Vehicle.VehicleType.TRACTOR,
    "重型半挂牵引车": Vehicle.VehicleType.TRACTOR,
    "其他": Vehicle.VehicleType.OTHER,
    "其它": Vehicle.VehicleType.OTHER,
}


def vehicle_type_names():
    """Every accepted spelling of each vehicle type: its code and its labels in each language."""
    names = dict(CHINESE_VEHICLE_TYPES)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in Vehicle.VehicleType.choices:
                names[code] = code
                names[str(label).lower()] = code
    return names


def _vehicle_type(value, names):
    """A vehicle type given as its code, its Chinese or its English label; blank is heavy truck."""
    text = (value or "").strip().lower()
    if not text:
        return Vehicle.VehicleType.HEAVY_TRUCK
    return names.get(text)


# --- Checking and saving -------------------------------------------------------------------------


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def check_vehicle(record, type_names=None):
    """A Vehicle ready to save, or the reason it cannot be; its key for duplicate checks."""
    plate_text = record.get("plate", "")
    if not plate_text:
        return None, None, _("The plate is missing.")
    plate = normalize_plate(plate_text)
    try:
        validate_plate(plate)
    except ValidationError as error:
        return None, plate, _message(error)
    vehicle_type = _vehicle_type(record.get("vehicle_type"), type_names or vehicle_type_names())
    if vehicle_type is None:
        return (
            None,
            plate,
            unknown_vehicle_type(record.get("vehicle_type")),
        )
    licence = record.get("licence_number", "")[:40]
    return Vehicle(plate=plate, vehicle_type=vehicle_type, licence_number=licence), plate, None


def check_driver(record, type_names=None):
    name = record.get("name", "")
    id_text = record.get("id_number", "")
    phone_text = record.get("phone", "")
    if not name:
        return None, None, _("The name is missing.")
    if not id_text:
        return None, None, _("The resident ID number is missing.")
    id_number = normalize_id_number(id_text)
    try:
        validate_id_number(id_number)
    except ValidationError as error:
        return None, id_number, _message(error)
    if not phone_text:
        return None, id_number, _("The mobile number is missing.")
    phone = normalize_mobile(phone_text)
    try:
        validate_mobile(phone)
    except ValidationError as error:
        return None, id_number, _message(error)
    if len(name) > 50:
        return None, id_number, _("The name is longer than 50 characters.")
    licence = record.get("licence_number", "")[:40]
    driver = Driver(name=name, id_number=id_number, phone=phone, licence_number=licence)
    return driver, id_number, None


def _existing_keys(job):
    if job.kind == ImportJob.Kind.VEHICLES:
        return set(
            Vehicle.objects.filter(enterprise=job.enterprise).values_list("plate", flat=True)
        )
    return set(Driver.objects.filter(enterprise=job.enterprise).values_list("id_number", flat=True))


def _first_lines(parsed, kind, type_names):
    """For duplicate detection: the first line each valid key appears on in the file."""
    check = check_vehicle if kind == ImportJob.Kind.VEHICLES else check_driver
    first = {}
    for line, record in parsed:
        _obj, key, reason = check(record, type_names)
        if key and reason is None and key not in first:
            first[key] = line
    return first


def _process_chunk(job, chunk, first_lines, existing, type_names):
    check = check_vehicle if job.kind == ImportJob.Kind.VEHICLES else check_driver
    model = Vehicle if job.kind == ImportJob.Kind.VEHICLES else Driver
    good, rejected = [], []
    for line, record in chunk:
        obj, key, reason = check(record, type_names)
        if reason is None and first_lines.get(key) != line:
            reason = _("Duplicate in this file: same as line %(line)d.") % {
                "line": first_lines[key]
            }
        if reason is None and key in existing:
            reason = (
                _("Vehicle %(plate)s already exists.") % {"plate": key}
                if job.kind == ImportJob.Kind.VEHICLES
                else _("A driver with this ID number already exists.")
            )
        if reason is not None:
            shown = key or ""
            if job.kind == ImportJob.Kind.DRIVERS and shown:
                shown = mask_id_number(shown)  # lists never show a full ID number
            rejected.append({"line": line, "reason": str(reason), "value": shown})
            continue
        obj.enterprise = job.enterprise
        good.append(obj)
        existing.add(key)
    with transaction.atomic():
        model.objects.bulk_create(good)
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        locked.processed += len(chunk)
        locked.created += len(good)
        locked.rejected_rows = [*locked.rejected_rows, *rejected]
        locked.save(update_fields=["processed", "created", "rejected_rows"])
    job.processed, job.created, job.rejected_rows = (
        locked.processed,
        locked.created,
        locked.rejected_rows,
    )


def _fail(job, message):
    job.status = ImportJob.Status.FAILED
    job.error = str(message)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])


def _given_up(job):
    return _(
        "The import was given up after %(count)d attempts. Upload the file again, or split it "
        "into smaller files."
    ) % {"count": job.attempts}


def _begin_attempt(job_id):
    """Count this run before the file is read, so a run that takes its worker down still
    counts. Returns the job and whether to run it (not if finished, or given up now)."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("enterprise", "user")
            .get(pk=job_id)
        )
        if job.is_finished:
            return job, False
        if job.attempts >= settings.PASSDESK_IMPORT_MAX_ATTEMPTS:
            with translation.override(job.language):
                _fail(job, _given_up(job))
            return job, False
        job.attempts += 1
        job.attempted_at = timezone.now()
        job.save(update_fields=["attempts", "attempted_at"])
    return job, True


def _bound_reason(error):
    """What the uploader reads when reading the file went past a bound."""
    if isinstance(error, BoundExceeded) and error.kind in ("memory", "output"):
        return _(
            "Reading the file needed more than the %(mb)d MB of memory an import may use. It "
            "may be damaged or not a plain spreadsheet: save it again as XLSX or CSV, or split "
            "it into smaller files."
        ) % {"mb": settings.PASSDESK_IMPORT_MEMORY_BYTES // MB}
    if isinstance(error, BoundExceeded):
        return _(
            "Reading the file took longer than the %(seconds)d seconds an import may take. It "
            "may be damaged or not a plain spreadsheet: save it again as XLSX or CSV, or split "
            "it into smaller files."
        ) % {"seconds": int(error.limit)}
    return _(
        "The file could not be read: the reader stopped unexpectedly. Save it again as XLSX or "
        "CSV and try again."
    )


def _too_large():
    return ImportFileError(
        _("The file is larger than %(mb)d MB; split it into several imports.")
        % {"mb": settings.PASSDESK_IMPORT_MAX_BYTES // MB}
    )


def read_job_file(job):
    """The job's rows, read in a child process under the ``PASSDESK_IMPORT_*`` bounds.

    Raises ``ImportFileError`` (the file is refused, with the reason), ``BoundExceeded`` or
    ``ChildFailed`` (the reading was stopped); ``OSError`` if no child could be started."""
    limit = settings.PASSDESK_IMPORT_MAX_BYTES
    with job.file.open("rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise _too_large()
    preload()
    return run_bounded(
        read_import,
        raw,
        job.original_name,
        job.kind,
        ReadLimits.from_settings(),
        memory_bytes=settings.PASSDESK_IMPORT_MEMORY_BYTES,
        cpu_seconds=settings.PASSDESK_IMPORT_CPU_SECONDS,
        wall_seconds=settings.PASSDESK_IMPORT_WALL_SECONDS,
    )


@shared_task(name="passes.run_import", acks_late=True)
def run_import(job_id: int) -> dict:
    """Process an uploaded vehicle or driver spreadsheet; safe to call again (a finished job is
    left as it is). Returns the job's outcome as the worker's (JSON) result."""
    job = _process(job_id)
    return {"status": job.status, "created": job.created, "rejected": len(job.rejected_rows)}


def _process(job_id: int) -> ImportJob:
    job, go = _begin_attempt(job_id)
    if not go:
        return job
    with translation.override(job.language):
        try:
            parsed = read_job_file(job)
        except ImportFileError as error:
            _fail(job, error)
            return job
        except (BoundExceeded, ChildFailed) as error:
            logger.warning("import job %s stopped: %s (%s)", job.pk, error, error.usage)
            _fail(job, _bound_reason(error))
            return job
        job.status = ImportJob.Status.RUNNING
        job.total = len(parsed)
        job.save(update_fields=["status", "total"])
        type_names = vehicle_type_names()
        first_lines = _first_lines(parsed, job.kind, type_names)
        # Rows saved by an interrupted run are already in ``existing``; skip what was counted.
        existing = _existing_keys(job)
        for start in range(job.processed, len(parsed), CHUNK_SIZE):
            chunk = parsed[start : start + CHUNK_SIZE]
            _process_chunk(job, chunk, first_lines, existing, type_names)
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        audit.record(
            f"fleet.import_{job.kind}",
            actor=job.user,
            enterprise=job.enterprise,
            data={"job": job.pk, "created": job.created, "rejected": len(job.rejected_rows)},
        )
    return job


def start_import(*, enterprise, user, kind, uploaded, language):
    """Store the upload as a job and queue the task once the job row is committed."""
    name = uploaded.name or "import"
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise ImportFileError(_("Upload a CSV or XLSX file."))
    if uploaded.size > settings.PASSDESK_IMPORT_MAX_BYTES:
        raise _too_large()
    job = ImportJob.objects.create(
        enterprise=enterprise,
        user=user,
        kind=kind,
        file=uploaded,
        original_name=name[:255],
        language=language or "zh-hans",
    )
    transaction.on_commit(lambda: queue_import(job.pk), robust=True)
    return job


def queue_import(job_id: int) -> bool:
    """Hand a job to a worker. Never raises: with the broker away the job stays waiting and
    ``sweep_imports`` (beat) queues it once the broker is back."""
    try:
        run_import.apply_async((job_id,), retry=False)
    except Exception as error:  # kombu OperationalError, redis errors, timeouts
        if run_import.app.conf.task_always_eager:
            raise
        logger.warning("import job %s waits for the sweeper: %s", job_id, error)
        return False
    return True


@shared_task(name="passes.sweep_imports", acks_late=True, ignore_result=True)
def sweep_imports(*, older_than_seconds: int | None = None) -> int:
    """Queue again the unfinished jobs nobody is working on (the broker was away or lost the
    message, a worker died), backing off: a job waits ``older_than_seconds`` (default
    ``PASSDESK_IMPORT_RETRY_SECONDS``) after upload, doubled for each attempt made; a job
    that has had all its attempts is failed ("given up after N attempts") instead. A running
    job counts as abandoned only once its run is older than the task's hard time limit.
    Returns how many jobs were queued."""
    base = older_than_seconds if older_than_seconds is not None else _retry_seconds()
    most = settings.PASSDESK_IMPORT_MAX_ATTEMPTS
    now = timezone.now()
    due = Q()
    for attempts in range(most + 1):
        wait = datetime.timedelta(seconds=base * 2**attempts)
        count = Q(attempts=attempts) if attempts < most else Q(attempts__gte=most)
        due |= count & Q(last__lte=now - wait)
    abandoned = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + base)
    jobs = (
        ImportJob.objects.filter(status__in=(ImportJob.Status.PENDING, ImportJob.Status.RUNNING))
        .annotate(last=Coalesce("attempted_at", "created_at"))
        .filter(due)
        .filter(Q(status=ImportJob.Status.PENDING) | Q(last__lte=abandoned))
        .order_by("last")
    )
    queued = 0
    for pk, attempts in list(jobs.values_list("pk", "attempts")[:500]):
        if attempts >= most:
            _give_up(pk)
        elif queue_import(pk):
            ImportJob.objects.filter(pk=pk).update(attempted_at=timezone.now())
            queued += 1
    return queued


def _retry_seconds():
    return settings.PASSDESK_IMPORT_RETRY_SECONDS


def _give_up(job_id):
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        with translation.override(job.language):
            _fail(job, _given_up(job))
    logger.warning("import job %s given up after %s attempts", job_id, job.attempts)


__all__ = [
    "ImportFileError",
    "parse",
    "read_job_file",
    "read_rows",
    "run_import",
    "start_import",
    "sweep_imports",
    "template_file",
]
