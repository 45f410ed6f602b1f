"""The fixed part of the printed pass: layout, text helpers, and the frame drawn once per
document (border, header, table grid and labels, notes, hand-verification box, seal).

The frame's operators depend only on the language and the office title. Drawn into a fresh
document it assigns its characters to the font's first subset in a fixed order, so the
operators and that assignment are recorded the first time and replayed afterwards
(``draw_frame``): a one-page PDF no longer pays for laying out labels and notes.
"""

from __future__ import annotations

import datetime
import functools
import math
import threading
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts as pdf_fonts

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_WIDTH, PAGE_HEIGHT = A4
RED = (0.71, 0.08, 0.10)
INK = (0.10, 0.10, 0.13)
MUTED = (0.38, 0.38, 0.42)
RULE = (0.55, 0.55, 0.58)
PLATE_FILL = (1.0, 0.86, 0.18)  # the yellow of a truck's plate
# The plate's colours as on the vehicle (``models.enterprises.plate_colour``): fill and ink;
# "yellow-green" is drawn yellow under the province and letter, green after them.
PLATE_COLOURS = {
    "yellow": (PLATE_FILL, INK),
    "green": ((0.55, 0.86, 0.62), INK),
    "blue": ((0.05, 0.28, 0.63), (1.0, 1.0, 1.0)),
    "yellow-green": ((0.55, 0.86, 0.62), INK),
}
MAX_DRIVER_LINES = 3
LAYOUT_VERSION = "4"  # part of the stored PDFs' fingerprint: bump when the layout changes

# --- Text helpers --------------------------------------------------------------------------


text_width = pdf_fonts.width


def fit_text(text: str, size: float, width: float, min_size: float = 7) -> tuple[str, float]:
    """Shrink to ``min_size`` and then cut with an ellipsis until ``text`` fits ``width``."""
    while size > min_size and text_width(text, size) > width:
        size -= 0.5
    if text_width(text, size) <= width:
        return text, size
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…", size


def wrap_text(text: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy wrap by character (right for Chinese; acceptable for Latin)."""
    lines, current, used = [], "", 0.0
    for char in text.replace("\n", " "):
        advance = text_width(char, size)
        if used + advance > width:
            lines.append(current)
            if len(lines) == max_lines:
                last = lines[-1]
                while last and text_width(last + "…", size) > width:
                    last = last[:-1]
                lines[-1] = last + "…"
                return lines
            current, used = char.lstrip(), (advance if char.strip() else 0.0)
        else:
            current += char
            used += advance
    if current:
        lines.append(current)
    return lines


def local_time(moment: datetime.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def put_text(c: Canvas, x, y, text, size, color=INK, *, bold=False, anchor="left", spacing=0):
    if anchor != "left":
        width = text_width(text, size) + spacing * max(len(text) - 1, 0)
        x -= width / 2 if anchor == "center" else width
    pdf_fonts.draw_text(c, x, y, text, size, color, bold=bold, spacing=spacing)


# --- Layout (mm from the bottom-left corner) --------------------------------------------------

LEFT, RIGHT = 18, 192
TABLE_TOP = 188
LABEL_WIDTH = 36
# (key, height in mm, value lines)
ROWS = (
    ("enterprise", 9, 1),
    ("credit_code", 9, 1),
    ("vehicle_type", 9, 1),
    ("drivers", 17, MAX_DRIVER_LINES),
    ("cargo", 9, 1),
    ("ends", 9, 1),
    ("route", 12, 2),
    ("checkpoints", 12, 2),
    ("validity", 9, 1),
    ("issued", 9, 1),
)


def _labels() -> dict[str, tuple[str, str]]:
    """Row labels: (in the active language, in English); the English one is printed small
    under the other when they differ, as on bilingual official forms."""
    english = {
        "enterprise": "Enterprise",
        "credit_code": "Credit code",
        "vehicle_type": "Vehicle type",
        "drivers": "Drivers",
        "cargo": "Cargo",
        "ends": "From → to",
        "route": "Route",
        "checkpoints": "Checkpoints",
        "validity": "Valid",
        "issued": "Issued",
    }
    translated = {
        # Translators: row labels of the printed pass (企业名称, 统一社会信用代码, 车辆类型, ...).
        "enterprise": _("Enterprise"),
        "credit_code": _("Unified social credit code"),
        "vehicle_type": _("Vehicle type"),
        "drivers": _("Drivers"),
        "cargo": _("Cargo"),
        "ends": _("Origin → destination"),
        "route": _("Route"),
        "checkpoints": _("Checkpoints"),
        "validity": _("Validity"),
        "issued": _("Issued at"),
    }
    return {key: (translated[key], english[key]) for key in english}


def row_positions():
    top = TABLE_TOP
    for key, height, lines in ROWS:
        yield key, top, top - height, lines
        top -= height


TABLE_BOTTOM = TABLE_TOP - sum(height for _key, height, _lines in ROWS)


def _draw_frame(c: Canvas, office_title: str, *, drawn_seal: bool = True) -> None:
    """Everything that is the same on every page (the generated seal too, unless the office
    configured an image of its own seal, which each page then places)."""
    # Double border.
    c.setStrokeColorRGB(*RED)
    c.setLineWidth(2.2)
    c.rect(10 * mm, 10 * mm, PAGE_WIDTH - 20 * mm, PAGE_HEIGHT - 20 * mm)
    c.setLineWidth(0.6)
    c.rect(12 * mm, 12 * mm, PAGE_WIDTH - 24 * mm, PAGE_HEIGHT - 24 * mm)
    _guilloche(c, 12 * mm, 250 * mm, PAGE_WIDTH - 24 * mm, 35 * mm)

    # Header: issuing office, then (per page) the pass type as the title.
    header, header_size = fit_text(office_title, 15, 160 * mm)
    put_text(c, PAGE_WIDTH / 2, 274 * mm, header, header_size, INK, anchor="center", spacing=1.5)
    c.setStrokeColorRGB(*RED)
    c.setLineWidth(1.4)
    c.line(LEFT * mm, 248 * mm, RIGHT * mm, 248 * mm)
    c.setLineWidth(0.5)
    c.line(LEFT * mm, 247 * mm, RIGHT * mm, 247 * mm)

    # Plate and number block labels.
    put_text(c, LEFT * mm, 240 * mm, _("Plate"), 10, MUTED)
    put_text(c, LEFT * mm, 213.5 * mm, _("Valid (Beijing time)"), 10, MUTED)
    put_text(c, LEFT * mm, 199 * mm, _("Pass number"), 10, MUTED)
    put_text(c, 167 * mm, 196 * mm, _("Scan to verify"), 8, MUTED, anchor="center")

    # Table grid and labels.
    labels = _labels()
    c.setStrokeColorRGB(*RULE)
    c.setLineWidth(0.5)
    c.rect(LEFT * mm, TABLE_BOTTOM * mm, (RIGHT - LEFT) * mm, (TABLE_TOP - TABLE_BOTTOM) * mm)
    c.line((LEFT + LABEL_WIDTH) * mm, TABLE_BOTTOM * mm, (LEFT + LABEL_WIDTH) * mm, TABLE_TOP * mm)
    c.setFillColorRGB(0.96, 0.95, 0.93)
    for _key, top, bottom, _lines in row_positions():
        c.rect(LEFT * mm, bottom * mm, LABEL_WIDTH * mm, (top - bottom) * mm, stroke=0, fill=1)
    c.setStrokeColorRGB(*RULE)
    for key, top, bottom, _lines in row_positions():
        if bottom > TABLE_BOTTOM:
            c.line(LEFT * mm, bottom * mm, RIGHT * mm, bottom * mm)
        label, english = labels[key]
        middle = (top + bottom) / 2
        label, size = fit_text(label, 10, (LABEL_WIDTH - 4) * mm)
        if english != label:
            put_text(c, (LEFT + 2) * mm, (middle + 0.4) * mm, label, size, INK)
            put_text(c, (LEFT + 2) * mm, (middle - 3.2) * mm, english, 6.5, MUTED)
        else:
            put_text(c, (LEFT + 2) * mm, (middle - 1.2) * mm, label, size, INK)

    # Notes for the holder and the inspector.
    notes = [
        _("One vehicle, one pass, one route: valid only for the vehicle, drivers and route above."),
        _("Paper and electronic passes are equally valid. Carry it; show it at checkpoints."),
        _("A pass that has been altered, copied for another vehicle or lent is void."),
    ]
    y = (TABLE_BOTTOM - 8) * mm
    put_text(c, LEFT * mm, y, _("Notes"), 9, INK, bold=True)
    for index, note in enumerate(notes, start=1):
        for line in wrap_text(f"{index}. {note}", 8.5, 118 * mm, 2):
            y -= 4.6 * mm
            put_text(c, LEFT * mm, y, line, 8.5, INK)

    # The hand-verification box; each page writes its address, number and plate into it.
    c.setFillColorRGB(0.985, 0.96, 0.95)
    c.setStrokeColorRGB(*RED)
    c.setLineWidth(0.6)
    c.roundRect(LEFT * mm, 22 * mm, 118 * mm, 28 * mm, 2 * mm, stroke=1, fill=1)
    put_text(c, 22 * mm, 44.5 * mm, _("Verify by hand"), 9, RED, bold=True)
    hint = _("No scanner? Open this address and type the pass number and the plate:")
    hint, hint_size = fit_text(hint, 8, 110 * mm)
    put_text(c, 22 * mm, 40.5 * mm, hint, hint_size, INK)

    if drawn_seal:
        _seal(c, *SEAL_CENTRE, SEAL_RADIUS, office_title)
    put_text(c, 163 * mm, 24 * mm, _("Issuing authority (seal)"), 8, MUTED, anchor="center")


@functools.lru_cache(maxsize=4)
def _guilloche_ops(x: float, y: float, width: float, height: float) -> str:
    """Path operators of six interleaved sine waves, computed once per process."""
    ops, steps = [], 120
    for wave in range(6):
        phase = wave * math.pi / 3
        for step in range(steps + 1):
            px = x + width * step / steps
            py = y + height / 2 + height * 0.38 * math.sin(step / steps * 6 * math.pi + phase)
            ops.append(f"{px:.2f} {py:.2f} {'m' if step == 0 else 'l'}")
    return "\n".join(ops) + "\nS"


def _guilloche(c: Canvas, x: float, y: float, width: float, height: float) -> None:
    """Fine interleaved waves behind the header: hard to copy cleanly, cheap to draw once."""
    c.saveState()
    c.setStrokeColorRGB(0.96, 0.80, 0.78)
    c.setLineWidth(0.3)
    c._code.append(_guilloche_ops(x, y, width, height))  # noqa: SLF001 - cached raw path
    c.restoreState()


SEAL_CENTRE = (163 * mm, 48 * mm)
SEAL_RADIUS = 19 * mm


def _seal(c: Canvas, cx: float, cy: float, radius: float, office_title: str) -> None:
    """A round red seal: the office's name around the rim, a star and "pass seal" below."""
    c.saveState()
    c.setStrokeColorRGB(*RED)
    c.setFillColorRGB(*RED)
    c.setLineWidth(2.0)
    c.circle(cx, cy, radius, stroke=1, fill=0)
    chars = list(office_title)[:20]
    size = 10 if len(chars) <= 14 else 10 * 14 / len(chars)  # long names: smaller, same arc
    span = min(250.0, 17.0 * len(chars))
    for index, char in enumerate(chars):
        angle = 90 + span / 2 - (span * index / max(len(chars) - 1, 1))
        rad = math.radians(angle)
        c.saveState()
        c.translate(
            cx + (radius - 5.3 * mm) * math.cos(rad), cy + (radius - 5.3 * mm) * math.sin(rad)
        )
        c.rotate(angle - 90)
        put_text(c, 0, 0, char, size, RED, bold=True, anchor="center")
        c.restoreState()
    _star(c, cx, cy + 1 * mm, 5 * mm)
    put_text(c, cx, cy - 9 * mm, _("Pass seal"), 8.5, RED, anchor="center")
    c.restoreState()


def _star(c: Canvas, cx: float, cy: float, radius: float) -> None:
    path = c.beginPath()
    for point in range(10):
        r = radius if point % 2 == 0 else radius * 0.4
        angle = math.radians(90 + point * 36)
        px, py = cx + r * math.cos(angle), cy + r * math.sin(angle)
        if point == 0:
            path.moveTo(px, py)
        else:
            path.lineTo(px, py)
    path.close()
    c.drawPath(path, stroke=0, fill=1)


_frame_cache: dict[tuple, tuple[list[str], str]] = {}
_frame_lock = threading.Lock()


def draw_frame(c: Canvas, office_title: str, *, drawn_seal: bool = True) -> None:
    """Define the form "passdesk-frame" in a fresh document and assign the common characters to
    the font's first subsets: drawn and recorded the first time, replayed afterwards."""
    key = (get_language(), office_title, LAYOUT_VERSION, drawn_seal)
    font = pdf_fonts.font()
    doc = c._doc  # noqa: SLF001 - subset assignment is per document
    if doc in font.state:
        raise RuntimeError("draw the frame before any other text of the document")
    with _frame_lock:
        cached = _frame_cache.get(key)
    c.beginForm("passdesk-frame")
    if cached is not None:
        code, characters = cached
        font.splitString(characters, doc)
        font.getSubsetInternalName(0, doc)
        c._code.extend(code)  # noqa: SLF001 - recorded operators of this very frame
        c.endForm()
        return
    _draw_frame(c, office_title, drawn_seal=drawn_seal)
    code = list(c._code)  # noqa: SLF001
    c.endForm()
    pdf_fonts.preseed(doc, "")
    characters = "".join(map(chr, font.state[doc].assignments))
    with _frame_lock:
        _frame_cache[key] = (code, characters)
