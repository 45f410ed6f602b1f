"""Issuing passes: 12-digit numbers from a locked counter, and one pass per vehicle on approval.

The workflow (``passes.requests.workflow``) decides when; this module only numbers and creates.
Signing is ``passes.signing``; drawing is ``issuing.pdf``; storing the PDFs is
``issuing.rendering``.
"""

from django.conf import settings
from django.db import transaction

from ..errors import PassNumbersExhausted
from ..models import Pass, PassSerial

SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1


def allocate_pass_numbers(count: int, region_code: str | None = None) -> list[str]:
    """Reserve ``count`` consecutive 12-digit numbers (region code + serial).

    Must run inside the transaction that creates the passes: the counter row stays locked until
    commit, so concurrent approvals wait in turn, and a rollback gives the numbers back.
    """
    region_code = region_code or settings.PASSDESK_REGION_CODE
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_pass_numbers must run inside a transaction")
    counter = PassSerial.objects.select_for_update().filter(region_code=region_code).first()
    if counter is None:  # the region's first pass: make the row, then lock it like the others
        PassSerial.objects.get_or_create(region_code=region_code)
        counter = PassSerial.objects.select_for_update().get(region_code=region_code)
    first = counter.last_serial + 1
    last = counter.last_serial + count
    if last > MAX_SERIAL:
        raise PassNumbersExhausted(region_code)
    counter.last_serial = last
    counter.save(update_fields=["last_serial"])
    return [f"{region_code}{serial:0{SERIAL_DIGITS}d}" for serial in range(first, last + 1)]


def issue_passes(pass_request, *, valid_from, valid_until, items=None) -> list[Pass]:
    """Create one active pass per item of an approved request (one vehicle, one pass)."""
    if items is None:
        items = pass_request.items.select_related("vehicle").prefetch_related("drivers")
    items = list(items)
    office = pass_request.pass_type.office
    numbers = allocate_pass_numbers(len(items), office.region_code if office else None)
    passes, links = [], []
    for number, item in zip(numbers, items, strict=True):
        issued = Pass.objects.create(
            number=number,
            request=pass_request,
            item=item,
            vehicle=item.vehicle,
            plate=item.vehicle.plate,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        links += [
            Pass.drivers.through(pass_id=issued.pk, driver_id=driver.pk)
            for driver in item.drivers.all()
        ]
        passes.append(issued)
    # Every pass's drivers in one statement (the passes are new: nothing to replace).
    Pass.drivers.through.objects.bulk_create(links)
    return passes
