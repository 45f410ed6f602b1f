"""The blank 承诺书 (commitment letter) an enterprise prints, fills in, stamps and scans back:
the pass type's declaration, then lines to fill in. Plain values in, bytes out, no ORM."""

import io

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts as pdf_fonts
from .layout import INK, MUTED, PAGE_HEIGHT, PAGE_WIDTH, put_text, wrap_text

LEFT, RIGHT = 25 * mm, PAGE_WIDTH - 25 * mm


def default_declaration() -> str:
    return _(
        "Our enterprise undertakes that the enterprise, vehicle, driver and cargo information "
        "and the scanned materials we submit are true and complete; that the vehicle runs only "
        "on the approved route within the validity of its pass, carrying the declared cargo; "
        "that every driver holds the health proof the pass type requires; and that we accept "
        "the revocation of the pass and the legal consequences if any of this is untrue."
    )


def commitment_letter(office: str, pass_type: str = "", declaration: str = "") -> bytes:
    """One A4 page: title, addressee, the declaration, and the lines the enterprise fills in."""
    pdf_fonts.font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1, lang="zh-CN")
    c.setTitle(_("Commitment letter"))
    c.setAuthor(office)
    c.setCreator("passdesk")
    y = PAGE_HEIGHT - 40 * mm
    put_text(c, PAGE_WIDTH / 2, y, _("Commitment letter"), 24, INK, bold=True, anchor="center")
    if pass_type:
        y -= 10 * mm
        put_text(c, PAGE_WIDTH / 2, y, pass_type, 13, MUTED, anchor="center")
    y -= 18 * mm
    put_text(c, LEFT, y, _("To: %(office)s") % {"office": office}, 13, INK)
    y -= 12 * mm
    for paragraph in (declaration or default_declaration()).splitlines():
        for line in wrap_text(paragraph.strip(), 13, RIGHT - LEFT - 8 * mm, 12) or [""]:
            put_text(c, LEFT + 8 * mm, y, line, 13, INK)
            y -= 8 * mm
    y -= 14 * mm
    blanks = (
        _("Enterprise (stamp)"),
        _("Unified social credit code"),
        _("Legal representative or person in charge (signature)"),
        _("Contact phone"),
    )
    for label in blanks:
        label = _("%(label)s:") % {"label": label}
        put_text(c, LEFT, y, label, 13, INK)
        c.setStrokeColorRGB(*INK)
        c.setLineWidth(0.6)
        start = LEFT + pdf_fonts.width(label, 13) + 2 * mm
        c.line(start, y - 1.5 * mm, RIGHT, y - 1.5 * mm)
        y -= 14 * mm
    put_text(c, RIGHT, y, _("Date:      year      month      day"), 13, INK, anchor="right")
    put_text(
        c,
        LEFT,
        20 * mm,
        _("Print, fill in, stamp and sign, then scan or photograph the whole page and upload it."),
        10,
        MUTED,
    )
    c.showPage()
    c.save()
    return buffer.getvalue()
