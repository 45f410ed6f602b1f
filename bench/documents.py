"""How long checking an upload and drawing its pictures take.

``python manage.py benchmark documents [--runs N]``: ``inspect_upload`` on a realistic 1 MB
phone photo, a 10 MB JPEG, a 10 MB scanned PDF and a 3-page scanner TIFF; then a thumbnail and
a 1200-pixel page preview of the PDF. No database: files go to a temporary folder.
"""

import io
import random
import tempfile

from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from passes.demo.scans import assemble_pdf, make_scan_bytes, make_scan_pdf
from passes.documents import inspect_upload, render_pdf_page, thumbnail_jpeg
from passes.models import Document

from . import machine_line, measure, report

MB = 1024 * 1024


def _noise_jpeg(width: int, height: int) -> bytes:
    rng = random.Random(7)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _pdf_around(jpeg: bytes) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    drawing = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return assemble_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % (width, height, len(jpeg))
            + jpeg
            + b"\nendstream",
            b"<< /Length %d >>\nstream\n" % len(drawing) + drawing + b"\nendstream",
        ]
    )


def _tiff(pages: int) -> bytes:
    frames = [Image.new("1", (2480, 3508), 1) for _ in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", compression="group4", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def run(stdout, runs: int) -> None:
    stdout.write(f"documents ({machine_line()}; shared machine: figures are noisy)")
    photo = make_scan_bytes("营业执照", ["株洲市天元区", "统一社会信用代码"], size=(3000, 2000))
    big_jpeg = _noise_jpeg(2048, 4300)  # just under 10 MB of incompressible JPEG
    big_pdf = _pdf_around(big_jpeg)
    tiff = _tiff(3)
    samples = [
        (f"inspect {len(photo) / MB:.1f} MB phone-scan JPEG (3000x2000)", "a.jpg", photo),
        (f"inspect {len(big_jpeg) / MB:.1f} MB noise JPEG", "b.jpg", big_jpeg),
        (f"inspect {len(big_pdf) / MB:.1f} MB scanned PDF", "c.pdf", big_pdf),
        (f"inspect {len(tiff) / 1024:.0f} KB 3-page A4 300 dpi G4 TIFF", "d.tif", tiff),
    ]
    for label, name, data in samples:
        report(stdout, label, measure(lambda n=name, d=data: inspect_upload(_upload(n, d)), runs))

    a4_scan = make_scan_pdf("承诺书", ["本企业承诺所运物资真实"] * 12, photo=False)
    with tempfile.TemporaryDirectory() as folder:
        storage = FileSystemStorage(location=folder)
        for label, data in (
            (f"{len(big_pdf) / MB:.1f} MB noise PDF", big_pdf),
            (f"{len(a4_scan) / 1024:.0f} KB A4 scan PDF", a4_scan),
        ):
            document = Document(content_type="application/pdf", page_count=1)
            document.file.name = storage.save("scan.pdf", io.BytesIO(data))
            document.file.storage = storage
            report(
                stdout,
                f"thumbnail of the {label}",
                measure(lambda d=document: thumbnail_jpeg(d), runs),
            )
            report(
                stdout,
                f"1200 px page preview of the {label}",
                measure(lambda d=document: render_pdf_page(d, 1, 1200), runs),
            )


def _upload(name: str, data: bytes):
    return SimpleUploadedFile(name, data)
