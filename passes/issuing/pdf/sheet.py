"""Drawing printable passes: one A4 page per pass, many passes in one PDF.

Drawn with ReportLab on a fixed layout so an office printer gives the same page everywhere:
every character is set in WenQuanYi Micro Hei (shipped in ``passes/fonts``, embedded as a
subset; no other font is ever referenced, not even ReportLab's default Helvetica), and the QR
code is vector rectangles, sharp at any printer resolution.

Speed: the font is parsed once per process and its common subsets are built once
(``pdf_fonts``); the frame, labels, notes and seal are the same on every page, so they are one
form XObject per document, recorded once per process (``pdf_layout``); each page only adds its
values and its QR code.

This module knows nothing of the database: it draws ``PassSheet`` values, which
``passes.issuing.rendering`` builds from passes.
"""

from __future__ import annotations

import datetime
import functools
import io
import re
from dataclasses import dataclass, field

import zxingcpp
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ...signing.tokens import group_number
from . import fonts as pdf_fonts
from .layout import (
    INK,
    LABEL_WIDTH,
    LAYOUT_VERSION,
    LEFT,
    MAX_DRIVER_LINES,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PLATE_COLOURS,
    PLATE_FILL,
    RED,
    RIGHT,
    SEAL_CENTRE,
    SEAL_RADIUS,
    SHANGHAI,
    draw_frame,
    fit_text,
    local_time,
    put_text,
    row_positions,
    text_width,
    wrap_text,
)


@dataclass(frozen=True)
class PassSheet:
    """Everything printed on one pass, as text and times."""

    number: str
    plate: str
    pass_type: str
    enterprise: str
    credit_code: str
    vehicle_type: str
    drivers: list[tuple[str, str]]  # (name, masked ID number)
    cargo: str
    origin: str
    destination: str
    route: str
    checkpoints: list[str]
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    issued_at: datetime.datetime
    qr_text: str  # the verification URL
    token: str
    kid: str
    short_url: str  # where a number can be typed by hand
    revoked: bool = False
    replaces: str = ""
    plate_colour: str = "yellow"  # models.enterprises.plate_colour: as on the vehicle
    extra: dict = field(default_factory=dict)


def qr_modules(url: str) -> tuple[int, bytes]:
    """(modules per side, one byte per module, 0 = dark) of the QR code for ``url``, error
    correction M, no quiet zone. zxing-cpp's encoder (C++) splits the URL into byte and
    alphanumeric segments like ``signing.make_qr`` and picks the mask by the standard's penalty
    rules in about a millisecond, where pure-Python encoders spend tens of milliseconds."""
    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = memoryview(symbol.to_image(with_quiet_zones=False))
    height, width = image.shape
    if height != width:
        raise ValueError("QR image is not square")
    return width, image.tobytes()


_RUNS = re.compile(rb"\x00+")
_NUMBERS = [str(number) for number in range(178)]  # up to QR version 40


def _draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as one filled path of horizontal runs of dark modules (vector). The path is
    written in module units under a scaling matrix: integers only, no float formatting."""
    count, modules = qr_modules(url)
    module = size / (count + 8)  # 4-module quiet zone on each side
    c.setFillColorRGB(1, 1, 1)
    c.rect(x, y, size, size, stroke=0, fill=1)
    ops = []
    append = ops.append
    numbers = _NUMBERS
    for row in range(count):
        base = row * count
        y_text = numbers[count - 1 - row]
        for run in _RUNS.finditer(modules, base, base + count):
            start, end = run.span()
            append(f"{numbers[start - base]} {y_text} {numbers[end - start]} 1 re")
    c.saveState()
    c.setFillColorRGB(0, 0, 0)
    c.transform(module, 0, 0, module, x + 4 * module, y + 4 * module)
    c._code.append("\n".join(ops) + "\nf")  # noqa: SLF001 - raw path operators, see docstring
    c.restoreState()


def _draw_sheet(c: Canvas, sheet: PassSheet, page: int, pages: int) -> None:
    c.doForm("passdesk-frame")
    width = (RIGHT - LEFT) * mm

    title, size = fit_text(sheet.pass_type, 26, width - 20 * mm)
    put_text(c, PAGE_WIDTH / 2, 256 * mm, title, size, RED, bold=True, anchor="center", spacing=4)

    # Plate in a plate-like box, the number large below it.
    plate_size = 34
    plate_width = text_width(sheet.plate, plate_size) + 14 * mm
    fill, ink = PLATE_COLOURS.get(sheet.plate_colour, (PLATE_FILL, INK))
    c.setFillColorRGB(*fill)
    c.setStrokeColorRGB(*INK)
    c.setLineWidth(1.6)
    c.roundRect(LEFT * mm, 218 * mm, plate_width, 19 * mm, 2.5 * mm, stroke=1, fill=1)
    if sheet.plate_colour == "yellow-green":  # province and letter on yellow
        head = 7 * mm + text_width(sheet.plate[:2], plate_size) + 1 * mm
        c.setFillColorRGB(*PLATE_FILL)
        c.roundRect(LEFT * mm, 218 * mm, head, 19 * mm, 2.5 * mm, stroke=0, fill=1)
        c.rect(LEFT * mm + head - 3 * mm, 218 * mm, 3 * mm, 19 * mm, stroke=0, fill=1)
        c.roundRect(LEFT * mm, 218 * mm, plate_width, 19 * mm, 2.5 * mm, stroke=1, fill=0)
    c.setLineWidth(0.5)
    c.setStrokeColorRGB(*ink)
    c.roundRect(
        LEFT * mm + 1.2 * mm, 219.2 * mm, plate_width - 2.4 * mm, 16.6 * mm, 1.8 * mm, stroke=1
    )
    put_text(c, LEFT * mm + 7 * mm, 222.5 * mm, sheet.plate, plate_size, ink, bold=True)
    # The validity as a date range people read one way, nearly as large as the plate.
    validity, validity_size = fit_text(
        validity_range(sheet.valid_from, sheet.valid_until), 26, 122 * mm
    )
    put_text(c, LEFT * mm, 205 * mm, validity, validity_size, INK, bold=True)
    put_text(c, LEFT * mm, 190.5 * mm, group_number(sheet.number), 24, RED, bold=True, spacing=1.5)

    _draw_qr(c, sheet.qr_text, 143 * mm, 198 * mm, 48 * mm)

    values = {
        "enterprise": [sheet.enterprise],
        "credit_code": [sheet.credit_code],
        "vehicle_type": [sheet.vehicle_type],
        "drivers": _driver_lines(sheet.drivers),
        "cargo": [sheet.cargo],
        "ends": [" → ".join(part for part in (sheet.origin, sheet.destination) if part)],
        "route": sheet.route,
        "checkpoints": "、".join(sheet.checkpoints) or "—",
        "validity": [
            _("%(start)s to %(end)s (Beijing time)")
            % {"start": local_time(sheet.valid_from), "end": local_end(sheet.valid_until)}
        ],
        "issued": [local_time(sheet.issued_at)],
    }
    value_x = (LEFT + LABEL_WIDTH + 3) * mm
    value_width = (RIGHT - LEFT - LABEL_WIDTH - 6) * mm
    for key, top, bottom, max_lines in row_positions():
        value = values[key]
        size = 10.5
        lines = wrap_text(value, size, value_width, max_lines) if isinstance(value, str) else value
        lines = [line for line in lines if line] or ["—"]
        leading = 4.8 * mm
        first = (top + bottom) / 2 * mm + (len(lines) - 1) * leading / 2 - 1.3 * mm
        for index, line in enumerate(lines[:max_lines]):
            line, fitted = fit_text(line, size, value_width)
            put_text(c, value_x, first - index * leading, line, fitted, INK)

    # How to verify by hand: the short address, then number and plate large enough to type.
    put_text(c, 22 * mm, 36 * mm, sheet.short_url, 10, INK)
    put_text(c, 22 * mm, 27 * mm, group_number(sheet.number), 17, RED, bold=True, spacing=1)
    put_text(c, 82 * mm, 27 * mm, sheet.plate, 17, INK, bold=True, spacing=1)
    issued_on = sheet.issued_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    put_text(c, 163 * mm, 19 * mm, issued_on, 9, INK, anchor="center")

    footer = _("Pass %(number)s · key %(kid)s · page %(page)d of %(pages)d") % {
        "number": sheet.number,
        "kid": sheet.kid,
        "page": page,
        "pages": pages,
    }
    if sheet.replaces:
        footer += " · " + _("replaces %(number)s") % {"number": sheet.replaces}
    put_text(c, PAGE_WIDTH / 2, 14 * mm, footer, 7, MUTED, anchor="center")

    if sheet.revoked:
        _watermark(c, _("REVOKED"))


def local_end(moment: datetime.datetime) -> str:
    """An end at midnight written as 24:00 of the day before: "至 12-06 24:00" reads one way,
    "至 12-07 00:00" makes people wonder whether the 7th is included."""
    local = moment.astimezone(SHANGHAI)
    if local.time() == datetime.time(0, 0):
        return (local - datetime.timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def validity_range(valid_from: datetime.datetime, valid_until: datetime.datetime) -> str:
    """ "2026-11-30 至 2026-12-06（含）" when the window is whole days in Beijing time (it ends at
    midnight, so the last valid day is the day before); otherwise both times, written out."""
    start = valid_from.astimezone(SHANGHAI)
    end = valid_until.astimezone(SHANGHAI)
    midnight = datetime.time(0, 0)
    if start.time() == midnight and end.time() == midnight and end > start:
        last_day = (end - datetime.timedelta(days=1)).date()
        return _("%(start)s to %(end)s (inclusive)") % {
            "start": start.date().isoformat(),
            "end": last_day.isoformat(),
        }
    return _("%(start)s to %(end)s") % {
        "start": start.strftime("%Y-%m-%d %H:%M"),
        "end": end.strftime("%Y-%m-%d %H:%M"),
    }


def _driver_lines(drivers: list[tuple[str, str]]) -> list[str]:
    lines = [f"{name}    {masked}" for name, masked in drivers[:MAX_DRIVER_LINES]]
    hidden = len(drivers) - MAX_DRIVER_LINES
    if hidden > 0:
        lines[-1] = _("%(shown)s and %(count)d more") % {"shown": lines[-1], "count": hidden}
    return lines


def _watermark(c: Canvas, word: str) -> None:
    c.saveState()
    c.setFillAlpha(0.28)
    c.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    c.rotate(35)
    put_text(c, 0, 0, word, 90, RED, anchor="center", spacing=6)
    c.restoreState()


def render_sheets(
    sheets: list[PassSheet], office_title: str, seal_image: str | bytes | None = None
) -> bytes:
    """One PDF, one A4 page per sheet. ``seal_image`` (a PNG or JPEG path or its bytes) is the
    office's own seal; without it a seal is drawn from the office's name (the demo's)."""
    if not sheets:
        raise ValueError("nothing to render")
    pdf_fonts.font()
    buffer = io.BytesIO()
    c = Canvas(
        buffer,
        pagesize=A4,
        initialFontName=pdf_fonts.FONT_NAME,
        initialFontSize=10,
        initialLeading=12,
        pageCompression=1,
        invariant=1,
        lang="zh-CN",
    )
    c.setTitle(_("Vehicle passes"))
    c.setAuthor(office_title)
    c.setCreator("passdesk")
    draw_frame(c, office_title, drawn_seal=not seal_image)
    seal = _seal_reader(seal_image) if seal_image else None
    for page, sheet in enumerate(sheets, start=1):
        _draw_sheet(c, sheet, page, len(sheets))
        if seal is not None:
            size = 2 * SEAL_RADIUS
            c.drawImage(
                seal,
                SEAL_CENTRE[0] - SEAL_RADIUS,
                SEAL_CENTRE[1] - SEAL_RADIUS,
                size,
                size,
                mask="auto",
                preserveAspectRatio=True,
                anchor="c",
            )
        c.showPage()
    c.save()
    return buffer.getvalue()


def _seal_reader(seal_image):
    from reportlab.lib.utils import ImageReader

    if isinstance(seal_image, bytes):
        return ImageReader(io.BytesIO(seal_image))
    return ImageReader(str(seal_image))


@functools.lru_cache(maxsize=1)
def font_version() -> str:
    """Part of the stored PDFs' fingerprint: the font and the layout."""
    return f"{pdf_fonts.font_version()}:{LAYOUT_VERSION}"
