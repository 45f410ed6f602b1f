"""Realistic-looking scanned materials for the demo and for tests: a licence-like sheet with a
title, lines of text, a photo box and a red seal, slightly skewed and grainy like a phone scan.

Runs wherever Pillow does: it uses the CJK font shipped in ``passes/fonts/`` (or one of the
system's), and falls back to Pillow's built-in font when there is none.
"""

import io
import math
import random
from functools import lru_cache
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import data

PAPER = (246, 243, 232)
INK = (35, 35, 40)
SEAL = (200, 30, 35)
_FONT_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "fonts",
    Path("/usr/share/fonts/truetype/wqy"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/droid"),
)


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    for folder in _FONT_CANDIDATES:
        if not folder.is_dir():
            continue
        for pattern in ("*.ttc", "*.otf", "*.ttf"):
            for path in sorted(folder.glob(pattern)):
                return str(path)
    return None


def _font(size: int):
    path = _font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def make_scan_image(
    title: str,
    lines: list[str] | tuple[str, ...],
    *,
    size: tuple[int, int] = (1240, 874),
    seed: int | str = 0,
    seal_text: str = "",
    photo: bool = True,
) -> Image.Image:
    """An RGB image that looks like a scanned licence or certificate. The same arguments give
    the same picture (the noise and skew come from ``seed``)."""
    rng = random.Random(f"{seed}|{title}")
    width, height = size
    sheet = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(sheet)
    margin = width // 20
    draw.rectangle([margin, margin, width - margin, height - margin], outline=INK, width=4)
    draw.rectangle(
        [margin + 10, margin + 10, width - margin - 10, height - margin - 10], outline=INK, width=1
    )

    title_font = _font(max(24, height // 12))
    box = draw.textbbox((0, 0), title, font=title_font)
    draw.text(((width - (box[2] - box[0])) // 2, margin + height // 20), title, INK, title_font)

    body_font = _font(max(14, height // 28))
    line_height = int((body_font.size if hasattr(body_font, "size") else 16) * 1.7)
    text_left = margin + width // 20
    top = margin + height // 20 + (box[3] - box[1]) + height // 15
    for index, line in enumerate(lines):
        draw.text((text_left, top + index * line_height), str(line), INK, body_font)

    if photo:
        photo_w, photo_h = width // 7, int(width // 7 * 1.3)
        left, upper = width - margin - width // 20 - photo_w, top
        draw.rectangle([left, upper, left + photo_w, upper + photo_h], fill=(210, 214, 222))
        head = photo_w // 4
        cx = left + photo_w // 2
        draw.ellipse(
            [cx - head, upper + photo_h // 6, cx + head, upper + photo_h // 6 + 2 * head],
            fill=(120, 124, 135),
        )
        draw.pieslice(
            [cx - 2 * head, upper + photo_h // 2, cx + 2 * head, upper + photo_h + head * 2],
            180,
            360,
            fill=(120, 124, 135),
        )

    _seal(
        draw,
        (width - margin - width // 6, height - margin - height // 5),
        height // 7,
        seal_text or title[:8],
        rng,
    )

    sheet = sheet.rotate(
        rng.uniform(-1.5, 1.5),
        resample=Image.Resampling.BICUBIC,
        expand=False,
        fillcolor=(225, 222, 212),
    )
    grain = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    sheet = Image.blend(sheet, grain, 0.05).filter(ImageFilter.GaussianBlur(0.6))
    return sheet


def _seal(draw: ImageDraw.ImageDraw, centre, radius: int, text: str, rng) -> None:
    """A round red company seal with a star and the text around the rim."""
    cx, cy = centre
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=SEAL, width=5)
    star = [
        (
            cx + (radius / 3 if i % 2 == 0 else radius / 7.5) * math.sin(i * math.pi / 5),
            cy - (radius / 3 if i % 2 == 0 else radius / 7.5) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=SEAL)
    font = _font(max(10, radius // 4))
    count = max(1, len(text))
    for index, char in enumerate(text):
        angle = math.pi * (-0.8 + 1.6 * index / max(1, count - 1)) if count > 1 else 0
        x = cx + (radius * 0.72) * math.sin(angle)
        y = cy - (radius * 0.72) * math.cos(angle)
        draw.text((x, y), char, SEAL, font, anchor="mm")
    del rng


def make_scan_bytes(title: str, lines, *, format: str = "JPEG", **options) -> bytes:
    """``make_scan_image`` encoded as a JPEG (quality 82, like a phone scanner app) or PNG."""
    image = make_scan_image(title, lines, **options)
    buffer = io.BytesIO()
    if format.upper() == "JPEG":
        image.save(buffer, "JPEG", quality=82, dpi=(150, 150))
    else:
        image.save(buffer, format.upper())
    return buffer.getvalue()


def make_scan_file(title: str, lines, *, name: str = "scan.jpg", **options):
    """An upload ready for ``passes.documents.attach_document``."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    fmt = "PNG" if name.lower().endswith(".png") else "JPEG"
    data = make_scan_bytes(title, lines, format=fmt, **options)
    return SimpleUploadedFile(name, data, content_type=f"image/{fmt.lower()}")


def make_scan_pdf(title: str, lines, *, pages: int = 1, **options) -> bytes:
    """A PDF as scanner software writes one: each page an A4 JPEG image of ``make_scan_image``
    (portrait, 1240 × 1754 pixels at 150 dpi)."""
    options.setdefault("size", (1240, 1754))
    images = [
        make_scan_bytes(title, lines, seed=f"{options.pop('seed', 0)}-{n}", **options)
        for n in range(pages)
    ]
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for jpeg in images:
        page, image, content = len(objects) + 1, len(objects) + 2, len(objects) + 3
        kids.append(b"%d 0 R" % page)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>" % (image, content)
        )
        width, height = options["size"]
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % (width, height, len(jpeg))
            + jpeg
            + b"\nendstream"
        )
        drawing = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
        objects.append(b"<< /Length %d >>\nstream\n" % len(drawing) + drawing + b"\nendstream")
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    return assemble_pdf(objects)


def assemble_pdf(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """Assemble a PDF from object bodies: ``objects[0]`` becomes ``1 0 obj``, and so on, with a
    correct cross-reference table. The test suite builds its hostile PDFs with it too."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_at = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, trailer_extra, xref_at)
    )
    return out.getvalue()


# --- The demo's uploads ----------------------------------------------------------------------

SCAN_SIZE = (1000, 700)  # smaller than a real scan: the demo makes dozens of them
DOCUMENT_SIZE = (827, 1169)  # A4 at 100 dpi, for the PDF business licences


def scan_upload(kind, fields, *, seed, pdf=False) -> SimpleUploadedFile:
    """The demo's scan of a document of ``kind`` (its text from ``data.SCAN_TEXT`` filled with
    ``fields``) as an upload: a JPEG, or a PDF for a business licence."""
    title, lines = data.SCAN_TEXT[kind]
    lines = [line.format(**fields) for line in lines]
    photo = kind == "driving_licence"  # only a licence of a person carries a photo
    if pdf:
        content = make_scan_pdf(title, lines, seed=seed, size=DOCUMENT_SIZE, photo=photo)
        return SimpleUploadedFile(f"{title}.pdf", content, content_type="application/pdf")
    return make_scan_file(title, lines, name=f"{title}.jpg", seed=seed, size=SCAN_SIZE, photo=photo)
