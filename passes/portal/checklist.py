"""What a request's documents step shows: each required document, where it is expected
(request, vehicle or driver) and the scans that satisfy it, standing ones included.

The authority on what is missing stays ``workflow.missing_documents``; this only lays the same
facts out per slot so the page can show a tick or an upload prompt next to each.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import Document, DocumentKind
from ..models.catalog import DRIVER_DOCUMENT_KINDS, HEALTH_PROOF_KINDS, VEHICLE_DOCUMENT_KINDS
from ..wording import durations


@dataclass
class Slot:
    kind: str
    label: str
    owner: str  # "" for the request itself, else the plate or driver's name
    target: str  # value of the upload form's "target" choice: "request", "item:<id>", "driver:<id>"
    documents: list = field(default_factory=list)
    standing: list = field(default_factory=list)
    note: str = ""  # what makes a scan count (a health proof's age), shown beside the slot
    template_url: str = ""  # a blank form to print, fill in and scan (the 承诺书)

    @property
    def satisfied(self):
        return bool(self.documents or self.standing)

    @property
    def relied_on(self):
        """The scan that counts: the newest on this request, else the newest standing one."""
        return (self.documents or self.standing or [None])[0]

    @property
    def mismatches(self):
        """What the machine check read differently on the scan that counts: the reviewer sees
        the same lines, so the slot gets no tick while there are any."""
        from ..documents.ocr.presenting import summarize

        document = self.relied_on
        return summarize(document).mismatches if document is not None else []


def targets(pass_request):
    """The upload form's "belongs to" choices: the request, each vehicle, each driver."""
    choices = [("request", _("The request as a whole"))]
    drivers = {}
    for item in pass_request.items.select_related("vehicle").prefetch_related("drivers"):
        choices.append((f"item:{item.pk}", _("Vehicle %(plate)s") % {"plate": item.vehicle.plate}))
        for driver in item.drivers.all():
            drivers.setdefault(driver.pk, driver)
    for driver in drivers.values():
        choices.append((f"driver:{driver.pk}", _("Driver %(name)s") % {"name": driver.name}))
    return choices


COMMITMENT_LETTER = DocumentKind.COMMITMENT_LETTER


def _letter_url(pass_request) -> str:
    return f"{reverse('passes:commitment-letter')}?type={pass_request.pass_type.code}"


def checklist(pass_request) -> list[Slot]:
    required = list(pass_request.pass_type.required_document_kinds)
    items = list(pass_request.items.select_related("vehicle", "renews").prefetch_related("drivers"))
    drivers = {}
    for item in items:
        for driver in item.drivers.all():
            drivers.setdefault(driver.pk, driver)
    docs = list(
        Document.objects.filter(enterprise_id=pass_request.enterprise_id, kind__in=required)
        .filter(request__isnull=True)
        .select_related("reading")
        .order_by("-uploaded_at")
    )
    # A renewal (续期) relies on what the renewed passes' requests carried, health proofs
    # excepted (``Document.objects.relied_on_by(..., renewals=True)``): shown as standing.
    renewed = [item.renews.request_id for item in items if item.renews_id]
    if renewed:
        docs += list(
            Document.objects.filter(request_id__in=renewed, kind__in=required)
            .exclude(kind__in=HEALTH_PROOF_KINDS)
            .select_related("reading", "item")
            .order_by("-uploaded_at")
        )
        for doc in docs:
            if doc.request_id and doc.item_id and not doc.vehicle_id:
                doc.vehicle_id = doc.item.vehicle_id  # in memory: the slot's vehicle
    attached = list(
        pass_request.documents.filter(kind__in=required)
        .select_related("reading")
        .order_by("-uploaded_at")
    )
    slots = []
    for kind in required:
        label = str(DocumentKind(kind).label)
        if kind in VEHICLE_DOCUMENT_KINDS:
            for item in items:
                slots.append(
                    Slot(
                        kind,
                        label,
                        item.vehicle.plate,
                        f"item:{item.pk}",
                        [d for d in attached if d.kind == kind and d.vehicle_id == item.vehicle_id],
                        [d for d in docs if d.kind == kind and d.vehicle_id == item.vehicle_id],
                    )
                )
        elif kind in DRIVER_DOCUMENT_KINDS:
            note = ""
            hours = pass_request.pass_type.health_proof_max_age_hours
            if kind in HEALTH_PROOF_KINDS and hours:
                note = _("sampled no more than %(age)s before the office decides") % {
                    "age": durations.span(hours)
                }
            for driver in drivers.values():
                slots.append(
                    Slot(
                        kind,
                        label,
                        driver.name,
                        f"driver:{driver.pk}",
                        [d for d in attached if d.kind == kind and d.driver_id == driver.pk],
                        [d for d in docs if d.kind == kind and d.driver_id == driver.pk],
                        note,
                    )
                )
        else:
            slots.append(
                Slot(
                    kind,
                    label,
                    "",
                    "request",
                    [d for d in attached if d.kind == kind],
                    [d for d in docs if d.kind == kind and not d.vehicle_id and not d.driver_id],
                    template_url=_letter_url(pass_request) if kind == COMMITMENT_LETTER else "",
                )
            )
    return slots
