"""Pictures of documents: the thumbnail and the page pictures the reviewer sees, drawn by pdfium
(PDFs) and Pillow (images, their EXIF orientation applied, so a phone photo taken sideways
shows upright).

Uploaded content is only ever drawn in a child process the kernel bounds
(``sandbox.run_bounded`` under the ``PASSDESK_RENDER_*`` settings): the drawing functions here
take bytes and give plain values, and the ``Document`` helpers below fetch the bytes in the
parent and draw in the child. Web views never call them: they serve what a worker stored
(``previews``).
"""

import io
import logging
import os

import pypdfium2 as pdfium
from django.conf import settings
from PIL import Image

from ..models import Document
from .pdfsafety import PDFIUM_LOCK
from .sandbox import run_bounded

logger = logging.getLogger(__name__)

THUMBNAIL_BOX = (320, 320)
THUMBNAIL_QUALITY = 82
PAGE_QUALITY = 85
MIN_WIDTH = 64
MAX_WIDTH = 2400
MAX_RENDER_PIXELS = 12_000_000  # a tall page at full width still stays well under this


_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, KeyError, Image.DecompressionBombError)


class PreviewUnavailable(Exception):
    """The page does not exist or the stored file cannot be drawn."""


def _clamp_width(width) -> int:
    try:
        width = int(width)
    except (TypeError, ValueError):
        width = 1000
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


# --- Drawing (bytes in, plain values out; run these in a bounded child) -------------------------


def draw_page(data: bytes, content_type: str, page_number: int, width: int, *, fit=True):
    """Page ``page_number`` (1-based) of the file ``data`` as a Pillow image about ``width``
    pixels wide: exactly that wide with ``fit`` (scaled down when larger); without, a scan stays
    at the size it was decoded at (JPEG's DCT scaling: at least ``width`` both ways)."""
    if page_number < 1:
        raise PreviewUnavailable(f"page {page_number}")
    if content_type == "application/pdf":
        return _pdf_page_image(data, page_number, width)
    return _image_page(data, content_type, page_number, width, fit=fit)


def _pdf_page_image(data: bytes, page_number: int, width: int) -> Image.Image:
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            raise PreviewUnavailable(str(error)) from error
        try:
            if page_number > len(pdf):
                raise PreviewUnavailable(f"page {page_number} of {len(pdf)}")
            page = pdf[page_number - 1]
            try:
                page_width, page_height = page.get_size()  # as displayed, /Rotate applied
                scale = width / max(page_width, 1)
                if page_width * page_height * scale * scale > MAX_RENDER_PIXELS:
                    scale = (MAX_RENDER_PIXELS / max(page_width * page_height, 1)) ** 0.5
                bitmap = page.render(scale=scale, may_draw_forms=False)
                image = bitmap.to_pil().convert("RGB")
                bitmap.close()
            finally:
                page.close()
        finally:
            pdf.close()
    return image


# EXIF orientation -> the transposition that shows the picture upright (as ImageOps does).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _image_page(data: bytes, content_type: str, page_number: int, width: int, *, fit=True):
    """Scaled down first, then turned upright: a 60 MP scan is held decoded once (about
    180 MB), never copied at full size."""
    try:
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[content_type]]) as image:
            if page_number > getattr(image, "n_frames", 1):
                raise PreviewUnavailable(f"page {page_number}")
            if page_number > 1:
                image.seek(page_number - 1)
            if image.format == "JPEG":
                image.draft("RGB", (width, width))
            orientation = image.getexif().get(0x0112, 1)
            picture = image
            if picture.mode not in ("RGB", "L", "RGBA", "LA"):
                picture = picture.convert(
                    "L" if picture.mode in ("1", "I;16", "I", "F") else "RGBA"
                )
            shown_width = picture.height if orientation in (5, 6, 7, 8) else picture.width
            factor = shown_width / width
            if fit and factor > 1:
                size = (
                    max(1, round(picture.width / factor)),
                    max(1, round(picture.height / factor)),
                )
                picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            elif int(factor) > 1:
                picture = picture.reduce(int(factor))
            elif picture is image:
                picture = image.copy()  # independent of the file from here on
            if orientation in _UPRIGHT:
                picture = picture.transpose(_UPRIGHT[orientation])
            if picture.mode in ("RGBA", "LA") and not _has_transparency(picture):
                picture = picture.convert("RGB" if picture.mode == "RGBA" else "L")
    except PreviewUnavailable:
        raise
    except _BROKEN as error:
        raise PreviewUnavailable(str(error)) from error
    return picture


def _has_transparency(picture) -> bool:
    return picture.getchannel("A").getextrema()[0] < 255


def _flat(image: Image.Image) -> Image.Image:
    """Transparent parts of a PNG or TIFF show white, as on paper."""
    if image.mode in ("RGB", "L"):
        return image
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
    return flat


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    _flat(image).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Fast compression: previews of photographed pages are noisy and zlib's default level spends
    # seconds on them for a few per cent of size.
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def draw_thumbnail(data: bytes, content_type: str) -> bytes:
    """The first page, fitted into ``THUMBNAIL_BOX``, as JPEG: a photographed page is noise to
    PNG's compressor (about 160 KB and twice the CPU for a 320-pixel picture, against 30 KB)."""
    # A PDF page is drawn at twice the size and scaled down (pdfium's small renderings are
    # coarse); a scan is decoded at about the size needed (JPEG's DCT scaling) and resampled
    # once, here: decoding a scan at full size only to shrink it costs more than drawing it.
    pdf = content_type == "application/pdf"
    image = draw_page(data, content_type, 1, THUMBNAIL_BOX[0] * (2 if pdf else 1), fit=False)
    image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _jpeg(image, THUMBNAIL_QUALITY)


def draw_previews(data: bytes, content_type: str, pages: int, directory: str, width: int):
    """Runs in the bounded child: the thumbnail and every page picture (JPEG, ``width`` pixels
    wide) written into ``directory``; returns their file names, thumbnail first. JPEG, not PNG:
    a photographed page at 1400 pixels is about 250 KB instead of 3 MB."""
    names = ["thumbnail.jpg"]
    with open(os.path.join(directory, names[0]), "wb") as out:
        out.write(draw_thumbnail(data, content_type))
    for number in range(1, max(1, pages) + 1):
        name = f"page-{number}.jpg"
        with open(os.path.join(directory, name), "wb") as out:
            out.write(_jpeg(draw_page(data, content_type, number, width), PAGE_QUALITY))
        names.append(name)
    return names


# --- The same for a stored document, bounded (for workers, benchmarks and tests) --------------


def bounds() -> dict:
    """The ``run_bounded`` limits every drawing of uploaded content runs under."""
    return {
        "memory_bytes": settings.PASSDESK_RENDER_MEMORY_BYTES,
        "cpu_seconds": settings.PASSDESK_RENDER_CPU_SECONDS,
        "wall_seconds": settings.PASSDESK_RENDER_WALL_SECONDS,
    }


def stored_bytes(document: Document) -> bytes:
    """The stored file, read in this process (the bounded child must not use the store's
    connection). A file larger than an upload may be is refused."""
    limit = settings.PASSDESK_UPLOAD_MAX_BYTES
    with document.file.storage.open(document.file.name, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise PreviewUnavailable("the stored file is larger than an upload may be")
    return data


def _check_page(document: Document, page_number: int) -> None:
    if not 1 <= page_number <= max(1, document.page_count):
        raise PreviewUnavailable(f"page {page_number} of {document.page_count}")


def _drawn(data, content_type, page_number, width, fit, encode):
    picture = draw_page(data, content_type, page_number, width, fit=fit)
    return encode(picture) if encode else (picture.mode, picture.size, picture.tobytes())


def _bounded_page(document, page_number, width, *, fit=True, encode=None):
    _check_page(document, page_number)
    data = stored_bytes(document)
    return run_bounded(
        _drawn, data, document.content_type, page_number, width, fit, encode, **bounds()
    )


def render_pdf_page(document: Document, page_number: int, width: int = 1200) -> bytes:
    """Page ``page_number`` (1-based) of a PDF document as PNG bytes, ``width`` pixels wide
    (clamped to 64..2400), drawn in a bounded child."""
    if document.content_type != "application/pdf":
        raise PreviewUnavailable("not a PDF")
    return _bounded_page(document, page_number, _clamp_width(width), encode=_png)


def render_page(document: Document, page_number: int = 1, width: int = 1000) -> bytes:
    """Any document's page as PNG (PDF pages, TIFF frames, or the image itself), drawn in a
    bounded child."""
    return _bounded_page(document, page_number, _clamp_width(width), encode=_png)


def page_image(document: Document, page_number: int, width: int, *, fit=True) -> Image.Image:
    """``draw_page`` of a stored document, drawn in a bounded child."""
    mode, size, pixels = _bounded_page(document, page_number, width, fit=fit)
    return Image.frombytes(mode, size, pixels)


def thumbnail_jpeg(document: Document) -> bytes:
    """``draw_thumbnail`` of a stored document, drawn in a bounded child."""
    return run_bounded(draw_thumbnail, stored_bytes(document), document.content_type, **bounds())


def thumbnail_content_type(name: str) -> str:
    """Thumbnails are JPEG; ones drawn before are PNG and keep their name."""
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"
