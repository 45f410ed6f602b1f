"""Filing pass requests: opening a draft and changing it while it is a draft or returned.

Plain functions used by the API and the portal. ``data`` is a mapping with any of
``pass_type`` (a PassType, its id or its code), ``cargo_category``, ``cargo_description``,
``origin``, ``destination``, ``route_description``, ``checkpoints`` (ids or objects),
``valid_from``, ``valid_until`` and ``items``: ``[{"vehicle": id, "drivers": [id, ...]}]``, one
per vehicle (一车一证). Every vehicle, driver and request must belong to the caller's enterprise;
an id that is not theirs is reported exactly like one that does not exist. Bad input raises a
Django ``ValidationError`` keyed by field (``items.0.vehicle`` for nested input) and saves
nothing; a request that is no longer editable raises ``WorkflowError`` (``not_editable``).
Transitions (submit, withdraw, ...) are ``passes.requests.workflow``'s business, not this module's.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, roles
from ..enterprises.fleet import delete_files_on_commit
from ..errors import WorkflowError
from ..models import Checkpoint, Document, Driver, PassRequest, PassType, RequestItem, Vehicle
from .guards import check_validity_window

TEXT_FIELDS = ("cargo_description", "origin", "destination", "route_description")
SCALAR_FIELDS = ("pass_type", "cargo_category", *TEXT_FIELDS, "valid_from", "valid_until")
MAX_ITEMS = 100
MAX_DRIVERS_PER_ITEM = 5


def _pk(value):
    """An id from an object, an int or a digit string; None when it is none of these."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _add(errors, field, message) -> None:
    errors.setdefault(field, []).append(message)


# --- Cleaning ------------------------------------------------------------------------------------


def _clean_pass_type(value, errors):
    choices = PassType.objects.filter(is_active=True)
    pass_type = None
    if isinstance(value, PassType):
        pass_type = choices.filter(pk=value.pk).first()
    elif _pk(value) is not None:
        pass_type = choices.filter(pk=_pk(value)).first()
    elif isinstance(value, str) and value.strip():
        pass_type = choices.filter(code=value.strip()).first()
    if pass_type is None:
        _add(errors, "pass_type", _("Choose one of the pass types on offer."))
    return pass_type


def _clean_datetime(value, field, errors):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    if not isinstance(value, datetime.datetime):
        _add(errors, field, _("Give a date and time."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _clean_checkpoints(values, errors) -> list[Checkpoint]:
    if values is None:
        values = []
    if not isinstance(values, list | tuple):
        _add(errors, "checkpoints", _("Give a list of checkpoints."))
        return []
    ids = [_pk(value) for value in values]
    found = {
        cp.pk: cp for cp in Checkpoint.objects.filter(is_active=True, pk__in=[i for i in ids if i])
    }
    unknown = [str(value) for value, pk in zip(values, ids, strict=True) if pk not in found]
    if unknown:
        _add(
            errors,
            "checkpoints",
            _("Unknown checkpoint: %(ids)s.") % {"ids": ", ".join(unknown)},
        )
    return [found[pk] for pk in dict.fromkeys(ids) if pk in found]


def _clean_items(enterprise, values, errors) -> list[tuple[Vehicle, list[Driver]]]:
    """Each vehicle and driver looked up in the enterprise's own fleet only."""
    if values is None:
        values = []
    if not isinstance(values, list | tuple):
        _add(errors, "items", _("Give a list of vehicles with their drivers."))
        return []
    if len(values) > MAX_ITEMS:
        _add(errors, "items", _("At most %(max)d vehicles per request.") % {"max": MAX_ITEMS})
        return []
    vehicle_ids = [_pk(v.get("vehicle")) if isinstance(v, dict) else None for v in values]
    driver_ids = [
        [_pk(d) for d in v.get("drivers") or []]
        if isinstance(v, dict) and isinstance(v.get("drivers") or [], list | tuple)
        else None
        for v in values
    ]
    vehicles = Vehicle.objects.filter(enterprise=enterprise).in_bulk(
        [pk for pk in vehicle_ids if pk]
    )
    drivers = Driver.objects.filter(enterprise=enterprise).in_bulk(
        [pk for ids in driver_ids if ids for pk in ids if pk]
    )
    cleaned, seen = [], set()
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            _add(errors, f"items.{index}", _("Give a vehicle and its drivers."))
            continue
        vehicle = vehicles.get(vehicle_ids[index])
        if vehicle is None:
            _add(
                errors,
                f"items.{index}.vehicle",
                _("No vehicle with id %(id)s in your fleet.") % {"id": value.get("vehicle")},
            )
        elif vehicle.pk in seen:
            _add(
                errors,
                f"items.{index}.vehicle",
                _("Vehicle %(plate)s is already on this request.") % {"plate": vehicle.plate},
            )
        ids = driver_ids[index]
        if ids is None:
            _add(errors, f"items.{index}.drivers", _("Give a list of drivers."))
            continue
        unknown = [
            str(raw)
            for raw, pk in zip(value.get("drivers") or [], ids, strict=True)
            if pk not in drivers
        ]
        if unknown:
            _add(
                errors,
                f"items.{index}.drivers",
                _("No driver with id %(ids)s in your fleet.") % {"ids": ", ".join(unknown)},
            )
        item_drivers = [drivers[pk] for pk in dict.fromkeys(ids) if pk in drivers]
        if len(item_drivers) > MAX_DRIVERS_PER_ITEM:
            _add(
                errors,
                f"items.{index}.drivers",
                _("At most %(max)d drivers per vehicle.") % {"max": MAX_DRIVERS_PER_ITEM},
            )
        if vehicle is not None:
            seen.add(vehicle.pk)
            cleaned.append((vehicle, item_drivers))
    return cleaned


def _clean(enterprise, data, *, instance=None) -> dict:
    errors: dict[str, list] = {}
    cleaned = {}
    creating = instance is None
    if "pass_type" in data or creating:
        cleaned["pass_type"] = _clean_pass_type(data.get("pass_type"), errors)
    if "cargo_category" in data or creating:
        category = data.get("cargo_category") or PassRequest.CargoCategory.OTHER
        if category not in PassRequest.CargoCategory.values:
            _add(
                errors,
                "cargo_category",
                _("Unknown cargo category “%(value)s”.") % {"value": category},
            )
        cleaned["cargo_category"] = category
    for name in TEXT_FIELDS:
        if name in data or creating:
            text = "" if data.get(name) is None else str(data.get(name)).strip()
            max_length = PassRequest._meta.get_field(name).max_length
            if max_length and len(text) > max_length:
                _add(errors, name, _("At most %(max)d characters.") % {"max": max_length})
            cleaned[name] = text
    for name in ("valid_from", "valid_until"):
        if name in data or creating:
            cleaned[name] = _clean_datetime(data.get(name), name, errors)
    if "checkpoints" in data or creating:
        cleaned["checkpoints"] = _clean_checkpoints(data.get("checkpoints"), errors)
    if "items" in data or creating:
        cleaned["items"] = _clean_items(enterprise, data.get("items"), errors)

    pass_type = cleaned.get("pass_type") or (instance.pass_type if instance else None)
    valid_from = cleaned.get("valid_from", instance.valid_from if instance else None)
    valid_until = cleaned.get("valid_until", instance.valid_until if instance else None)
    if pass_type and valid_from and valid_until and not errors:
        try:
            check_validity_window(pass_type, valid_from, valid_until)
        except WorkflowError as exc:
            _add(errors, "valid_until", exc.message)
        else:
            if valid_until <= timezone.now():
                _add(errors, "valid_until", _("The requested validity window has already ended."))
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Saving --------------------------------------------------------------------------------------


def _add_items(pass_request, items) -> list[str]:
    """The items of a new request: one insert for the items, one for their drivers."""
    made = RequestItem.objects.bulk_create(
        [RequestItem(request=pass_request, vehicle=vehicle) for vehicle, _drivers in items]
    )
    Through = RequestItem.drivers.through  # noqa: N806 - a model class
    Through.objects.bulk_create(
        [
            Through(requestitem_id=item.pk, driver_id=driver.pk)
            for item, (_vehicle, drivers) in zip(made, items, strict=True)
            for driver in drivers
        ]
    )
    return [vehicle.plate for vehicle, _drivers in items]


def _apply_items(pass_request, items, *, by) -> dict:
    """Make the request's items exactly ``items``, keeping the ones whose vehicle stays (and
    their documents). Documents of a vehicle or driver taken off the request go with it."""
    existing = {item.vehicle_id: item for item in pass_request.items.prefetch_related("drivers")}
    wanted_vehicles = {vehicle.pk for vehicle, _drivers in items}
    summary = {"added": [], "removed": [], "drivers_changed": []}
    for vehicle, drivers in items:
        item = existing.get(vehicle.pk)
        if item is None:
            item = RequestItem.objects.create(request=pass_request, vehicle=vehicle)
            item.drivers.set(drivers)
            summary["added"].append(vehicle.plate)
        elif {d.pk for d in item.drivers.all()} != {d.pk for d in drivers}:
            item.drivers.set(drivers)
            summary["drivers_changed"].append(vehicle.plate)
    removed = [item for vehicle_id, item in existing.items() if vehicle_id not in wanted_vehicles]
    summary["removed"] = [item.vehicle.plate for item in removed]
    wanted_drivers = {driver.pk for _vehicle, drivers in items for driver in drivers}
    docs = Document.objects.filter(request=pass_request)
    orphans = (
        list(docs.filter(item__in=removed))
        + list(docs.filter(vehicle__isnull=False).exclude(vehicle__in=wanted_vehicles))
        + list(docs.filter(driver__isnull=False).exclude(driver__in=wanted_drivers))
    )
    orphans = list({doc.pk: doc for doc in orphans}.values())
    if orphans:
        summary["documents_removed"] = [doc.pk for doc in orphans]
        delete_files_on_commit(orphans)
        Document.objects.filter(pk__in=[doc.pk for doc in orphans]).delete()
    if removed:
        RequestItem.objects.filter(pk__in=[item.pk for item in removed]).delete()
    return summary


def create_draft(*, by, data) -> PassRequest:
    """Open a draft for the enterprise ``by`` acts for, with its items and checkpoints."""
    enterprise = roles.enterprise_of(by)
    if enterprise is None:
        raise WorkflowError(
            _("Only people acting for an enterprise can file requests."), code="not_a_member"
        )
    cleaned = _clean(enterprise, data)
    with transaction.atomic():
        pass_request = PassRequest.objects.create(
            enterprise=enterprise,
            created_by=by,
            **{name: cleaned[name] for name in SCALAR_FIELDS},
        )
        pass_request.checkpoints.add(*cleaned["checkpoints"])
        added = _add_items(pass_request, cleaned["items"])
        audit.record(
            "request.create",
            actor=by,
            request=pass_request,
            to_status=pass_request.status,
            data={"vehicles": added},
        )
    return pass_request


def update_request(pass_request, *, by, data) -> PassRequest:
    """Change a draft or returned request; only the keys present in ``data`` change."""
    with transaction.atomic():
        locked = (
            PassRequest.objects.select_for_update(of=("self",))
            .select_related("enterprise", "pass_type")
            .get(pk=pass_request.pk)
        )
        roles.require_member(by, locked.enterprise)
        if not locked.is_editable:
            raise WorkflowError(
                _(
                    "Request %(reference)s is %(status)s and can no longer be changed; it can "
                    "be changed while it is a draft or returned for changes."
                )
                % {"reference": locked.reference, "status": locked.get_status_display()},
                code="not_editable",
            )
        cleaned = _clean(locked.enterprise, data, instance=locked)
        changed = [
            name
            for name in SCALAR_FIELDS
            if name in cleaned and getattr(locked, name) != cleaned[name]
        ]
        for name in changed:
            setattr(locked, name, cleaned[name])
        if changed:
            locked.save()
        details = {"changed": changed}
        if "checkpoints" in cleaned:
            before = set(locked.checkpoints.values_list("pk", flat=True))
            after = {cp.pk for cp in cleaned["checkpoints"]}
            if before != after:
                locked.checkpoints.set(cleaned["checkpoints"])
                details["changed"].append("checkpoints")
        if "items" in cleaned:
            summary = _apply_items(locked, cleaned["items"], by=by)
            if any(summary.values()):
                details["items"] = summary
        if not (details["changed"] or "items" in details):
            return locked
        audit.record(
            "request.update",
            actor=by,
            request=locked,
            from_status=locked.status,
            to_status=locked.status,
            data=details,
        )
    return locked


def set_items(pass_request, items, *, by) -> PassRequest:
    """The portal's vehicles step: replace the items only."""
    return update_request(pass_request, by=by, data={"items": items})


def requests_of(enterprise):
    return PassRequest.objects.filter(enterprise=enterprise)


__all__ = [
    "MAX_DRIVERS_PER_ITEM",
    "MAX_ITEMS",
    "create_draft",
    "requests_of",
    "set_items",
    "update_request",
]
