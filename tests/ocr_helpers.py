"""Scans drawn for OCR tests: a licence or report of a given kind with given fields."""

from django.core.files.uploadedfile import SimpleUploadedFile

from bench._ocr_samples import draw_lines, spoil
from passes.demo.scans import make_scan_image
from passes.documents import attach_document


def scan_upload(kind, truth, *, quality="clean", seed=0, name="scan.jpg"):
    import random

    title, lines = draw_lines(kind, truth)
    size = (1240, 1754) if kind == "commitment_letter" else (1240, 874)
    image = make_scan_image(
        title, lines, size=size, seed=f"t-{seed}", photo=kind != "commitment_letter"
    )
    data = spoil(image, quality, random.Random(seed))
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def attach_scan(user, enterprise, kind, truth, **links):
    quality = links.pop("quality", "clean")
    return attach_document(
        enterprise=enterprise,
        uploaded_file=scan_upload(kind, truth, quality=quality),
        kind=kind,
        by=user,
        **links,
    )
