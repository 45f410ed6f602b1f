"""The colour of a plate badge, as on the vehicle: yellow for heavy trucks and trailers, green
for new-energy vehicles, yellow and green side by side for large new-energy ones (黄绿双拼),
blue otherwise (GA 36). The inspector compares it with the truck, so it must be the real one,
online and offline alike (``inspector.js`` has the same rule for the offline list's flag), and
the printed pass shows the same (``issuing.rendering`` hands it to the drawing). The rule's
home is ``models.enterprises.plate_colour``, beside the vehicle types it reads."""

from ..models.enterprises import PLATE_COLOURS as COLOURS
from ..models.enterprises import plate_colour

__all__ = ["COLOURS", "has_yellow", "plate_colour"]


def has_yellow(colour: str) -> bool:
    """The offline list's one flag bit: yellow, alone or beside green."""
    return colour in ("yellow", "yellow-green")
