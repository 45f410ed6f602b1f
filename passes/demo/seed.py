"""Seeding the demo from ``passes.demo.data``, through the same services people use.

Enterprises are verified by the officer, fleets registered by each enterprise's applicant
(``passes.enterprises.fleet``), drafts filed with ``passes.requests.filing``, scans attached with
``passes.documents.attach_document`` and every state reached by ``passes.requests.workflow``, so the
audit trail, pass numbers and notifications are the real ones. Records are looked up by their
natural keys first: seeding twice changes nothing.
"""

import contextlib
import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from .. import validators
from ..documents import attach_document
from ..enterprises import fleet
from ..models import (
    Checkpoint,
    Document,
    DocumentKind,
    Driver,
    Enterprise,
    Membership,
    Pass,
    PassRequest,
    PassType,
    Vehicle,
)
from ..requests import filing, workflow
from . import data
from .scans import make_scan_file, make_scan_pdf

SCAN_SIZE = (1000, 700)  # smaller than a real scan: the demo makes dozens of them
DOCUMENT_SIZE = (827, 1169)  # A4 at 100 dpi, for the PDF business licences

User = get_user_model()


@contextlib.contextmanager
def quietly():
    """Keep the seeding's notifications (console e-mail, log lines) off the screen."""
    previous_backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        settings.EMAIL_BACKEND = previous_backend


def seed() -> list[tuple[str, str, str]]:
    """Create whatever is missing. Returns (role, username, detail) for the login table."""
    with quietly():
        logins = _seed_staff()
        checkpoints = _seed_checkpoints()
        officer = User.objects.get(username="officer")
        enterprises = {}
        for spec in data.ENTERPRISES:
            enterprises[spec["key"]] = _seed_enterprise(spec, officer)
        reviewer = User.objects.get(username="reviewer")
        for spec in data.REQUESTS:
            seed_request(spec, enterprises[spec["enterprise"]], checkpoints, reviewer, officer)
        from .history import seed_history

        seed_history(enterprises, checkpoints, reviewer, officer)
        for key, reason in data.SUSPENSIONS.items():
            workflow.set_enterprise_verification(
                enterprises[key], status="suspended", by=officer, reason=reason
            )
        _seed_scans(checkpoints)
        from .faq import seed_faq

        seed_faq()
    main = data.ENTERPRISES[0]
    logins.insert(0, ("enterprise applicant (企业经办人)", main["applicant"][0], main["name"]))
    return logins


# --- Accounts and checkpoints -------------------------------------------------------------------


def _ensure_user(username, full_name, *, groups=(), is_staff=False, is_superuser=False):
    user, _created = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = full_name, ""  # Chinese names read family name first
    user.email = user.email or f"{username}@passdesk.invalid"
    user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
    user.set_password(data.DEMO_PASSWORD)  # every run: the printed logins always work
    user.save()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def _seed_staff():
    logins = []
    for username, role, groups, is_staff, is_superuser, full_name in data.STAFF:
        _ensure_user(
            username, full_name, groups=groups, is_staff=is_staff, is_superuser=is_superuser
        )
        logins.append((role, username, full_name))
    return logins


def _seed_checkpoints():
    checkpoints = {}
    for code, name, location in data.CHECKPOINTS:
        checkpoints[code], _created = Checkpoint.objects.get_or_create(
            code=code, defaults={"name": name, "location": location}
        )
    return checkpoints


# --- Enterprises, fleets, standing documents ----------------------------------------------------


def _seed_enterprise(spec, officer):
    enterprise = Enterprise.objects.filter(credit_code=spec["credit_code"]).first()
    if enterprise is None:
        enterprise = Enterprise.objects.create(
            name=spec["name"],
            credit_code=spec["credit_code"],
            address=spec["address"],
            contact_name=spec["contact_name"],
            contact_phone=spec["contact_phone"],
            is_key_enterprise=spec["key_enterprise"],
        )
        if spec["verification"] == Enterprise.Verification.VERIFIED:
            workflow.set_enterprise_verification(enterprise, status="verified", by=officer)
    username, full_name = spec["applicant"]
    applicant = _ensure_user(username, full_name)
    Membership.objects.get_or_create(
        user=applicant, defaults={"enterprise": enterprise, "role": Membership.Role.OWNER}
    )
    enterprise.demo_applicant = applicant
    _attach_standing(
        enterprise,
        applicant,
        DocumentKind.BUSINESS_LICENCE,
        {
            "credit_code": enterprise.credit_code,
            "name": enterprise.name,
            "address": spec["address"],
        },
        pdf=True,
    )
    for plate, vehicle_type, licence in spec["vehicles"]:
        vehicle = Vehicle.objects.filter(
            enterprise=enterprise, plate=validators.normalize_plate(plate)
        ).first() or fleet.create_vehicle(
            enterprise=enterprise,
            by=applicant,
            data={"plate": plate, "vehicle_type": vehicle_type, "licence_number": licence},
        )
        fields = {
            "plate": vehicle.plate,
            "vehicle_type": vehicle.get_vehicle_type_display(),
            "enterprise": enterprise.name,
            "licence": licence,
        }
        _attach_standing(
            enterprise, applicant, DocumentKind.VEHICLE_LICENCE, fields, vehicle=vehicle
        )
    for name, id_number, phone in spec["drivers"]:
        driver = Driver.objects.filter(enterprise=enterprise, id_number=id_number).first()
        if driver is None:
            driver = fleet.create_driver(
                enterprise=enterprise,
                by=applicant,
                data={
                    "name": name,
                    "id_number": id_number,
                    "phone": phone,
                    "licence_number": id_number,
                },
            )
        fields = {"name": name, "masked": driver.masked_id_number, "licence": id_number}
        _attach_standing(enterprise, applicant, DocumentKind.DRIVING_LICENCE, fields, driver=driver)
    return enterprise


def _scan(kind, fields, *, seed, pdf=False):
    title, lines = data.SCAN_TEXT[kind]
    lines = [line.format(**fields) for line in lines]
    photo = kind == "driving_licence"  # only a licence of a person carries a photo
    if pdf:
        content = make_scan_pdf(title, lines, seed=seed, size=DOCUMENT_SIZE, photo=photo)
        return SimpleUploadedFile(f"{title}.pdf", content, content_type="application/pdf")
    return make_scan_file(title, lines, name=f"{title}.jpg", seed=seed, size=SCAN_SIZE, photo=photo)


def _attach_standing(enterprise, applicant, kind, fields, *, vehicle=None, driver=None, pdf=False):
    """A document kept on the enterprise's file (not on a request), reused by its requests."""
    exists = Document.objects.filter(
        enterprise=enterprise, kind=kind, request__isnull=True, vehicle=vehicle, driver=driver
    ).exists()
    if exists:
        return
    seed = f"{enterprise.credit_code}-{kind}-{getattr(vehicle or driver, 'pk', '')}"
    attach_document(
        enterprise=enterprise,
        uploaded_file=_scan(kind, fields, seed=seed, pdf=pdf),
        kind=kind,
        by=applicant,
        vehicle=vehicle,
        driver=driver,
    )


# --- Requests -----------------------------------------------------------------------------------


def _validity():
    start = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(0, 0))
    )
    return start, start + datetime.timedelta(days=7)


def seed_request(spec, enterprise, checkpoints, reviewer, officer):
    if PassRequest.objects.filter(reference=spec["reference"]).exists():
        return
    applicant = enterprise.demo_applicant
    pass_type = PassType.objects.get(code=spec["pass_type"])
    drivers = {driver.name: driver for driver in enterprise.drivers.all()}
    vehicles = {vehicle.plate: vehicle for vehicle in enterprise.vehicles.all()}
    valid_from, valid_until = _validity()
    category, description = spec["cargo"]
    origin, destination, route = spec["route"]
    with transaction.atomic():
        draft = filing.create_draft(
            by=applicant,
            data={
                "pass_type": pass_type,
                "cargo_category": category,
                "cargo_description": description,
                "origin": origin,
                "destination": destination,
                "route_description": route,
                "checkpoints": [checkpoints[code].pk for code in spec["checkpoints"]],
                "valid_from": valid_from,
                "valid_until": valid_until,
                "items": [
                    {
                        "vehicle": vehicles[validators.normalize_plate(plate)].pk,
                        "drivers": [drivers[name].pk for name in names],
                    }
                    for plate, names in spec["items"]
                ],
            },
        )
        # A fixed reference is the demo request's natural key (and easy to find in the admin).
        PassRequest.objects.filter(pk=draft.pk).update(reference=spec["reference"])
        draft.reference = spec["reference"]
        attach_request_documents(draft, pass_type, applicant, drivers, spec)
        _move_to(spec, draft, applicant, reviewer, officer)


def attach_request_documents(draft, pass_type, applicant, drivers, spec):
    required = set(pass_type.required_document_kinds)
    fields = {"enterprise": draft.enterprise.name, "reference": draft.reference}
    if DocumentKind.COMMITMENT_LETTER in required:
        attach_document(
            enterprise=draft.enterprise,
            uploaded_file=_scan(DocumentKind.COMMITMENT_LETTER, fields, seed=draft.reference),
            kind=DocumentKind.COMMITMENT_LETTER,
            by=applicant,
            request=draft,
        )
    if DocumentKind.NUCLEIC_ACID_TEST in required:
        tested_at = timezone.localtime().replace(minute=0, second=0, microsecond=0)
        tested_at -= datetime.timedelta(hours=6)
        for _plate, names in spec["items"]:
            for name in names:
                driver = drivers[name]
                report = {
                    "name": name,
                    "masked": driver.masked_id_number,
                    "tested_at": f"{tested_at:%Y-%m-%d %H:%M}",
                }
                attach_document(
                    enterprise=draft.enterprise,
                    uploaded_file=_scan(
                        DocumentKind.NUCLEIC_ACID_TEST, report, seed=f"{draft.reference}-{name}"
                    ),
                    kind=DocumentKind.NUCLEIC_ACID_TEST,
                    by=applicant,
                    request=draft,
                    driver=driver,
                    tested_at=tested_at,
                )


def _move_to(spec, draft, applicant, reviewer, officer):
    """Take the draft to its final state the way people would."""
    state = spec["state"]
    if state == "draft":
        return
    workflow.submit(draft, by=applicant)
    if state == "withdrawn":
        workflow.withdraw(draft, by=applicant)
        return
    if state == "submitted":
        return
    workflow.claim(draft, by=reviewer)
    if state == "approved":
        passes = workflow.approve(draft, by=reviewer)
        if "revoke" in spec:
            plate, reason = spec["revoke"]
            plate = validators.normalize_plate(plate)
            revoked = next(issued for issued in passes if issued.plate == plate)
            workflow.revoke_pass(revoked, by=officer, reason=reason)
    elif state == "returned":
        workflow.return_for_changes(draft, by=reviewer, reason=spec["reason"])
    elif state == "rejected":
        workflow.reject(draft, by=reviewer, reason=spec["reason"])


# --- Checkpoint scans ---------------------------------------------------------------------------


def _seed_scans(checkpoints):
    """A few scans at the bridges: valid passes, the revoked one, a number nobody issued."""
    try:
        from ..checkpoint.services import record_scan
    except ImportError:  # the checkpoint area is optional for the demo
        return
    inspector = User.objects.get(username="inspector")
    now = timezone.now()
    scans = [
        (issued.number, issued.plate, code)
        for issued in Pass.objects.filter(request__reference__startswith="SQ20221126-")
        .select_related("request")
        .prefetch_related("request__checkpoints")
        .order_by("number")
        for code in issued.request.checkpoints.values_list("code", flat=True)[:1]
    ]
    scans.append(("430200999999", "湘B99999", "fengxi-bridge"))
    for minutes, (number, plate, code) in enumerate(scans, start=1):
        record_scan(
            inspector=inspector,
            checkpoint=checkpoints[code],
            nonce=f"demo-{number}-{code}",
            scanned_at=now - datetime.timedelta(seconds=20 * minutes),
            number=number,
            plate=plate,
        )
