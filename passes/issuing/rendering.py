"""Rendering passes to PDF and keeping the files: the task after approval and the views.

A stored PDF (``PassPdf``) carries a fingerprint of everything printed on it (numbers, plates,
windows, drivers, statuses, the signing key, the office title, the layout). Asking for a PDF
renders it only when there is no stored file, the file is missing, or the fingerprint changed
(a revocation, an amendment, a key rotation): so the Celery task after approval, the download
views and the approval e-mail share ``request_pdf`` / ``pass_pdf``. Rendering holds the
request's row lock (the render claim), so however many of them ask at once, one renders and the
others wait for its file.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone, translation

from ..models import (
    Checkpoint,
    Driver,
    Enterprise,
    Office,
    Pass,
    PassPdf,
    PassRequest,
    PassType,
    Vehicle,
    sqlrows,
)
from ..models.enterprises import plate_colour
from ..models.sqlrows import column, columns, quote, table
from ..signing.keys import current_signer, sign_pass
from ..signing.tokens import Signer, verification_url
from .offline_tags import make_offline_tags
from .pdf import sheet as pdf

logger = logging.getLogger(__name__)


def printable_passes(pass_request) -> list[Pass]:
    """The passes of a request that belong in its combined PDF: all but the revoked ones, in
    number order, with all a sheet prints (vehicle, replaced pass, drivers; the request with its
    enterprise, pass type, office and checkpoints). Rendering, every download and the approval
    e-mail read them to check the stored file is current: four plain statements
    (``sqlrows``), where the ORM spent more CPU compiling its joins than running them.
    ``printable_passes_orm`` is the same read through the ORM."""
    request_id = getattr(pass_request, "pk", pass_request)
    statements = _printable_statements(connection.vendor)
    with connection.cursor() as cursor:
        found = list(
            sqlrows.instances(
                cursor,
                statements["request"],
                [request_id],
                [PassRequest, Enterprise, PassType, Office],
            )
        )
        if not found:
            return []
        request, enterprise, pass_type, office = found[0]
        sqlrows.cache_related(request, "enterprise", enterprise)
        sqlrows.cache_related(request, "pass_type", pass_type)
        sqlrows.cache_related(pass_type, "office", office)
        passes = []
        for issued, vehicle, replaced in sqlrows.instances(
            cursor,
            statements["passes"],
            [request_id, Pass.Status.REVOKED],
            [Pass, Vehicle, Pass],
        ):
            sqlrows.cache_related(issued, "request", request)
            sqlrows.cache_related(issued, "vehicle", vehicle)
            sqlrows.cache_related(issued, "replaces", replaced)
            passes.append(issued)
        if not passes:
            return []
        drivers = {issued.pk: [] for issued in passes}
        for pass_id, driver in sqlrows.instances(
            cursor, statements["drivers"], [request_id], [Driver], link=True
        ):
            if pass_id in drivers:  # a revoked pass's drivers are not printed
                drivers[pass_id].append(driver)
        checkpoints = [
            checkpoint
            for _request_id, checkpoint in sqlrows.instances(
                cursor, statements["checkpoints"], [request_id], [Checkpoint], link=True
            )
        ]
    sqlrows.prefetched(request, "checkpoints", checkpoints)
    for issued in passes:
        sqlrows.prefetched(issued, "drivers", drivers[issued.pk])
    return passes


def printable_passes_orm(pass_request) -> list[Pass]:
    """``printable_passes`` through the ORM: the reference its plain SQL is held to."""
    request_id = getattr(pass_request, "pk", pass_request)
    return list(
        Pass.objects.filter(request_id=request_id)
        .exclude(status=Pass.Status.REVOKED)
        .select_related("vehicle", "replaces", "request__enterprise", "request__pass_type__office")
        .prefetch_related("drivers", "request__checkpoints")
        .order_by("number")
    )


@cache
def _printable_statements(vendor: str) -> dict[str, str]:
    """``printable_passes``' statements; orders as the models' ``Meta.ordering`` (which the ORM's
    prefetches used), the primary key breaking ties."""
    pk = quote("id")
    return {
        "request": (
            f"SELECT {columns(PassRequest, 'r')}, {columns(Enterprise, 'e')}, "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"{columns(PassType, 't')}, {columns(Office, 'o')} FROM {table(PassRequest)} r "
            f"JOIN {table(Enterprise)} e ON e.{pk} = r.{column(PassRequest, 'enterprise')} "
            f"JOIN {table(PassType)} t ON t.{pk} = r.{column(PassRequest, 'pass_type')} "
            f"LEFT JOIN {table(Office)} o ON o.{pk} = t.{column(PassType, 'office')} "
            f"WHERE r.{pk} = %s"
        ),
        "passes": (
            f"SELECT {columns(Pass, 'p')}, {columns(Vehicle, 'v')}, {columns(Pass, 'x')} "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"FROM {table(Pass)} p JOIN {table(Vehicle)} v ON v.{pk} = p.{column(Pass, 'vehicle')} "
            f"LEFT JOIN {table(Pass)} x ON x.{pk} = p.{column(Pass, 'replaces')} "
            f"WHERE p.{column(Pass, 'request')} = %s AND p.{column(Pass, 'status')} <> %s "
            f"ORDER BY p.{column(Pass, 'number')}"
        ),
        "drivers": sqlrows.linked_sql(Pass, "drivers", "request", 1),
        "checkpoints": sqlrows.linked_sql(PassRequest, "checkpoints", "id", 1),
    }


def office_title(pass_request) -> str:
    """The issuing office's name as printed: the pass type's office, else the settings'."""
    office = pass_request.pass_type.office
    return office.name if office is not None else settings.PASSDESK_OFFICE_TITLE


def _short_url() -> str:
    base = settings.PASSDESK_PUBLIC_BASE_URL.rstrip("/")
    return base.split("://", 1)[-1] + "/v/"


def sheet_for(pass_obj: Pass, signer: Signer) -> pdf.PassSheet:
    request = pass_obj.request
    token = sign_pass(pass_obj, signer)
    cargo = " · ".join(
        part for part in (request.get_cargo_category_display(), request.cargo_description) if part
    )
    return pdf.PassSheet(
        number=pass_obj.number,
        plate=pass_obj.plate,
        pass_type=request.pass_type.name,
        enterprise=request.enterprise.name,
        credit_code=request.enterprise.credit_code,
        vehicle_type=pass_obj.vehicle.get_vehicle_type_display(),
        drivers=[(driver.name, driver.masked_id_number) for driver in pass_obj.drivers.all()],
        cargo=cargo,
        origin=request.origin,
        destination=request.destination,
        route=request.route_description,
        checkpoints=[checkpoint.name for checkpoint in request.checkpoints.all()],
        valid_from=pass_obj.valid_from,
        valid_until=pass_obj.valid_until,
        issued_at=pass_obj.issued_at,
        qr_text=verification_url(token),
        token=token,
        kid=signer.kid,
        short_url=_short_url(),
        revoked=pass_obj.status == Pass.Status.REVOKED,
        replaces=pass_obj.replaces.number if pass_obj.replaces_id else "",
        plate_colour=plate_colour(pass_obj.plate, pass_obj.vehicle.vehicle_type),
    )


def fingerprint(passes: list[Pass], signer: Signer) -> str:
    """What the PDF depends on; a different value means the stored file is stale."""
    digest = hashlib.sha256()
    request = passes[0].request
    header = [
        pdf.font_version(),
        signer.kid,
        office_title(request),
        seal_fingerprint(request),
        settings.PASSDESK_PUBLIC_BASE_URL,
        translation.get_language() or "",
        request.pass_type.name,
        request.enterprise.name,
        request.enterprise.credit_code,
        request.cargo_category,
        request.cargo_description,
        request.origin,
        request.destination,
        request.route_description,
        ",".join(str(checkpoint.pk) + checkpoint.name for checkpoint in request.checkpoints.all()),
    ]
    digest.update("\x1f".join(header).encode())
    for pass_obj in passes:
        row = [
            pass_obj.number,
            pass_obj.plate,
            pass_obj.status,
            pass_obj.vehicle.vehicle_type,
            pass_obj.valid_from.isoformat(),
            pass_obj.valid_until.isoformat(),
            pass_obj.issued_at.isoformat(),
            ",".join(f"{d.pk}:{d.name}:{d.id_number}" for d in pass_obj.drivers.all()),
        ]
        digest.update(("\x1e" + "\x1f".join(row)).encode())
    return digest.hexdigest()


def seal_image(pass_request=None) -> bytes | None:
    """The issuing office's seal: its ``Office.seal`` image, else ``PASSDESK_SEAL_IMAGE``, else
    None (the drawn demo seal)."""
    office = pass_request.pass_type.office if pass_request is not None else None
    if office is not None and office.seal:
        with office.seal.open("rb") as handle:
            return handle.read()
    path = settings.PASSDESK_SEAL_IMAGE
    if not path:
        return None
    with open(path, "rb") as handle:
        return handle.read()


def seal_fingerprint(pass_request=None) -> str:
    image = seal_image(pass_request)
    return hashlib.sha256(image).hexdigest() if image else "drawn"


def render_passes(passes: list[Pass], signer: Signer) -> bytes:
    """The PDF of ``passes`` (any selection), not stored."""
    with translation.override(settings.LANGUAGE_CODE):
        sheets = [sheet_for(pass_obj, signer) for pass_obj in passes]
        request = passes[0].request
        return pdf.render_sheets(sheets, office_title(request), seal_image(request))


_render = render_passes


def _current(existing: PassPdf, lookup, wanted: str) -> PassPdf | None:
    """``existing`` when it is current (same fingerprint, file present)."""
    if existing.fingerprint == wanted and existing.file.storage.exists(existing.file.name):
        # The caller's request and pass, in hand: the download names the file after them.
        existing.request = lookup["request"]
        if lookup["pass_obj"] is not None:
            existing.pass_obj = lookup["pass_obj"]
        return existing
    return None


def _signer_of(passes) -> Signer:
    # The passes come with their request's pass type (the caller's request may not have it).
    return current_signer(passes[0].request.pass_type.office_id)


def _fingerprint_of(passes, signer) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return fingerprint(passes, signer)


def _stored_or_render(pass_request, pass_obj, load_passes, filename) -> PassPdf | None:
    """The current stored PDF, or one rendered now: by exactly one process.

    The request's row lock is the render claim: whoever renders holds it (the approval holds it
    too until it commits), so a download arriving while the worker renders, or while the
    approval is still committing, waits and then finds the stored file instead of drawing a
    second copy. ``load_passes`` is read again under the lock, so what is drawn is what was
    committed.
    """
    lookup = {"request": pass_request, "pass_obj": pass_obj}
    signer = None
    existing = PassPdf.objects.filter(**lookup).first()
    if existing is not None:  # without the lock: a download of a current PDF never waits
        passes = load_passes()
        if not passes:
            return None
        signer = _signer_of(passes)
        stored = _current(existing, lookup, _fingerprint_of(passes, signer))
        if stored is not None:
            return stored
    # None stored yet (the render after an approval) or stale: decided under the lock only.
    with transaction.atomic():
        list(PassRequest.objects.select_for_update().filter(pk=pass_request.pk).values("pk"))
        passes = load_passes()
        if not passes:
            return None
        signer = signer or _signer_of(passes)
        wanted = _fingerprint_of(passes, signer)
        current = PassPdf.objects.select_for_update().filter(**lookup).first()
        if (
            current
            and current.fingerprint == wanted
            and current.file.storage.exists(current.file.name)
        ):
            return current  # rendered by whoever held the claim before us
        content = _render(passes, signer)
        fresh = PassPdf(**lookup, fingerprint=wanted, page_count=len(passes), size=len(content))
        fresh.file.save(filename, ContentFile(content), save=False)
        storage = fresh.file.storage
        written = fresh.file.name
        try:  # a failure below must not leave the new file behind
            if current is None:
                fresh.save()
                record, replaced = fresh, None
            else:
                replaced = current.file.name
                current.file.name = written
                current.fingerprint, current.page_count = wanted, len(passes)
                current.size, current.rendered_at = len(content), timezone.now()
                current.save()
                record = current
        except Exception:
            storage.delete(written)
            raise
        if replaced and replaced != record.file.name:
            transaction.on_commit(lambda: storage.delete(replaced), robust=True)
    logger.info("rendered %s (%d pages, %d bytes)", record.file.name, len(passes), len(content))
    return record


def request_pdf(pass_request) -> PassPdf | None:
    """The combined PDF of a request's printable passes, rendered if missing or stale; None when
    the request has no printable pass."""
    return _stored_or_render(
        pass_request,
        None,
        lambda: printable_passes(pass_request),
        f"{pass_request.reference}.pdf",
    )


def pass_pdf(pass_obj) -> PassPdf:
    """The PDF of one pass (a revoked pass prints with a REVOKED watermark)."""
    query = (
        Pass.objects.select_related("request__enterprise", "request__pass_type__office", "vehicle")
        .prefetch_related("drivers", "request__checkpoints")
        .filter(pk=pass_obj.pk)
    )
    pass_obj = query.get()
    return _stored_or_render(
        pass_obj.request, pass_obj, lambda: list(query.all()), f"{pass_obj.number}.pdf"
    )


@shared_task(name="passes.render_request_passes", acks_late=True)
def render_request_passes(request_id: int) -> int | None:
    """Make sure an approved request's combined PDF exists and is current; safe to run twice
    (an unchanged request keeps its stored file). Returns the PassPdf id (a JSON result), or
    None."""
    pass_request = PassRequest.objects.select_related("enterprise", "pass_type__office").get(
        pk=request_id
    )
    record = request_pdf(pass_request)
    return record.pk if record else None


def download_name(record: PassPdf) -> str:
    if record.pass_obj_id:
        return f"passdesk-pass-{record.pass_obj.number}.pdf"
    return f"passdesk-passes-{record.request.reference}.pdf"


def queue_rendering(pass_request) -> None:
    """Once the current transaction commits, render the request's combined PDF in a worker, and
    make its passes' offline-list tags (slow by design) there too."""
    request_id = getattr(pass_request, "pk", pass_request)
    # robust: with the broker down the approval has committed all the same; the PDF is
    # rendered on demand (download, e-mail) and the tags at the next list copy instead of
    # raising at the caller after the commit.
    transaction.on_commit(
        lambda: render_request_passes.apply_async((request_id,), retry=False), robust=True
    )
    transaction.on_commit(
        lambda: make_offline_tags.apply_async((request_id,), retry=False), robust=True
    )
