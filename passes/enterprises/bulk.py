"""``POST /api/v1/vehicles/bulk/`` and ``drivers/bulk/``: many vehicles or drivers in one call.

The rows are checked exactly as the spreadsheet import checks its lines
(``fleet_import.check_vehicle`` / ``check_driver``: plate, resident ID, mobile number,
vehicle type in code, Chinese or English, duplicates in the list and in the fleet). Good rows are
saved in one transaction, bad rows come back with their index and the reason, as an import
report does; one audit event records the batch.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import audit, roles
from ..errors import WorkflowError
from ..models import Driver, Vehicle
from ..validators import mask_id_number
from .fleet import DRIVER_FIELDS, VEHICLE_FIELDS
from .fleet_import import check_driver, check_vehicle, vehicle_type_names


def _record(row, names) -> dict:
    """A row as the import sees a spreadsheet line: every value a stripped string."""
    if not isinstance(row, dict):
        return {}
    return {name: ("" if row.get(name) is None else str(row.get(name)).strip()) for name in names}


def _create(*, enterprise, by, rows, kind):
    roles.require_member(by, enterprise)
    vehicles = kind == "vehicles"
    check = check_vehicle if vehicles else check_driver
    model = Vehicle if vehicles else Driver
    names = VEHICLE_FIELDS if vehicles else DRIVER_FIELDS
    key_field = "plate" if vehicles else "id_number"
    type_names = vehicle_type_names()
    existing = set(model.objects.filter(enterprise=enterprise).values_list(key_field, flat=True))
    first_row: dict[str, int] = {}
    good, errors = [], []
    for index, row in enumerate(rows):
        obj, key, reason = check(_record(row, names), type_names)
        if reason is None and key in first_row:
            reason = _("Duplicate in this list: same as row %(row)d.") % {"row": first_row[key]}
        if reason is None and key in existing:
            reason = (
                _("Vehicle %(plate)s already exists.") % {"plate": key}
                if vehicles
                else _("A driver with this ID number already exists.")
            )
        if reason is not None:
            shown = key or ""
            if not vehicles and shown:
                shown = mask_id_number(shown)  # never echo a full ID number
            errors.append({"row": index, "message": str(reason), "value": shown})
            continue
        first_row[key] = index
        obj.enterprise = enterprise
        good.append(obj)
    try:
        with transaction.atomic():
            created = model.objects.bulk_create(good)
            if created:
                audit.record(
                    f"fleet.bulk_{kind}",
                    actor=by,
                    enterprise=enterprise,
                    data={"created": len(created), "rejected": len(errors)},
                )
    except IntegrityError:  # a concurrent call added one of the same keys first
        raise WorkflowError(
            _("The fleet changed while saving; send the list again."), code="conflict"
        ) from None
    # bulk_create sets primary keys on PostgreSQL and SQLite; re-read so the answer is complete.
    keys = [getattr(obj, key_field) for obj in created]
    saved = model.objects.filter(enterprise=enterprise, **{f"{key_field}__in": keys})
    order = {key: position for position, key in enumerate(keys)}
    return sorted(saved, key=lambda obj: order[getattr(obj, key_field)]), errors


def create_vehicles(*, enterprise, by, rows):
    """Returns (created vehicles, per-row errors)."""
    return _create(enterprise=enterprise, by=by, rows=rows, kind="vehicles")


def create_drivers(*, enterprise, by, rows):
    """Returns (created drivers, per-row errors)."""
    return _create(enterprise=enterprise, by=by, rows=rows, kind="drivers")
