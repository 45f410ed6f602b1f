"""The demo's requests: filed by the enterprise's applicant with ``requests.filing``, their
documents attached, and taken to their final state by the reviewer and the officer through
``requests.workflow``, as people would. Used by ``seed`` (the story's requests) and ``history``
(the past weeks'), so neither imports the other's insides.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from .. import validators
from ..documents import attach_document
from ..models import DocumentKind, PassRequest, PassType
from ..requests import filing, workflow
from .scans import scan_upload


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
            uploaded_file=scan_upload(DocumentKind.COMMITMENT_LETTER, fields, seed=draft.reference),
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
                    uploaded_file=scan_upload(
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
