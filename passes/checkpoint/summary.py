"""What a scan shows about a pass: everything an inspector compares with the truck, and a
masked version for the public page (no full driver names, ID numbers or phone numbers)."""

from django.db.models import Prefetch
from django.utils import timezone

from ..models import Checkpoint, Driver, Pass
from ..validators import mask_id_number


def pass_queryset():
    """One query for the pass and what it hangs from, two small ones for drivers and
    checkpoints: the scan endpoint's budget."""
    return Pass.objects.select_related(
        "request__enterprise", "request__pass_type", "vehicle"
    ).prefetch_related(
        Prefetch("drivers", queryset=Driver.objects.only("id", "name", "id_number")),
        Prefetch("request__checkpoints", queryset=Checkpoint.objects.only("id", "code", "name")),
    )


def mask_name(name: str) -> str:
    """李小明 -> 李*明, 李明 -> 李*, 欧阳小明 -> 欧**明: enough to match a face to a pass."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def pass_summary(pass_obj: Pass, *, public: bool = False) -> dict:
    """The pass as JSON-ready data. ``public`` masks driver names as well as ID numbers."""
    request = pass_obj.request
    drivers = [
        {
            "name": mask_name(driver.name) if public else driver.name,
            "id_number": mask_id_number(driver.id_number),
        }
        for driver in pass_obj.drivers.all()
    ]
    return {
        "number": pass_obj.number,
        "plate": pass_obj.plate,
        "vehicle_type": pass_obj.vehicle.get_vehicle_type_display(),
        "enterprise": request.enterprise.name,
        "pass_type": request.pass_type.name,
        "cargo": request.cargo_description or request.get_cargo_category_display(),
        "origin": request.origin,
        "destination": request.destination,
        "route": request.route_description,
        "checkpoints": [
            {"code": checkpoint.code, "name": checkpoint.name}
            for checkpoint in request.checkpoints.all()
        ],
        "valid_from": _time(pass_obj.valid_from),
        "valid_until": _time(pass_obj.valid_until),
        "status": pass_obj.status,
        "status_label": str(pass_obj.get_status_display()),
        "drivers": drivers,
    }
