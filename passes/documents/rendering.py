"""Pictures of documents: thumbnails made by a Celery task, and pages rendered for the
reviewer's in-place preview. PDFs are drawn by pdfium, images by Pillow with their EXIF
orientation applied, so a phone photo taken sideways shows upright."""

import datetime
import io
import logging

import pypdfium2 as pdfium
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageOps

from ..models import Document
from .pdfsafety import PDFIUM_LOCK

logger = logging.getLogger(__name__)

THUMBNAIL_BOX = (320, 320)
THUMBNAIL_QUALITY = 82
MIN_WIDTH = 64
MAX_WIDTH = 2400
MAX_RENDER_PIXELS = 12_000_000  # a tall page at full width still stays well under this


_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}


class PreviewUnavailable(Exception):
    """The page does not exist or the stored file cannot be drawn."""


def _clamp_width(width) -> int:
    try:
        width = int(width)
    except (TypeError, ValueError):
        width = 1000
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _check_page(document: Document, page_number: int) -> None:
    if not 1 <= page_number <= max(1, document.page_count):
        raise PreviewUnavailable(f"page {page_number} of {document.page_count}")


def render_pdf_page(document: Document, page_number: int, width: int = 1200) -> bytes:
    """Page ``page_number`` (1-based) of a PDF document as PNG bytes, ``width`` pixels wide
    (clamped to 64..2400)."""
    if document.content_type != "application/pdf":
        raise PreviewUnavailable("not a PDF")
    return _png(_pdf_page_image(document, page_number, _clamp_width(width)))


def render_page(document: Document, page_number: int = 1, width: int = 1000) -> bytes:
    """Any document's page as PNG: PDF pages, TIFF frames, or the image itself."""
    return _png(page_image(document, page_number, _clamp_width(width)))


def page_image(
    document: Document, page_number: int, width: int, *, fit: bool = True
) -> Image.Image:
    """The page about ``width`` pixels wide: exactly that wide with ``fit`` (scaled down when
    larger); without, a scan stays at the size it was decoded at (JPEG's DCT scaling: at least
    ``width`` both ways) for a caller that resamples it itself."""
    _check_page(document, page_number)
    if document.content_type == "application/pdf":
        return _pdf_page_image(document, page_number, width)
    return _image_page(document, page_number, width, fit=fit)


def _pdf_page_image(document: Document, page_number: int, width: int) -> Image.Image:
    _check_page(document, page_number)
    with document.file.storage.open(document.file.name, "rb") as stream, PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(stream)
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


def _image_page(document: Document, page_number: int, width: int, *, fit=True) -> Image.Image:
    with document.file.storage.open(document.file.name, "rb") as stream:
        try:
            with Image.open(stream, formats=[_PILLOW_FORMATS[document.content_type]]) as image:
                if page_number > 1:
                    image.seek(page_number - 1)
                if image.format == "JPEG":
                    image.draft("RGB", (width, width))
                # A new image, its pixels decoded and independent of the file from here on.
                picture = ImageOps.exif_transpose(image)
                if picture.mode not in ("RGB", "L"):
                    picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
                if fit and picture.width > width:
                    height = max(1, round(picture.height * width / picture.width))
                    picture = picture.resize((width, height), Image.Resampling.LANCZOS)
        except (OSError, SyntaxError, ValueError, EOFError, KeyError) as error:
            raise PreviewUnavailable(str(error)) from error
    return picture


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Fast compression: previews of photographed pages are noisy and zlib's default level spends
    # seconds on them for a few per cent of size.
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def thumbnail_jpeg(document: Document) -> bytes:
    """The first page, fitted into ``THUMBNAIL_BOX``, as JPEG: a photographed page is noise to
    PNG's compressor (about 160 KB and twice the CPU for a 320-pixel picture, against 30 KB)."""
    # A PDF page is drawn at twice the size and scaled down (pdfium's small renderings are
    # coarse); a scan is decoded at about the size needed (JPEG's DCT scaling) and resampled
    # once, here: for an A4 scan at 200 dpi that is 14 ms of CPU instead of 34.
    pdf = document.content_type == "application/pdf"
    image = page_image(document, 1, THUMBNAIL_BOX[0] * (2 if pdf else 1), fit=False)
    image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS, reducing_gap=2.0)
    if image.mode not in ("RGB", "L"):
        # Transparent parts of a PNG or TIFF show white, as on paper.
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
        image = flat
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def thumbnail_content_type(name: str) -> str:
    """Thumbnails are JPEG; ones drawn before are PNG and keep their name."""
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


def ensure_thumbnail(document_or_id) -> bool:
    """Make the document's thumbnail unless it has one. True when a thumbnail exists after the
    call. A damaged or missing file is logged as a warning, never raised: the worker carries
    on and the review page shows the file without a picture."""
    document_id = getattr(document_or_id, "pk", document_or_id)
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        logger.info("thumbnail: document %s no longer exists", document_id)
        return False
    if document.thumbnail and document.thumbnail.storage.exists(document.thumbnail.name):
        return True
    try:
        data = thumbnail_jpeg(document)
    except (PreviewUnavailable, OSError, ValueError, Image.DecompressionBombError) as error:
        logger.warning("thumbnail: document %s cannot be drawn: %s", document_id, error)
        return False
    field = document.thumbnail
    name = field.storage.save(
        field.field.generate_filename(document, "thumb.jpg"), ContentFile(data)
    )
    # Another worker may have finished first: keep theirs, remove ours.
    updated = Document.objects.filter(pk=document_id, thumbnail=document.thumbnail.name or "")
    if not updated.update(thumbnail=name):
        field.storage.delete(name)
    if isinstance(document_or_id, Document):
        document_or_id.refresh_from_db(fields=["thumbnail"])
    return True


def sweep_thumbnails(*, older_than_seconds: int = 120, within_days: int = 2, limit: int = 200):
    """Draw the thumbnails the upload could not queue (the broker was away). Only recent
    documents, so a file that cannot be drawn is not retried for ever. Returns how many now
    have a thumbnail."""
    now = timezone.now()
    missing = Document.objects.filter(
        thumbnail="",
        uploaded_at__lte=now - datetime.timedelta(seconds=older_than_seconds),
        uploaded_at__gte=now - datetime.timedelta(days=within_days),
    ).values_list("pk", flat=True)[:limit]
    return sum(1 for pk in list(missing) if ensure_thumbnail(pk))
