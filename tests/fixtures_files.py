"""Builders for upload test files, generated in code so no binary fixture is checked in.

Every builder returns ``bytes``; ``upload()`` and ``upload_on_disk()`` wrap them the way Django
hands a view an uploaded file (in memory, or streamed to a temporary file as happens above
``FILE_UPLOAD_MAX_MEMORY_SIZE``). Other engineers' tests (API, portal, admin, demo) reuse them.
"""

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image, ImageDraw

from passes.demo.scans import assemble_pdf as build_pdf

# --- Wrapping bytes as uploads ---------------------------------------------------------------


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    """An in-memory upload. The declared content type is deliberately unchecked by the code."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def upload_on_disk(name: str, data: bytes, content_type: str = "application/octet-stream"):
    """An upload streamed to a temporary file, as Django does for large request bodies."""
    uploaded = TemporaryUploadedFile(name, content_type, len(data), None)
    uploaded.write(data)
    uploaded.flush()
    uploaded.seek(0)
    return uploaded


# --- Images ------------------------------------------------------------------------------------


def _sample_image(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A small picture with a red band on top and text-like lines, so orientation is visible."""
    image = Image.new("RGB", (width, height), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, max(2, height // 5)], fill=(200, 20, 20))
    for y in range(height // 3, height - 4, max(6, height // 10)):
        draw.line([(width // 10, y), (width * 9 // 10, y)], fill=(30, 30, 30), width=2)
    return image.convert(mode)


def jpeg_bytes(width: int = 320, height: int = 200, *, quality: int = 85, exif_orientation=None):
    """A JPEG. With ``exif_orientation`` (6 = rotate 90° clockwise to view, 8 = counter-clockwise,
    3 = 180°) the pixels are stored turned the way a phone camera stores them, so only applying
    the EXIF tag shows the red band on top again."""
    image = _sample_image(width, height)
    exif = None
    if exif_orientation:
        stored = {
            3: Image.Transpose.ROTATE_180,
            6: Image.Transpose.ROTATE_90,
            8: Image.Transpose.ROTATE_270,
        }[exif_orientation]
        image = image.transpose(stored)
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def noise_jpeg_bytes(target_bytes: int, *, seed: int = 1) -> bytes:
    """A JPEG of random noise (which does not compress) of 90-100 % of ``target_bytes``, for size
    and memory tests: what a phone photo of a page at high quality weighs."""
    width = 2048 if target_bytes > 2_000_000 else 64
    small, large = len(_noise_jpeg(width, 16, seed)), len(_noise_jpeg(width, 64, seed))
    per_row = (large - small) / 48
    overhead = small - 16 * per_row
    height = max(8, int((target_bytes * 0.95 - overhead) / per_row))
    for _attempt in range(8):
        data = _noise_jpeg(width, height, seed)
        if 0.9 * target_bytes <= len(data) <= target_bytes:
            return data
        height = max(8, int(height + (target_bytes * 0.95 - len(data)) / per_row))
    raise RuntimeError(f"could not make a {target_bytes}-byte JPEG")


def _noise_jpeg(width: int, height: int, seed: int) -> bytes:
    import random

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def scanned_pdf_bytes(jpeg: bytes) -> bytes:
    """A one-page PDF holding a JPEG as the page image, the way scanner software writes one."""
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    image_stream = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
        % (width, height, len(jpeg))
        + jpeg
        + b"\nendstream"
    )
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
            image_stream,
            _stream(content),
        ]
    )


def png_bytes(width: int = 300, height: int = 200, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    _sample_image(width, height, mode).save(buffer, "PNG")
    return buffer.getvalue()


def tiff_bytes(pages: int = 2, width: int = 850, height: int = 1100, *, dpi: int = 100) -> bytes:
    """What an office scanner produces: bilevel, CCITT Group 4, several pages, with resolution
    and scanner make/model tags."""
    frames = []
    for number in range(pages):
        image = Image.new("1", (width, height), 1)
        draw = ImageDraw.Draw(image)
        draw.rectangle([20, 20, width - 20, height - 20], outline=0, width=3)
        draw.text((60, 60), f"PAGE {number + 1}", fill=0)
        for y in range(140, height - 60, 40):
            draw.line([(60, y), (width - 60, y)], fill=0, width=2)
        frames.append(image)
    tags = {271: "Fujitsu", 272: "fi-7160"}  # Make, Model
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "TIFF",
        compression="group4",
        dpi=(dpi, dpi),
        save_all=True,
        append_images=frames[1:],
        tiffinfo=tags,
    )
    return buffer.getvalue()


def truncated_jpeg_bytes() -> bytes:
    """A JPEG cut off in the middle of its scan data (an interrupted upload)."""
    data = jpeg_bytes(640, 480, quality=95)
    return data[: len(data) * 2 // 3]


def corrupt_png_bytes() -> bytes:
    """A PNG whose compressed pixel data is garbage but whose chunk checksums are right."""
    signature = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    garbage = bytes(range(256)) * 4
    return (
        signature
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", garbage)
        + _png_chunk(b"IEND", b"")
    )


def png_bomb_bytes(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG header claiming ``width`` × ``height`` pixels with a tiny compressed body: decoding
    it would need tens of gigabytes."""
    signature = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    body = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return (
        signature + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


# --- PDFs written by hand ----------------------------------------------------------------------


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def pdf_bytes(
    pages: int = 1,
    *,
    text: str = "Business licence",
    size=(595, 842),
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    extra_objects: list[bytes] | None = None,
    rotate: int = 0,
) -> bytes:
    """A PDF with ``pages`` A4 pages, each with a black title, a thick frame and a black box in
    the top-left corner (so a rendering can be checked). ``catalog_extra`` and ``page_extra``
    are spliced into the catalog and the first page dictionary; ``extra_objects`` are appended
    after the generated ones (their numbers start at ``3 + 2 * pages + 1``)."""
    width, height = size
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for number in range(pages):
        page_obj = len(objects) + 1
        content_obj = page_obj + 1
        kids.append(b"%d 0 R" % page_obj)
        content = (
            b"0 0 0 rg 0 0 0 RG 8 w 20 20 %d %d re S\n"
            b"0 %d 120 120 re f\n"
            b"BT /F1 28 Tf 160 %d Td (%s page %d) Tj ET\n"
            % (
                width - 40,
                height - 40,
                height - 120,
                height - 80,
                text.encode("latin-1"),
                number + 1,
            )
        )
        extra = page_extra if number == 0 else b""
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Rotate %d "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R %s>>"
            % (width, height, rotate, content_obj, extra)
        )
        objects.append(_stream(content))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    objects.extend(extra_objects or [])
    return build_pdf(objects)


def next_object_number(pages: int = 1) -> int:
    """The number the first of ``extra_objects`` gets in ``pdf_bytes(pages)``."""
    return 3 + 2 * pages + 1


def pdf_with_open_action_js() -> bytes:
    return pdf_bytes(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert\\('hi'\\)) >> ")


def pdf_with_names_js() -> bytes:
    """JavaScript in the document-level names tree, in an indirect action object."""
    action = next_object_number()
    return pdf_bytes(
        catalog_extra=b"/Names << /JavaScript << /Names [(init) %d 0 R] >> >> " % action,
        extra_objects=[b"<< /S /JavaScript /JS (this.print\\(\\)) >>"],
    )


def pdf_with_page_aa_js(obfuscated: bool = False) -> bytes:
    """A page "open" additional action running JavaScript; ``obfuscated`` spells the action
    type with a #-escape (``/J#61vaScript``) that PDF readers decode."""
    name = b"/J#61vaScript" if obfuscated else b"/JavaScript"
    return pdf_bytes(page_extra=b"/AA << /O << /S %s /JS (app.alert\\(1\\)) >> >> " % name)


def pdf_with_catalog_aa_js() -> bytes:
    return pdf_bytes(catalog_extra=b"/AA << /WC << /S /JavaScript /JS (1) >> >> ")


def pdf_with_form_field_js() -> bytes:
    """A form field whose keystroke action runs JavaScript (reached through /AcroForm)."""
    field = next_object_number()
    return pdf_bytes(
        catalog_extra=b"/AcroForm << /Fields [%d 0 R] >> " % field,
        extra_objects=[
            b"<< /FT /Tx /T (name) /AA << /K << /S /JavaScript /JS (event.rc = true;) >> >> >>"
        ],
    )


def pdf_with_outline_js() -> bytes:
    """A bookmark that runs JavaScript when clicked, its script in a separate stream."""
    outlines = next_object_number()
    item, script = outlines + 1, outlines + 2
    return pdf_bytes(
        catalog_extra=b"/Outlines %d 0 R " % outlines,
        extra_objects=[
            b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count 1 >>" % (item, item),
            b"<< /Title (Open) /Parent %d 0 R /A << /S /JavaScript /JS %d 0 R >> >>"
            % (outlines, script),
            _stream(b"app.alert('bookmark');"),
        ],
    )


def pdf_with_launch_annotation() -> bytes:
    """A link annotation on page 1 whose action launches a program."""
    annot = next_object_number()
    return pdf_bytes(
        page_extra=b"/Annots [%d 0 R] " % annot,
        extra_objects=[
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /Border [0 0 0] "
            b"/A << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >> >>"
        ],
    )


def pdf_with_js_in_next_chain() -> bytes:
    """A harmless-looking OpenAction (go to page 1) whose /Next action runs JavaScript."""
    return pdf_bytes(
        catalog_extra=b"/OpenAction << /S /GoTo /D [4 0 R /Fit] "
        b"/Next << /S /JavaScript /JS (1) >> >> "
    )


def pdf_with_safe_link() -> bytes:
    """A URI link and an outline: ordinary interactive features that must stay accepted."""
    annot = next_object_number()
    return pdf_bytes(
        page_extra=b"/Annots [%d 0 R] " % annot,
        extra_objects=[
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] "
            b"/A << /S /URI /URI (https://example.org/) >> >>"
        ],
    )


def encrypted_pdf_bytes(user_password: str = "secret") -> bytes:  # noqa: S107
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(user_password=user_password, owner_password="owner-" + user_password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pypdf_js_bytes() -> bytes:
    """JavaScript added the way a PDF tool adds it (pypdf's own API), with object streams."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    script = "app.alert('loaded');"
    try:
        from pypdf.actions import JavaScript
    except ImportError:  # pypdf before 6.x
        writer.add_js(script)
    else:
        writer.add_open_action(JavaScript(script))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def broken_pdf_bytes() -> bytes:
    """Starts like a PDF, then nothing a reader can use."""
    return b"%PDF-1.4\n" + b"this is not a pdf body\n" * 20 + b"%%EOF\n"


# --- Things that are not documents -------------------------------------------------------------

HTML_DOCUMENT = (
    b"<!DOCTYPE html>\n<html><head><title>invoice</title></head>"
    b"<body><script>fetch('/api/v1/requests/')</script></body></html>\n"
)
SVG_DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>\n"
)


def elf_bytes() -> bytes:
    """The start of a Linux x86-64 executable."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1)
    return header + b"\x00" * (512 - len(header))


def pe_bytes() -> bytes:
    """The start of a Windows executable: an MZ header pointing at a PE signature."""
    data = bytearray(512)
    data[0:2] = b"MZ"
    data[0x3C:0x40] = struct.pack("<I", 0x80)
    data[0x80:0x84] = b"PE\x00\x00"
    data[0x84:0x86] = struct.pack("<H", 0x14C)
    data[0x4E : 0x4E + 39] = b"This program cannot be run in DOS mode."
    return bytes(data)


def zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    _sample_image(40, 30).save(buffer, "GIF")
    return buffer.getvalue()


def sized_file(path, size: int, head: bytes = b"%PDF-1.4\n") -> None:
    """Write ``size`` bytes to ``path`` without holding them in memory (for oversize tests)."""
    with open(path, "wb") as out:
        out.write(head)
        remaining = size - len(head)
        block = os.urandom(64 * 1024)
        while remaining > 0:
            out.write(block[: min(remaining, len(block))])
            remaining -= len(block)
