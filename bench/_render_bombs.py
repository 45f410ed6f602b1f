"""Hostile scans for the upload checks and the bounded renderers: the files of issue 26 and the
worst we could build against our own limits. Used by ``benchmark bounded_renders`` and by the
tests that assert each one is refused at upload or stopped within its bounds.

The PDFs are written object by object (``demo.scans.assemble_pdf``), the way an attacker would.
"""

import io

from PIL import Image

from passes.demo.scans import assemble_pdf


def nested_forms_pdf(levels: int = 8, draws: int = 8, *, leaf_ops: int = 1, shrink=False) -> bytes:
    """The 3.4 KB PDF of issue 26: the page draws form 1, each form draws the next one ``draws``
    times, the last one fills a square (a tenth of the page wide; ``shrink`` makes each copy
    smaller instead, which pdfium draws much faster). A renderer runs ``draws ** levels`` leaf
    drawings: 16.7 million for 8 x 8."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>",
        _stream(b"q 595 0 0 842 0 0 cm /X Do Q"),
    ]
    columns = max(1, int(draws**0.5 + 0.999))
    scale = 1.0 / columns if shrink else 1.0
    for level in range(levels):
        number = 5 + level
        if level == levels - 1:
            body = b"0 0 0 rg " + b"0.45 0.45 0.1 0.1 re f " * leaf_ops
            resources = b""
        else:
            body = b"".join(
                b"q %.4f 0 0 %.4f %.4f %.4f cm /X Do Q "
                % (scale, scale, (i % columns) * scale, (i // columns) * scale)
                if shrink
                else b"q /X Do Q "
                for i in range(draws)
            )
            resources = b"/Resources << /XObject << /X %d 0 R >> >>" % (number + 1)
        objects.append(
            _stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 1 1] %s" % resources)
        )
    return assemble_pdf(objects)


def many_ops_pdf(operations: int, *, full_page: bool = False) -> bytes:
    """One page with ``operations`` filled rectangles in its content (tiny ones, or each
    covering the whole page), flate-compressed (about 30 bytes of file per 1,000 operations)."""
    import zlib

    row = b"0 0 595 842 re f\n" if full_page else b"1 1 1 1 re f\n"
    content = zlib.compress(b"0 0 0 rg\n" + row * max(0, (operations - 1) // 2), 9)
    return assemble_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> "
            b"/Contents 4 0 R >>",
            _stream(content, b"/Filter /FlateDecode"),
        ]
    )


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def many_frames_tiff(frames: int = 30, width: int = 10_000, height: int = 6_000) -> bytes:
    """Issue 26's scanner TIFF: ``frames`` frames of ``width`` x ``height`` (60 MP) black and
    white pixels, CCITT G4 compressed (a blank page is a few hundred bytes)."""
    page = Image.new("1", (width, height), 1)
    buffer = io.BytesIO()
    page.save(
        buffer,
        "TIFF",
        compression="group4",
        save_all=True,
        append_images=[page] * (frames - 1),
    )
    return buffer.getvalue()


def big_png(width: int = 10_000, height: int = 6_000, mode: str = "RGB") -> bytes:
    """A legal 60 MP PNG (one colour, a few hundred kilobytes): its decoding costs what its
    pixels weigh, not what its file does."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height), "white").save(buffer, "PNG", compress_level=9)
    return buffer.getvalue()
