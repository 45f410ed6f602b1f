"""Issuing passes: 12-digit numbers from a locked counter, and one pass per vehicle on approval.

The workflow (``passes.requests.workflow``) decides when; this module only numbers and creates.
Signing is ``passes.signing``; drawing is ``issuing.pdf``; storing the PDFs is
``issuing.rendering``.
"""

from django.conf import settings
from django.db import connection, transaction

from ..errors import PassNumbersExhausted
from ..models import Pass, PassSerial
from ..models.sqlrows import column, table

SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1


def allocate_pass_numbers(count: int, region_code: str | None = None) -> list[str]:
    """Reserve ``count`` consecutive 12-digit numbers (region code + serial).

    Must run inside the transaction that creates the passes: the counter row stays locked until
    commit, so concurrent approvals wait in turn, and a rollback gives the numbers back. The
    counter moves in one ``UPDATE … RETURNING`` (it locks the row as ``SELECT … FOR UPDATE``
    would), and only while the serials last.
    """
    region_code = region_code or settings.PASSDESK_REGION_CODE
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_pass_numbers must run inside a transaction")
    last = _advance(region_code, count)
    if last is None:
        # The region's first pass (make the row, then move it like the others), or no serials
        # left (the counter stays where it was).
        PassSerial.objects.get_or_create(region_code=region_code)
        last = _advance(region_code, count)
        if last is None:
            raise PassNumbersExhausted(region_code)
    first = last - count + 1
    return [f"{region_code}{serial:0{SERIAL_DIGITS}d}" for serial in range(first, last + 1)]


def _advance(region_code: str, count: int) -> int | None:
    """Move the region's counter on by ``count``; its new value, or None when there is no
    counter row or it would pass ``MAX_SERIAL``."""
    serial = column(PassSerial, "last_serial")
    region = column(PassSerial, "region_code")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(PassSerial)} SET {serial} = {serial} + %s "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"WHERE {region} = %s AND {serial} + %s <= %s RETURNING {serial}",
            [count, region_code, count, MAX_SERIAL],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def issue_passes(pass_request, *, valid_from, valid_until, items=None) -> list[Pass]:
    """Create one active pass per item of an approved request (one vehicle, one pass)."""
    if items is None:
        items = pass_request.items.select_related("vehicle").prefetch_related("drivers")
    items = list(items)
    office = pass_request.pass_type.office
    numbers = allocate_pass_numbers(len(items), office.region_code if office else None)
    # Every pass in one statement, then every pass's drivers in one more (the passes are new:
    # nothing to replace).
    passes = Pass.objects.bulk_create(
        [
            Pass(
                number=number,
                request=pass_request,
                item=item,
                vehicle=item.vehicle,
                plate=item.vehicle.plate,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            for number, item in zip(numbers, items, strict=True)
        ]
    )
    Pass.drivers.through.objects.bulk_create(
        [
            Pass.drivers.through(pass_id=issued.pk, driver_id=driver.pk)
            for issued, item in zip(passes, items, strict=True)
            for driver in item.drivers.all()
        ]
    )
    return passes
