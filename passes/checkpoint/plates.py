"""The colour of a plate badge, as on the vehicle: yellow for heavy trucks and trailers, green
for new-energy vehicles, blue otherwise (GA 36). The inspector compares it with the truck, so it
must be the real one, online and offline alike (``offline.js`` has the same rule)."""

from ..models import Vehicle

YELLOW_TYPES = frozenset({Vehicle.VehicleType.HEAVY_TRUCK, Vehicle.VehicleType.TRACTOR})
NEW_ENERGY_LENGTH = 8  # 湘BD12345: province, letter and six characters


def plate_colour(plate: str, vehicle_type: str = "") -> str:
    """``"yellow"``, ``"green"`` or ``"blue"`` for a normalised plate."""
    if len(plate) == NEW_ENERGY_LENGTH:
        return "green"
    if vehicle_type in YELLOW_TYPES or plate.endswith("挂"):
        return "yellow"
    return "blue"
