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
    Vehicle,
)
from ..requests import workflow
from . import data
from .filings import seed_request
from .history import seed_history
from .scans import scan_upload

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
        uploaded_file=scan_upload(kind, fields, seed=seed, pdf=pdf),
        kind=kind,
        by=applicant,
        vehicle=vehicle,
        driver=driver,
    )


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
