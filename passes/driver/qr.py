"""A QR code as one SVG path: sharp at any size, a few kilobytes, no image to fetch.

The same modules as the printed pass's QR (``issuing.pdf.sheet.qr_modules``: error correction
M), so a phone's scanner reads the e-pass's code exactly as it reads the paper's.
"""

import re

from ..issuing.pdf.sheet import qr_modules

_DARK_RUNS = re.compile(rb"\x00+")
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def svg_path(text: str) -> tuple[int, str]:
    """(modules per side, the path's ``d``): one rectangle per horizontal run of dark modules,
    in module units (the SVG's viewBox scales it)."""
    count, modules = qr_modules(text)
    parts = []
    for row in range(count):
        base = row * count
        for run in _DARK_RUNS.finditer(modules, base, base + count):
            start, end = run.span()
            width = end - start
            parts.append(f"M{start - base} {row}h{width}v1h-{width}z")
    return count, "".join(parts)


def view_box(count: int) -> str:
    side = count + 2 * QUIET_ZONE
    return f"-{QUIET_ZONE} -{QUIET_ZONE} {side} {side}"
