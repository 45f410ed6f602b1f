"""What an uploaded file really is, decided from its content alone.

The name and the declared content type are never consulted to accept a file (the name only
makes a refusal clearer). Steps, cheapest first: size, a SHA-256 computed in 64 KiB chunks,
the magic bytes (puremagic, pure Python), then a real parse of the format — Pillow for images
(header pixel count before any decoding, ``verify()``, then a real decode), pypdf and pdfium
for PDFs. The file is never read whole into memory.
"""

import contextlib
import hashlib
import struct
import warnings
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from . import pdfsafety
from .errors import UploadRejected, clean_file_name
from .sandbox import BoundExceeded, ChildFailed, run_bounded

CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True)
class FileFormat:
    content_type: str
    extension: str
    label: str
    signatures: tuple[bytes, ...]
    pillow_format: str | None = None


PDF = FileFormat("application/pdf", ".pdf", "PDF", (b"%PDF-",))
JPEG = FileFormat("image/jpeg", ".jpg", "JPEG", (b"\xff\xd8\xff",), "JPEG")
PNG = FileFormat("image/png", ".png", "PNG", (b"\x89PNG\r\n\x1a\n",), "PNG")
TIFF = FileFormat("image/tiff", ".tif", "TIFF", (b"II*\x00", b"MM\x00*"), "TIFF")
ACCEPTED_FORMATS = {fmt.content_type: fmt for fmt in (PDF, JPEG, PNG, TIFF)}
# What the file inputs of the portal may offer (a hint for the browser, not a check).
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,application/pdf,image/jpeg,image/png,image/tiff"

_MARKUP_TYPES = {"text/html", "image/svg+xml", "application/xml", "text/xml"}
_EXECUTABLE_SIGNATURES = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)


@dataclass(frozen=True)
class InspectedUpload:
    """An upload that passed every check."""

    name: str
    content_type: str
    extension: str
    size: int
    sha256: str
    page_count: int
    width: int | None = None
    height: int | None = None


def inspect_upload(uploaded_file) -> InspectedUpload:
    """Check an uploaded file (a Django ``UploadedFile`` or any ``File``) and describe it, or
    raise ``UploadRejected``. The result is remembered on the file object, so calling this
    again (the portal checks early, ``attach_document`` checks again) costs nothing."""
    cached = getattr(uploaded_file, "_passdesk_inspection", None)
    if cached is not None:
        return cached
    name = clean_file_name(getattr(uploaded_file, "name", ""))
    max_bytes = settings.PASSDESK_UPLOAD_MAX_BYTES
    declared = getattr(uploaded_file, "size", None)
    if declared == 0:
        raise _empty(name)
    if declared is not None and declared > max_bytes:
        raise _too_large(name, declared, max_bytes)

    sha256, size = _digest(uploaded_file, max_bytes, name)
    if size == 0:
        raise _empty(name)

    stream = getattr(uploaded_file, "file", None) or uploaded_file
    stream.seek(0)
    fmt = sniff(stream, name)
    stream.seek(0)
    page_count, width, height = _bounded_check(stream, fmt, name)
    stream.seek(0)
    result = InspectedUpload(
        name=name,
        content_type=fmt.content_type,
        extension=fmt.extension,
        size=size,
        sha256=sha256,
        page_count=page_count,
        width=width,
        height=height,
    )
    with contextlib.suppress(AttributeError):  # objects with __slots__ just are not cached
        uploaded_file._passdesk_inspection = result
    return result


def _digest(uploaded_file, max_bytes: int, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in uploaded_file.chunks(chunk_size=CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(name, None, max_bytes)
        digest.update(chunk)
    return digest.hexdigest(), size


def _bounded_check(stream, fmt: FileFormat, name: str) -> tuple[int, int | None, int | None]:
    """(pages, width, height) from the real parse, made in a bounded child."""
    try:
        return run_bounded(
            _check_content,
            stream,
            fmt,
            name,
            memory_bytes=settings.PASSDESK_UPLOAD_CHECK_MEMORY_BYTES,
            cpu_seconds=settings.PASSDESK_UPLOAD_CHECK_CPU_SECONDS,
            wall_seconds=settings.PASSDESK_UPLOAD_CHECK_WALL_SECONDS,
            max_result_bytes=4096,
        )
    except BoundExceeded as error:
        raise UploadRejected(
            _(
                "“%(name)s” was refused: checking it took more memory or time than a scan may. "
                "Scan it again at a lower resolution or print it to a new PDF."
            )
            % {"name": name},
            code="too_costly",
        ) from error
    except ChildFailed as error:
        raise UploadRejected(
            _("“%(name)s” was refused: it is a damaged file that cannot be read.") % {"name": name},
            code="broken_file",
        ) from error


def _check_content(stream, fmt: FileFormat, name: str) -> tuple[int, int | None, int | None]:
    """Runs in the child: the format's own checks."""
    if fmt is PDF:
        return _check_pdf(stream, name), None, None
    return _check_image(stream, fmt, name)


# --- Sniffing ----------------------------------------------------------------------------------


def sniff(stream, name: str = "") -> FileFormat:
    """The accepted format the content is, or ``UploadRejected``. puremagic reads a bounded head
    and foot of the stream; a format counts only if its signature starts at byte 0."""
    head = stream.read(64)
    stream.seek(0)
    try:
        matches = puremagic.magic_stream(stream)
    except (puremagic.PureError, ValueError):
        matches = []
    stream.seek(0)
    for match in matches:
        fmt = ACCEPTED_FORMATS.get(match.mime_type)
        if fmt and match.offset == 0 and any(head.startswith(sig) for sig in fmt.signatures):
            return fmt
    mime_types = {match.mime_type for match in matches}
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if mime_types & _MARKUP_TYPES or stripped.startswith((b"<", b"<?xml", b"<!doctype")):
        what = _("an SVG drawing") if b"<svg" in _head_text(stream) else _("a web page (HTML)")
        raise _refused(name, what, "disguised_markup")
    if head.startswith(_EXECUTABLE_SIGNATURES) or any(m.extension == ".exe" for m in matches):
        raise _refused(name, _("a program (executable)"), "executable")
    raise UploadRejected(
        _("“%(name)s” was refused: it is not a PDF, JPEG, PNG or TIFF file.") % {"name": name},
        code="unsupported_type",
    )


def _head_text(stream) -> bytes:
    text = stream.read(4096).lower()
    stream.seek(0)
    return text


def _refused(name: str, what: str, code: str) -> UploadRejected:
    claimed = _claimed_label(name)
    if claimed:
        message = _(
            "“%(name)s” was refused: its name says %(claimed)s but it is %(what)s. Only PDF, "
            "JPEG, PNG and TIFF scans are accepted."
        ) % {"name": name, "claimed": claimed, "what": what}
    else:
        message = _(
            "“%(name)s” was refused: it is %(what)s. Only PDF, JPEG, PNG and TIFF scans are "
            "accepted."
        ) % {"name": name, "what": what}
    return UploadRejected(message, code=code)


def _claimed_label(name: str) -> str | None:
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return {
        "pdf": "PDF",
        "jpg": "JPEG",
        "jpeg": "JPEG",
        "png": "PNG",
        "tif": "TIFF",
        "tiff": "TIFF",
    }.get(extension)


# --- Images ------------------------------------------------------------------------------------

_BROKEN_IMAGE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)


def _check_image(stream, fmt: FileFormat, name: str) -> tuple[int, int, int]:
    """Pages, width and height of a sound image within the pixel and page caps."""
    max_pixels = settings.PASSDESK_UPLOAD_MAX_PIXELS
    max_total = settings.PASSDESK_UPLOAD_MAX_TOTAL_PIXELS
    max_pages = settings.PASSDESK_UPLOAD_MAX_PDF_PAGES
    with warnings.catch_warnings():
        # Pillow's own bomb check warns below twice its limit; make that a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(stream, formats=[fmt.pillow_format]) as image:
                width, height = image.size
                frames = getattr(image, "n_frames", 1)
                if frames > max_pages:
                    raise _too_many_pages(name, frames, max_pages)
                total = 0
                for index in range(frames):  # frame headers only: nothing is decoded yet
                    if index:
                        image.seek(index)
                    if image.width * image.height > max_pixels:
                        raise _too_many_pixels(name, image.width, image.height, max_pixels)
                    total += image.width * image.height
                    if total > max_total:
                        raise _too_many_pixels_in_all(name, frames, max_total)
                image.verify()
            stream.seek(0)
            with Image.open(stream, formats=[fmt.pillow_format]) as image:
                for index in range(frames):
                    if index:
                        image.seek(index)
                    if fmt is JPEG:
                        # DCT scaling: every byte of scan data is still decoded (so damage is
                        # found) while the pixels held are 1/64 of the full image.
                        image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise UploadRejected(
                _("“%(name)s” was refused: it has more than %(max)s million pixels.")
                % {"name": name, "max": _millions(max_pixels)},
                code="too_many_pixels",
            ) from error
        except _BROKEN_IMAGE_ERRORS as error:
            raise UploadRejected(
                _(
                    "“%(name)s” was refused: it is a damaged or incomplete %(format)s image. "
                    "Scan it again or export it anew."
                )
                % {"name": name, "format": fmt.label},
                code="broken_image",
            ) from error
    return frames, width, height


def _millions(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"


def _too_many_pixels(name, width, height, max_pixels) -> UploadRejected:
    return UploadRejected(
        _(
            "“%(name)s” was refused: it is %(width)d × %(height)d pixels; images of at most "
            "%(max)s million pixels are accepted."
        )
        % {"name": name, "width": width, "height": height, "max": _millions(max_pixels)},
        code="too_many_pixels",
    )


def _too_many_pixels_in_all(name, frames, max_total) -> UploadRejected:
    return UploadRejected(
        _(
            "“%(name)s” was refused: its %(frames)d pages have more than %(max)s million "
            "pixels in all. Scan it at a lower resolution or split it into several files."
        )
        % {"name": name, "frames": frames, "max": _millions(max_total)},
        code="too_many_pixels",
    )


def _too_many_pages(name, pages, max_pages) -> UploadRejected:
    return UploadRejected(
        _("“%(name)s” was refused: it has %(pages)d pages; at most %(max)d are accepted.")
        % {"name": name, "pages": pages, "max": max_pages},
        code="too_many_pages",
    )


# --- PDFs --------------------------------------------------------------------------------------


def _check_pdf(stream, name: str) -> int:
    try:
        pages = pdfsafety.check_pdf(stream)
    except pdfsafety.PdfProblem as problem:
        if problem.kind == "too_many_pixels":
            raise UploadRejected(
                _(
                    "“%(name)s” was refused: the images in the PDF have more than %(max)s "
                    "million pixels."
                )
                % {"name": name, "max": _millions(settings.PASSDESK_UPLOAD_MAX_TOTAL_PIXELS)},
                code="too_many_pixels",
            ) from problem
        raise _pdf_refusal(name, problem.kind) from problem
    max_pages = settings.PASSDESK_UPLOAD_MAX_PDF_PAGES
    if pages > max_pages:
        raise _too_many_pages(name, pages, max_pages)
    return pages


def _pdf_refusal(name: str, kind: str) -> UploadRejected:
    messages = {
        "encrypted": (
            _(
                "“%(name)s” was refused: the PDF is encrypted or password-protected. Save a "
                "copy without a password and upload that."
            ),
            "pdf_encrypted",
        ),
        "unreadable": (
            _("“%(name)s” was refused: it is a damaged PDF that cannot be read."),
            "pdf_unreadable",
        ),
        "too_complex": (
            _("“%(name)s” was refused: the PDF is too complex to check."),
            "pdf_unreadable",
        ),
        "too_costly": (
            _(
                "“%(name)s” was refused: drawing its pages would take too much work (drawings "
                "nested too deep, or too many drawing operations). Print it to a new PDF or scan "
                "the paper copy."
            ),
            "pdf_too_costly",
        ),
        "javascript": (
            _(
                "“%(name)s” was refused: the PDF contains JavaScript. Print it to a new PDF or "
                "scan the paper copy."
            ),
            "pdf_javascript",
        ),
        "xfa": (
            _(
                "“%(name)s” was refused: the PDF contains an XFA form, which can run scripts. "
                "Print it to a new PDF or scan the paper copy."
            ),
            "pdf_javascript",
        ),
        "launch": (
            _(
                "“%(name)s” was refused: the PDF contains an action that launches a program. "
                "Print it to a new PDF or scan the paper copy."
            ),
            "pdf_launch",
        ),
        "remote_action": (
            _(
                "“%(name)s” was refused: the PDF contains an action that opens another file or "
                "sends data elsewhere. Print it to a new PDF or scan the paper copy."
            ),
            "pdf_remote_action",
        ),
        "automatic_link": (
            _(
                "“%(name)s” was refused: the PDF opens a web address by itself. Print it to a "
                "new PDF or scan the paper copy."
            ),
            "pdf_remote_action",
        ),
        "embedded_file": (
            _(
                "“%(name)s” was refused: the PDF carries embedded files. Upload each document "
                "as a file of its own."
            ),
            "pdf_embedded_file",
        ),
    }
    message, code = messages[kind]
    return UploadRejected(message % {"name": name}, code=code)


# --- Size ---------------------------------------------------------------------------------------


def _empty(name: str) -> UploadRejected:
    return UploadRejected(_("“%(name)s” was refused: the file is empty.") % {"name": name}, "empty")


def _too_large(name: str, size: int | None, max_bytes: int) -> UploadRejected:
    if size is None:  # found while reading: the true size is unknown, only that it is too big
        message = _(
            "“%(name)s” was refused: it is larger than %(max)s, the most a file may be."
        ) % {"name": name, "max": filesizeformat(max_bytes)}
    else:
        message = _(
            "“%(name)s” was refused: it is %(size)s; files of at most %(max)s are accepted."
        ) % {"name": name, "size": filesizeformat(size), "max": filesizeformat(max_bytes)}
    return UploadRejected(message, code="too_large")
