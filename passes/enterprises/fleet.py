"""An enterprise's vehicles and drivers: create, change and delete them.

Plain functions used by the API and the portal alike. Input is normalised and checked with
``passes.validators`` (``湘b·12345`` is stored as ``湘B12345``); a bad value raises a Django
``ValidationError`` keyed by field, with translated messages. Every change is audited.

A vehicle or driver that is on a valid pass or on a request under review cannot be deleted
(``FleetInUse``, a ``WorkflowError`` so every front end already shows it), nor one that is on a
draft (remove it there first) or on past requests and passes, which keep it for the record.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import audit, roles, validators
from ..errors import WorkflowError
from ..models import Driver, Pass, PassRequest, RequestItem, Vehicle

VEHICLE_FIELDS = ("plate", "vehicle_type", "licence_number")
DRIVER_FIELDS = ("name", "id_number", "phone", "licence_number")


class FleetInUse(WorkflowError):
    """The vehicle or driver is referenced by a pass or request and cannot be deleted."""


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _check_length(errors, field_name, value, model) -> None:
    max_length = model._meta.get_field(field_name).max_length
    if len(value) > max_length:
        errors.setdefault(field_name, []).append(
            _("At most %(max)d characters.") % {"max": max_length}
        )


def _run_validator(errors, field_name, validator, value) -> None:
    try:
        validator(value)
    except ValidationError as exc:
        errors.setdefault(field_name, []).extend(exc.messages)


# --- Vehicles --------------------------------------------------------------------------------


def _clean_vehicle(enterprise, data, *, instance=None) -> dict:
    errors: dict[str, list] = {}
    cleaned = {}
    if "plate" in data or instance is None:
        plate = validators.normalize_plate(_text(data.get("plate")))
        if not plate:
            errors["plate"] = [_("Give the plate number.")]
        else:
            _run_validator(errors, "plate", validators.validate_plate, plate)
        if "plate" not in errors:
            others = Vehicle.objects.filter(enterprise=enterprise, plate=plate)
            if instance is not None:
                others = others.exclude(pk=instance.pk)
            if others.exists():
                errors["plate"] = [
                    _("Your fleet already has a vehicle with plate %(plate)s.") % {"plate": plate}
                ]
        cleaned["plate"] = plate
    if "vehicle_type" in data or instance is None:
        vehicle_type = _text(data.get("vehicle_type")) or Vehicle.VehicleType.HEAVY_TRUCK
        if vehicle_type not in Vehicle.VehicleType.values:
            errors["vehicle_type"] = [unknown_vehicle_type(vehicle_type)]
        cleaned["vehicle_type"] = vehicle_type
    if "licence_number" in data or instance is None:
        licence_number = _text(data.get("licence_number"))
        _check_length(errors, "licence_number", licence_number, Vehicle)
        cleaned["licence_number"] = licence_number
    if errors:
        raise ValidationError(errors)
    return cleaned


def create_vehicle(*, enterprise, by, data) -> Vehicle:
    """Add a vehicle to the enterprise's fleet. ``data``: plate, vehicle_type, licence_number."""
    roles.require_member(by, enterprise)
    cleaned = _clean_vehicle(enterprise, data)
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(enterprise=enterprise, **cleaned)
            audit.record(
                "vehicle.create",
                actor=by,
                enterprise=enterprise,
                data={"vehicle": vehicle.pk, "plate": vehicle.plate},
            )
    except IntegrityError:  # a concurrent create of the same plate won the race
        raise ValidationError(
            {
                "plate": _("Your fleet already has a vehicle with plate %(plate)s.")
                % {"plate": cleaned["plate"]}
            }
        ) from None
    return vehicle


def update_vehicle(vehicle, *, by, data) -> Vehicle:
    """Change some of a vehicle's fields (only the keys present in ``data``)."""
    return _update(vehicle, by=by, data=data, kind=_VEHICLE)


def _update(obj, *, by, data, kind: "_Kind"):
    """The one way a vehicle or driver changes: cleaned like a new one, refused while its
    identity is in use (``_refuse_identity_change``), saved with the changed fields only and
    audited with old and new values; a clash with another row is the kind's duplicate error."""
    roles.require_member(by, obj.enterprise)
    data = {key: value for key, value in data.items() if key in kind.fields}
    cleaned = kind.clean(obj.enterprise, data, instance=obj)
    changes = {
        name: [getattr(obj, name), value]
        for name, value in cleaned.items()
        if getattr(obj, name) != value
    }
    if not changes:
        return obj
    if any(name in changes for name in kind.identity):
        _refuse_identity_change(kind.name, kind.label(obj), *kind.uses(obj))
    try:
        with transaction.atomic():
            for name, (_old, new) in changes.items():
                setattr(obj, name, new)
            obj.save(update_fields=list(changes))
            audit.record(
                f"{kind.name}.update",
                actor=by,
                enterprise=obj.enterprise,
                data=kind.audit_data(obj, changes),
            )
    except IntegrityError:
        obj.refresh_from_db()
        raise ValidationError(kind.duplicate(cleaned)) from None
    return obj


def _references(items, passes) -> tuple[str, list[str]]:
    """The strongest reason a vehicle or driver must stay, and the references to name."""
    active = list(passes.live())
    if active:
        return "active_pass", [p.number for p in active]
    items = items.select_related("request")
    under_review = {i.request.reference for i in items if i.request.status in _QUEUE}
    if under_review:
        return "under_review", sorted(under_review)
    editable = {i.request.reference for i in items if i.request.status in _EDITABLE}
    if editable:
        return "on_draft", sorted(editable)
    history = {i.request.reference for i in items} | {p.number for p in passes}
    if history:
        return "history", sorted(history)
    return "", []


def _filed_documents(obj) -> tuple[str, list[str]]:
    """Documents filed on a request for this vehicle or driver stay with that request."""
    filed = obj.documents.filter(request__isnull=False)
    refs = sorted(set(filed.values_list("request__reference", flat=True)))
    return ("history", refs) if refs else ("", [])


_QUEUE = PassRequest.QUEUE_STATUSES
_EDITABLE = PassRequest.EDITABLE_STATUSES


def _refuse_delete(kind: str, label: str, reason: str, refs: list[str]) -> None:
    shown = "、".join(refs[:5]) + ("…" if len(refs) > 5 else "")
    params = {"what": label, "refs": shown}
    messages = {
        "active_pass": _(
            "%(what)s is on a pass that is still valid (%(refs)s) and cannot be deleted; "
            "ask the traffic office to revoke the pass first."
        ),
        "under_review": _(
            "%(what)s is on a request under review (%(refs)s) and cannot be deleted; withdraw "
            "the request first."
        ),
        "on_draft": _(
            "%(what)s is on a request you are preparing (%(refs)s); remove it from that request "
            "first."
        ),
        "history": _(
            "%(what)s appears on past requests or passes (%(refs)s), which keep it for the "
            "record, so it cannot be deleted."
        ),
    }
    codes = {
        "active_pass": f"{kind}_in_use",
        "under_review": f"{kind}_in_use",
        "on_draft": f"{kind}_on_request",
        "history": f"{kind}_has_history",
    }
    raise FleetInUse(messages[reason] % params, code=codes[reason])


def _refuse_identity_change(kind, label, items, passes) -> None:
    """A plate or a driver's identity cannot change under a reviewer or on a valid pass."""
    reason, refs = _references(items, passes)
    if reason not in ("active_pass", "under_review"):
        return
    raise FleetInUse(
        _(
            "%(what)s is on a valid pass or a request under review (%(refs)s); its identifying "
            "details cannot change now."
        )
        % {"what": label, "refs": "、".join(refs[:5])},
        code=f"{kind}_in_use",
    )


def delete_files_on_commit(documents) -> None:
    """Standing documents go with their vehicle or driver; their files once that commits."""
    files = [(doc.file.storage, doc.file.name) for doc in documents if doc.file]
    files += [(doc.thumbnail.storage, doc.thumbnail.name) for doc in documents if doc.thumbnail]

    def remove():
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove, robust=True)


def delete_vehicle(vehicle, *, by) -> None:
    roles.require_member(by, vehicle.enterprise)
    with transaction.atomic():
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        reason, refs = _references(
            RequestItem.objects.filter(vehicle=locked), Pass.objects.filter(vehicle=locked)
        )
        if not reason:
            reason, refs = _filed_documents(locked)
        if reason:
            _refuse_delete(
                "vehicle", _("Vehicle %(plate)s") % {"plate": locked.plate}, reason, refs
            )
        delete_files_on_commit(list(locked.documents.all()))
        audit.record(
            "vehicle.delete",
            actor=by,
            enterprise=locked.enterprise,
            data={"vehicle": locked.pk, "plate": locked.plate},
        )
        locked.delete()


# --- Drivers ---------------------------------------------------------------------------------


def _clean_driver(enterprise, data, *, instance=None) -> dict:
    errors: dict[str, list] = {}
    cleaned = {}
    if "name" in data or instance is None:
        name = _text(data.get("name"))
        if not name:
            errors["name"] = [_("Give the driver's name.")]
        _check_length(errors, "name", name, Driver)
        cleaned["name"] = name
    if "id_number" in data or instance is None:
        id_number = validators.normalize_id_number(_text(data.get("id_number")))
        if not id_number:
            errors["id_number"] = [_("Give the driver's resident ID number.")]
        else:
            _run_validator(errors, "id_number", validators.validate_id_number, id_number)
        if "id_number" not in errors:
            others = Driver.objects.filter(enterprise=enterprise, id_number=id_number)
            if instance is not None:
                others = others.exclude(pk=instance.pk)
            if others.exists():
                errors["id_number"] = [_("A driver with this ID number is already registered.")]
        cleaned["id_number"] = id_number
    if "phone" in data or instance is None:
        phone = validators.normalize_mobile(_text(data.get("phone")))
        if not phone:
            errors["phone"] = [_("Give the driver's mobile number.")]
        else:
            _run_validator(errors, "phone", validators.validate_mobile, phone)
        cleaned["phone"] = phone
    if "licence_number" in data or instance is None:
        licence_number = _text(data.get("licence_number"))
        _check_length(errors, "licence_number", licence_number, Driver)
        cleaned["licence_number"] = licence_number
    if errors:
        raise ValidationError(errors)
    return cleaned


def _masked(changes: dict) -> dict:
    """The audit trail never holds a full ID number."""
    if "id_number" in changes:
        masked = [validators.mask_id_number(value) for value in changes["id_number"]]
        changes = {**changes, "id_number": masked}
    return changes


def create_driver(*, enterprise, by, data) -> Driver:
    """Register a driver. ``data``: name, id_number, phone, licence_number."""
    roles.require_member(by, enterprise)
    cleaned = _clean_driver(enterprise, data)
    try:
        with transaction.atomic():
            driver = Driver.objects.create(enterprise=enterprise, **cleaned)
            audit.record(
                "driver.create",
                actor=by,
                enterprise=enterprise,
                data={"driver": driver.pk, "name": driver.name},
            )
    except IntegrityError:
        raise ValidationError(
            {"id_number": _("A driver with this ID number is already registered.")}
        ) from None
    return driver


def update_driver(driver, *, by, data) -> Driver:
    """Change some of a driver's fields (only the keys present in ``data``)."""
    return _update(driver, by=by, data=data, kind=_DRIVER)


def delete_driver(driver, *, by) -> None:
    roles.require_member(by, driver.enterprise)
    with transaction.atomic():
        locked = Driver.objects.select_for_update().get(pk=driver.pk)
        reason, refs = _references(
            RequestItem.objects.filter(drivers=locked), Pass.objects.filter(drivers=locked)
        )
        if not reason:
            reason, refs = _filed_documents(locked)
        if reason:
            _refuse_delete("driver", _("Driver %(name)s") % {"name": locked.name}, reason, refs)
        delete_files_on_commit(list(locked.documents.all()))
        audit.record(
            "driver.delete",
            actor=by,
            enterprise=locked.enterprise,
            data={"driver": locked.pk, "name": locked.name},
        )
        locked.delete()


def vehicles_of(enterprise):
    return Vehicle.objects.filter(enterprise=enterprise)


def drivers_of(enterprise):
    return Driver.objects.filter(enterprise=enterprise)


__all__ = [
    "FleetInUse",
    "create_driver",
    "create_vehicle",
    "delete_driver",
    "delete_vehicle",
    "drivers_of",
    "update_driver",
    "update_vehicle",
    "vehicles_of",
]


def unknown_vehicle_type(value) -> str:
    """The refusal, with the types that are accepted (their names in the page's language)."""
    return _("Unknown vehicle type “%(value)s”; use one of: %(types)s.") % {
        "value": value,
        "types": pgettext("between names in a list", ", ").join(
            str(label) for _code, label in Vehicle.VehicleType.choices
        ),
    }


@dataclass(frozen=True)
class _Kind:
    """What differs between changing a vehicle and changing a driver."""

    name: str  # the audit action's and the refusal code's prefix
    fields: tuple[str, ...]
    clean: Callable
    identity: tuple[str, ...]  # fields that may not change while the row is in use
    label: Callable  # obj -> how a refusal names it
    uses: Callable  # obj -> (request items, passes) that carry it
    audit_data: Callable  # (obj, changes) -> the audit event's data
    duplicate: Callable  # cleaned -> the ValidationError's messages


_VEHICLE = _Kind(
    name="vehicle",
    fields=VEHICLE_FIELDS,
    clean=_clean_vehicle,
    identity=("plate",),
    label=lambda vehicle: _("Vehicle %(plate)s") % {"plate": vehicle.plate},
    uses=lambda vehicle: (
        RequestItem.objects.filter(vehicle=vehicle),
        Pass.objects.filter(vehicle=vehicle),
    ),
    audit_data=lambda vehicle, changes: {
        "vehicle": vehicle.pk,
        "plate": vehicle.plate,
        "changes": changes,
    },
    duplicate=lambda cleaned: {
        "plate": _("Your fleet already has a vehicle with plate %(plate)s.") % cleaned
    },
)

_DRIVER = _Kind(
    name="driver",
    fields=DRIVER_FIELDS,
    clean=_clean_driver,
    identity=("id_number", "name"),
    label=lambda driver: _("Driver %(name)s") % {"name": driver.name},
    uses=lambda driver: (
        RequestItem.objects.filter(drivers=driver),
        Pass.objects.filter(drivers=driver),
    ),
    audit_data=lambda driver, changes: {
        "driver": driver.pk,
        "name": driver.name,
        "changes": _masked(changes),
    },
    duplicate=lambda cleaned: {
        "id_number": _("A driver with this ID number is already registered.")
    },
)
