"""No file costs more than it weighs (issue 26): each hostile scan is refused at upload, or drawn
in a child the kernel bounds and marked "cannot be shown" with the reason; the file views never
draw; the sweeper backs off and gives up. Bounds are set low here so the bombs stay cheap."""

import datetime
import errno
import io
import time
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from bench import _render_bombs as bombs
from passes.documents import UploadRejected, attach_document, inspect_upload, pdfsafety, previews
from passes.documents.ocr import services as ocr
from passes.documents.previews import make_thumbnail
from passes.documents.sandbox import run_bounded_measured
from passes.models import Document, DocumentKind, DocumentReading
from tests import factories
from tests import fixtures_files as files


@pytest.fixture(autouse=True)
def _in_english():
    """The messages are checked in their English source wording (the code's language; the
    site's default is zh-hans)."""
    with translation.override("en"):
        yield


MB = 1024 * 1024
Status = Document.PreviewStatus


@pytest.fixture
def low_bounds(settings):
    settings.PASSDESK_RENDER_MEMORY_BYTES = 256 * MB
    settings.PASSDESK_RENDER_CPU_SECONDS = 2
    settings.PASSDESK_RENDER_WALL_SECONDS = 8
    settings.PASSDESK_UPLOAD_CHECK_MEMORY_BYTES = 128 * MB
    settings.PASSDESK_UPLOAD_CHECK_CPU_SECONDS = 2
    settings.PASSDESK_UPLOAD_CHECK_WALL_SECONDS = 8
    return settings


def stored(applicant, data, content_type, name="scan"):
    """A document whose file skipped the upload checks (as one stored before them)."""
    document = Document(
        enterprise=applicant.membership.enterprise,
        kind=DocumentKind.OTHER,
        original_name=name,
        sha256=f"{time.monotonic_ns():064x}"[-64:],
        content_type=content_type,
        size=len(data),
    )
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    return document


# --- Refused at upload ----------------------------------------------------------------------


def test_issue_26_nested_forms_pdf_is_refused_at_upload_in_a_fraction_of_a_second(
    applicant, low_bounds
):
    bomb = bombs.nested_forms_pdf(8, 8)
    assert len(bomb) < 3500, "the 3.4 KB file of the issue"
    started = time.process_time()
    with pytest.raises(UploadRejected) as refused:
        attach_document(
            enterprise=applicant.membership.enterprise,
            uploaded_file=files.upload("licence.pdf", bomb),
            kind=DocumentKind.OTHER,
            by=applicant,
        )
    assert refused.value.code == "pdf_too_costly"
    assert "too much work" in refused.value.message and "licence.pdf" in refused.value.message
    assert time.process_time() - started < 1
    assert not Document.objects.exists()
    # What the check itself costs, measured in a child of its own.
    check = run_bounded_measured(
        _refusal_kind, bomb, memory_bytes=64 * MB, cpu_seconds=2, wall_seconds=8
    )
    assert check.value == "too_costly"
    assert check.usage.cpu_seconds < 0.5 and check.usage.added_rss_bytes < 32 * MB


def _refusal_kind(data):
    try:
        pdfsafety.check_pdf(io.BytesIO(data))
    except pdfsafety.PdfProblem as problem:
        return problem.kind
    return None


def test_shallow_but_wide_forms_are_refused_by_the_operation_budget(settings, low_bounds):
    settings.PASSDESK_PDF_MAX_OPERATIONS = 20_000
    shallow = bombs.nested_forms_pdf(4, 30)  # 27,000 drawings of the last form, 4 deep
    with pytest.raises(pdfsafety.PdfProblem) as problem:
        pdfsafety.check_pdf(io.BytesIO(shallow))
    assert (problem.value.kind, problem.value.detail) == ("too_costly", "over 20000 operations")
    with pytest.raises(UploadRejected) as refused:
        inspect_upload(files.upload("wide.pdf", shallow))
    assert refused.value.code == "pdf_too_costly"
    assert inspect_upload(files.upload("fine.pdf", files.pdf_bytes(pages=3))).page_count == 3


def test_a_many_frame_tiff_is_refused_by_the_pixels_of_all_its_frames(settings, low_bounds):
    settings.PASSDESK_UPLOAD_MAX_PIXELS = 3_000_000
    settings.PASSDESK_UPLOAD_MAX_TOTAL_PIXELS = 20_000_000
    tiff = bombs.many_frames_tiff(30, 2000, 1500)  # every frame legal, 90 MP in all
    started = time.monotonic()
    with pytest.raises(UploadRejected) as refused:
        inspect_upload(files.upload("scan.tif", tiff))
    assert refused.value.code == "too_many_pixels"
    assert (
        "30 pages" in refused.value.message and "20 million pixels in all" in refused.value.message
    )
    assert time.monotonic() - started < 2, "refused from the frame headers, nothing decoded"
    few = bombs.many_frames_tiff(6, 2000, 1500)  # 18 MP in all: accepted
    assert inspect_upload(files.upload("few.tif", few)).page_count == 6


def test_an_upload_check_past_its_bounds_is_refused_with_the_reason(settings, applicant):
    settings.PASSDESK_UPLOAD_CHECK_MEMORY_BYTES = 16 * MB  # a 25 MP PNG needs 75 MB decoded
    with pytest.raises(UploadRejected) as refused:
        inspect_upload(files.upload("big.png", bombs.big_png(5000, 5000)))
    assert refused.value.code == "too_costly"
    assert "more memory or time than a scan may" in refused.value.message


# --- Drawn within bounds, marked when it cannot be --------------------------------------------


def test_a_bomb_stored_before_the_checks_is_stopped_by_the_render_bounds_and_marked(
    applicant, low_bounds, caplog
):
    document = stored(applicant, bombs.nested_forms_pdf(8, 8), "application/pdf")
    started = time.monotonic()
    assert make_thumbnail(document.pk) is False
    assert time.monotonic() - started < low_bounds.PASSDESK_RENDER_WALL_SECONDS + 2
    document.refresh_from_db()
    assert document.preview_status == Status.FAILED
    assert document.preview_reason in ("bound_cpu", "bound_memory")
    assert not document.thumbnail and document.preview_pages == []
    assert "cannot be drawn" in caplog.text
    usage = caplog.records[-1].args[-1]
    assert "cpu_seconds" in usage  # the child's usage is logged with the refusal
    # Marked once, never tried again: the task is a no-op, the sweeper skips it.
    assert make_thumbnail(document.pk) is False
    document.refresh_from_db()
    assert document.preview_attempts == 1
    with mock.patch.object(previews, "_queue") as queue:
        previews.sweep_previews(now=timezone.now() + datetime.timedelta(hours=1))
    queue.assert_not_called()


def test_the_reviewer_sees_why_a_document_has_no_preview(client, reviewer, low_bounds):
    pass_request = factories.PassRequestFactory(status="submitted")
    document = stored(
        pass_request.enterprise.memberships.first().user
        if pass_request.enterprise.memberships.exists()
        else factories.MembershipFactory(enterprise=pass_request.enterprise).user,
        bombs.nested_forms_pdf(8, 8),
        "application/pdf",
    )
    Document.objects.filter(pk=document.pk).update(request=pass_request)
    make_thumbnail(document.pk)
    client.force_login(reviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    viewer = client.get(reverse("admin:passes_review_document_viewer", args=[document.pk]))
    assert viewer.status_code == 200
    text = viewer.content.decode()
    assert "The pages cannot be shown" in text
    assert "processor time" in text or "more memory" in text
    page = client.get(viewer.context["page_urls"][0])
    assert page["X-Preview-Status"] == "failed" and page["Content-Type"] == "image/svg+xml"


def test_a_60_mp_png_is_drawn_within_the_bounds(applicant, settings):
    settings.PASSDESK_RENDER_MEMORY_BYTES = 512 * MB
    document = stored(applicant, bombs.big_png(10_000, 6_000), "image/png")
    assert make_thumbnail(document.pk) is True
    document.refresh_from_db()
    assert document.preview_status == Status.READY and len(document.preview_pages) == 1
    with document.thumbnail.open("rb") as handle:
        assert Image.open(handle).size == (320, 192)


def test_ocr_of_a_bomb_is_not_read_because_it_passed_its_bounds(applicant, low_bounds, settings):
    settings.PASSDESK_OCR_ENABLED = True
    document = stored(applicant, bombs.nested_forms_pdf(8, 8), "application/pdf")
    DocumentReading.objects.create(
        document=document, status=DocumentReading.Status.PENDING, requested_at=timezone.now()
    )
    with mock.patch("passes.documents.ocr.engine.get_engine"):  # no model needed: never reached
        reading = ocr.read_now(document.pk)
    assert (reading.status, reading.reason) == (DocumentReading.Status.NOT_READ, "too_heavy")


# --- The file views never draw ------------------------------------------------------------------


@pytest.fixture
def no_drawing_here():
    """Drawing anything in this process fails the test; queued tasks are only recorded (as a
    broker would take them)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("uploaded content drawn inside the web request")

    with (
        mock.patch("passes.documents.pictures.draw_page", forbidden),
        mock.patch("passes.documents.pictures.draw_previews", forbidden),
        mock.patch("passes.documents.previews.run_bounded", forbidden),
        mock.patch("passes.documents.previews.make_thumbnail.apply_async") as queued,
    ):
        yield queued


def test_thumbnail_and_page_urls_answer_a_placeholder_and_queue_the_drawing_once(
    client, applicant, no_drawing_here
):
    document = stored(applicant, files.pdf_bytes(pages=2), "application/pdf")
    Document.objects.filter(pk=document.pk).update(page_count=2)
    client.force_login(applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    thumbnail = reverse("passes:document-thumbnail", args=[document.pk])
    page = reverse("passes:document-page", args=[document.pk, 2])
    first = client.get(thumbnail)
    assert first.status_code == 202
    assert (
        first["Content-Type"] == "image/svg+xml" and first["Cache-Control"] == "private, no-store"
    )
    assert first["X-Preview-Status"] == "pending" and first["Retry-After"] == "10"
    assert b"being prepared" in first.content
    assert client.get(page).status_code == 202
    assert client.get(thumbnail).status_code == 202
    no_drawing_here.assert_called_once_with((document.pk,), retry=False)


def test_once_a_worker_has_drawn_them_the_views_serve_the_stored_pictures(client, applicant):
    document = stored(applicant, files.pdf_bytes(pages=2), "application/pdf")
    Document.objects.filter(pk=document.pk).update(page_count=2)
    assert make_thumbnail(document.pk) is True  # the worker
    client.force_login(applicant)
    with mock.patch("passes.documents.previews.run_bounded") as drawing:
        thumbnail = client.get(reverse("passes:document-thumbnail", args=[document.pk]))
        page = client.get(reverse("passes:document-page", args=[document.pk, 2]))
    drawing.assert_not_called()
    assert (thumbnail.status_code, thumbnail["Content-Type"]) == (200, "image/jpeg")
    assert (page.status_code, page["Content-Type"]) == (200, "image/jpeg")
    picture = Image.open(io.BytesIO(b"".join(page.streaming_content)))
    assert picture.width == 1400 and picture.height > picture.width


# --- The sweeper backs off and gives up ---------------------------------------------------------


def test_the_sweeper_backs_off_and_gives_up_after_the_last_attempt(applicant, settings):
    settings.PASSDESK_PREVIEW_MAX_ATTEMPTS = 3
    settings.PASSDESK_PREVIEW_RETRY_SECONDS = 300
    document = stored(applicant, files.png_bytes(), "image/png")
    now = timezone.now()
    Document.objects.filter(pk=document.pk).update(uploaded_at=now - datetime.timedelta(minutes=5))
    away = OSError(errno.EHOSTUNREACH, "the object store is away")
    sent_at = []

    def run_queued(document_id):  # the worker runs the task at once, the store still away
        sent_at.append(clock)
        with mock.patch("passes.documents.pictures.stored_bytes", side_effect=away):
            assert make_thumbnail(document_id) is False

    clock = now
    with mock.patch.object(previews, "_queue", side_effect=run_queued):
        for _minute in range(0, 24 * 60, 5):  # a day of sweeps, every 5 minutes
            with mock.patch("django.utils.timezone.now", return_value=clock):
                previews.sweep_previews(now=clock)
            clock += datetime.timedelta(minutes=5)
    document.refresh_from_db()
    assert document.preview_attempts == 3, "tried three times, not every five minutes"
    assert len(sent_at) == 3
    waits = [(b - a).total_seconds() for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert waits[0] >= 300 and waits[1] >= 2 * waits[0] - 300, f"waits double: {waits}"
    assert (document.preview_status, document.preview_reason) == (Status.FAILED, "gave_up")
    assert "several tries" in previews.reason_text(document)
