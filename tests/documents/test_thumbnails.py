"""Thumbnails and page previews: upright, first page, safe to run twice, and a damaged file
never crashes the worker."""

import io
import logging

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from passes.documents import (
    PreviewUnavailable,
    attach_document,
    ensure_thumbnail,
    render_page,
    render_pdf_page,
)
from passes.documents.pictures import page_image
from passes.documents.previews import make_thumbnail
from passes.models import Document, DocumentKind
from tests import factories
from tests import fixtures_files as files


def upload(applicant, name, data):
    return attach_document(
        enterprise=applicant.membership.enterprise,
        uploaded_file=files.upload(name, data),
        kind=DocumentKind.OTHER,
        by=applicant,
    )


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def thumbnail_of(document) -> Image.Image:
    document.refresh_from_db()
    with document.thumbnail.open("rb") as handle:
        return picture(handle.read())


def is_red(pixel) -> bool:
    red, green, blue = pixel
    return red > 150 and green < 90 and blue < 90


def is_dark(pixel) -> bool:
    return max(pixel) < 80


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_rotated_jpeg_comes_out_upright(applicant, orientation):
    """The camera stored the pixels turned; the thumbnail shows the red band on top again."""
    document = upload(
        applicant, "phone.jpg", files.jpeg_bytes(400, 240, exif_orientation=orientation)
    )
    stored = Image.open(document.file.open("rb"))
    assert stored.size == ((400, 240) if orientation == 3 else (240, 400))
    document.file.close()

    assert make_thumbnail(document.pk) is True
    thumbnail = thumbnail_of(document)
    assert thumbnail.width > thumbnail.height
    assert max(thumbnail.size) <= 320
    middle = thumbnail.width // 2
    assert is_red(thumbnail.getpixel((middle, 3)))
    assert not is_red(thumbnail.getpixel((middle, thumbnail.height - 3)))


def test_pdf_thumbnail_is_its_first_page(applicant):
    document = upload(applicant, "licence.pdf", files.pdf_bytes(pages=3))
    assert make_thumbnail(document.pk) is True
    thumbnail = thumbnail_of(document)
    assert thumbnail.height > thumbnail.width, "an A4 page, portrait"
    assert max(thumbnail.size) == 320
    # The black box drawn in the page's top-left corner, and white paper in the middle.
    assert is_dark(thumbnail.getpixel((thumbnail.width // 16, thumbnail.height // 12)))
    assert not is_dark(thumbnail.getpixel((thumbnail.width // 2, thumbnail.height // 2)))


def test_scanner_tiff_and_png_get_thumbnails(applicant):
    cases = [
        ("scan.tif", files.tiff_bytes(pages=2), (247, 320)),
        ("a.png", files.png_bytes(), (300, 200)),
    ]
    for name, data, size in cases:
        document = upload(applicant, name, data)
        assert ensure_thumbnail(document) is True
        assert document.thumbnail.name.endswith(".jpg")
        assert thumbnail_of(document).size == size  # fitted into 320 × 320, never enlarged


def test_transparent_png_thumbnail_is_white_where_the_scan_is_transparent(applicant):
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((200, 20, 20, 255), (0, 0, 200, 20))  # an opaque red band on top
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    document = upload(applicant, "clear.png", buffer.getvalue())
    assert ensure_thumbnail(document) is True
    thumbnail = thumbnail_of(document)
    assert is_red(thumbnail.getpixel((100, 3)))
    assert min(thumbnail.getpixel((100, 80))) > 240, "transparent shows as white paper"


def test_a_thumbnail_drawn_before_as_png_is_still_served_as_png(client, applicant):
    document = upload(applicant, "a.png", files.png_bytes())
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(buffer, "PNG")
    document.thumbnail.save("thumb.png", ContentFile(buffer.getvalue()))
    assert document.thumbnail.name.endswith(".png")
    client.force_login(applicant)
    response = client.get(f"/files/documents/{document.pk}/thumbnail/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_thumbnail_task_is_idempotent(applicant):
    document = upload(applicant, "a.png", files.png_bytes())
    assert make_thumbnail(document.pk) is True
    document.refresh_from_db()
    first = document.thumbnail.name
    assert make_thumbnail(document.pk) is True
    document.refresh_from_db()
    assert document.thumbnail.name == first
    thumbnails = document.thumbnail.storage.listdir(first.rsplit("/", 1)[0])[1]
    assert len(thumbnails) == 1, "no second file was written"


def test_damaged_file_is_a_logged_warning_not_a_crash(applicant, caplog):
    document = upload(applicant, "a.jpg", files.jpeg_bytes())
    with document.file.storage.open(document.file.name, "wb") as handle:
        handle.write(files.truncated_jpeg_bytes()[:300])
    with caplog.at_level(logging.WARNING, logger="passes.documents.pictures"):
        assert make_thumbnail(document.pk) is False
    assert f"document {document.pk} cannot be drawn" in caplog.text
    document.refresh_from_db()
    assert not document.thumbnail


def test_missing_file_and_deleted_document_do_not_crash(applicant, caplog):
    document = upload(applicant, "a.pdf", files.pdf_bytes())
    document.file.storage.delete(document.file.name)
    with caplog.at_level(logging.WARNING):
        assert make_thumbnail(document.pk) is False
    assert "cannot be drawn" in caplog.text
    Document.objects.filter(pk=document.pk).delete()
    assert make_thumbnail(document.pk) is False


def test_render_pdf_page_gives_any_page_at_the_asked_width(applicant):
    document = upload(applicant, "three.pdf", files.pdf_bytes(pages=3))
    page = picture(render_pdf_page(document, 3, 500))
    assert page.width == 500
    assert page.height == round(500 * 842 / 595) or abs(page.height - 500 * 842 / 595) <= 1
    with pytest.raises(PreviewUnavailable):
        render_pdf_page(document, 4, 500)
    with pytest.raises(PreviewUnavailable):
        render_pdf_page(document, 0, 500)


def test_render_pdf_page_clamps_the_width(applicant):
    document = upload(applicant, "a.pdf", files.pdf_bytes())
    assert picture(render_pdf_page(document, 1, 10_000)).width == 2400
    assert picture(render_pdf_page(document, 1, 1)).width == 64


def test_rotated_pdf_page_renders_landscape(applicant):
    document = upload(applicant, "turned.pdf", files.pdf_bytes(rotate=90))
    page = picture(render_pdf_page(document, 1, 400))
    assert page.width == 400
    assert page.width > page.height


def test_render_pdf_page_is_for_pdfs(applicant):
    document = upload(applicant, "a.png", files.png_bytes())
    with pytest.raises(PreviewUnavailable):
        render_pdf_page(document, 1, 400)


def test_render_page_shows_tiff_frames(applicant):
    document = upload(applicant, "scan.tif", files.tiff_bytes(pages=3, width=400, height=500))
    second = picture(render_page(document, 2, 200))
    assert second.size == (200, 250)
    with pytest.raises(PreviewUnavailable):
        render_page(document, 4, 200)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thumbnail_is_made_by_the_worker_after_the_upload_commits(celery_worker):
    applicant = factories.MembershipFactory().user
    document = upload(applicant, "phone.jpg", files.jpeg_bytes(exif_orientation=6))
    celery_worker.wait_for(
        lambda: Document.objects.get(pk=document.pk).thumbnail,
        message="the worker drawing the thumbnail",
    )
    assert "Task passes.make_thumbnail[" in celery_worker.log()
    assert "succeeded" in celery_worker.log()
    thumbnail = thumbnail_of(document)
    assert thumbnail.width > thumbnail.height


def test_a_large_scan_is_decoded_small_and_fitted_once(applicant):
    """An A4 scan at 200 dpi: the thumbnail keeps the page's shape inside 320 × 320, with the
    red band on top, decoded at a fraction of the size (JPEG's DCT scaling)."""
    document = upload(applicant, "a4.jpg", files.jpeg_bytes(1654, 2339))
    decoded = page_image(document, 1, 320, fit=False)
    assert 320 <= decoded.width < 1654 and decoded.height < 2339
    assert make_thumbnail(document.pk) is True
    thumbnail = thumbnail_of(document)
    assert thumbnail.size == (226, 320)
    assert is_red(thumbnail.getpixel((thumbnail.width // 2, 3)))
