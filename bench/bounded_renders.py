"""What the worst scans cost inside their bounds (docs/security.md, "Bounded rendering of
uploads").

``python manage.py benchmark bounded_renders``: each hostile file of ``_render_bombs`` (issue
26's, and the worst we built against our own limits) goes through the two places a scan is
parsed or drawn: the upload check (``inspect_upload``'s parse, in a child under
``PASSDESK_UPLOAD_CHECK_*``) and, when the check accepts it or to show what the bounds do with
a file stored before the checks existed, the worker's drawing of its thumbnail and page
pictures (``pictures.draw_previews`` in a child under ``PASSDESK_RENDER_*``). Printed per
file: its size, each outcome, the child's peak resident memory and what the work added to it,
its CPU and wall seconds. One run each; ``--runs`` is ignored. No database.
"""

import io
import shutil
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from passes.documents import inspection, pictures
from passes.documents.errors import UploadRejected
from passes.documents.sandbox import SandboxError, run_bounded_measured

from . import _render_bombs as bombs
from . import machine_line

MB = 1024 * 1024


def samples():
    """(label, content type, content) for every file measured."""
    ops = settings.PASSDESK_PDF_MAX_OPERATIONS
    depth = settings.PASSDESK_PDF_MAX_FORM_DEPTH
    total = settings.PASSDESK_UPLOAD_MAX_TOTAL_PIXELS
    side = int((settings.PASSDESK_UPLOAD_MAX_PIXELS / 6 * 10) ** 0.5) // 10 * 10
    big = (side * 10 // 10, side * 6 // 10)  # the largest 10:6 frame under the pixel cap
    frames_in_cap = max(1, total // (big[0] * big[1]))
    pdf, tiff, png = "application/pdf", "image/tiff", "image/png"
    return [
        ("issue 26: nested forms 8 x 8", pdf, bombs.nested_forms_pdf(8, 8)),
        ("issue 26: nested forms 7 x 8", pdf, bombs.nested_forms_pdf(7, 8)),
        ("issue 26: nested forms 6 x 8", pdf, bombs.nested_forms_pdf(6, 8)),
        (f"forms {depth} deep x 7 (just under the budget)", pdf, bombs.nested_forms_pdf(depth, 7)),
        (f"{ops - 1000} tiny fills", pdf, bombs.many_ops_pdf(ops - 1000)),
        (
            f"worst found: {ops - 1000} full-page fills",
            pdf,
            bombs.many_ops_pdf(ops - 1000, full_page=True),
        ),
        (
            f"issue 26: 30 frames of {big[0]} x {big[1]} TIFF",
            tiff,
            bombs.many_frames_tiff(30, *big),
        ),
        (
            f"{frames_in_cap} frames of {big[0]} x {big[1]} TIFF (the most pixels accepted)",
            tiff,
            bombs.many_frames_tiff(frames_in_cap, *big),
        ),
        (f"issue 26: {big[0]} x {big[1]} PNG", png, bombs.big_png(*big)),
    ]


def _check(data, content_type):
    fmt = inspection.ACCEPTED_FORMATS[content_type]
    return inspection._check_content(SimpleUploadedFile("x", data), fmt, "x")


def measure_check(data, content_type):
    """(outcome, Usage) of the upload check as ``inspect_upload`` runs it."""
    try:
        result = run_bounded_measured(
            _check,
            data,
            content_type,
            memory_bytes=settings.PASSDESK_UPLOAD_CHECK_MEMORY_BYTES,
            cpu_seconds=settings.PASSDESK_UPLOAD_CHECK_CPU_SECONDS,
            wall_seconds=settings.PASSDESK_UPLOAD_CHECK_WALL_SECONDS,
        )
    except UploadRejected as error:
        return f"refused ({error.code})", error.sandbox_usage
    except SandboxError as error:
        return f"refused: {error}", error.usage
    return f"accepted, {result.value[0]} pages", result.usage


def measure_render(data, content_type, pages):
    """(outcome, Usage) of the worker's drawing, as ``previews.ensure_previews`` runs it."""
    directory = tempfile.mkdtemp(prefix="passdesk-bench-")
    try:
        result = run_bounded_measured(
            pictures.draw_previews,
            data,
            content_type,
            pages,
            directory,
            settings.PASSDESK_PREVIEW_WIDTH,
            max_result_bytes=64 * 1024,
            **pictures.bounds(),
        )
    except (SandboxError, pictures.PreviewUnavailable) as error:
        return f"stopped: {error}", getattr(error, "usage", None) or error.sandbox_usage
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return f"drawn, {len(result.value) - 1} page pictures", result.usage


def _line(usage) -> str:
    return (
        f"peak RSS {usage.peak_rss_bytes / MB:.0f} MB (+{usage.added_rss_bytes / MB:.0f} MB), "
        f"CPU {usage.cpu_seconds:.2f} s, wall {usage.wall_seconds:.2f} s"
    )


def run(stdout, runs: int) -> None:
    from django.utils import translation

    stdout.write(f"bounded_renders ({machine_line()})")
    stdout.write(
        f"  upload check: memory +{settings.PASSDESK_UPLOAD_CHECK_MEMORY_BYTES // MB} MB, "
        f"CPU {settings.PASSDESK_UPLOAD_CHECK_CPU_SECONDS} s, "
        f"wall {settings.PASSDESK_UPLOAD_CHECK_WALL_SECONDS} s; drawing: memory "
        f"+{settings.PASSDESK_RENDER_MEMORY_BYTES // MB} MB, "
        f"CPU {settings.PASSDESK_RENDER_CPU_SECONDS} s, "
        f"wall {settings.PASSDESK_RENDER_WALL_SECONDS} s; form depth "
        f"{settings.PASSDESK_PDF_MAX_FORM_DEPTH}, operations "
        f"{settings.PASSDESK_PDF_MAX_OPERATIONS}, pixels {settings.PASSDESK_UPLOAD_MAX_PIXELS} "
        f"a frame, {settings.PASSDESK_UPLOAD_MAX_TOTAL_PIXELS} in all"
    )
    worst = None
    with translation.override("en"):
        for label, content_type, data in samples():
            outcome, usage = measure_check(data, content_type)
            stdout.write(f"  {label}: {len(data) / 1024:.1f} KB")
            stdout.write(f"      upload check: {outcome}; {_line(usage)}")
            pages = 1
            if content_type != "application/pdf":
                with pictures.Image.open(io.BytesIO(data)) as image:
                    pages = getattr(image, "n_frames", 1)
            drawn, usage = measure_render(data, content_type, pages)
            note = "" if outcome.startswith("accepted") else " (stored before the checks)"
            stdout.write(f"      drawing{note}: {drawn}; {_line(usage)}")
            if worst is None or usage.peak_rss_bytes > worst[1].peak_rss_bytes:
                worst = (label, usage)
    stdout.write(f"  most memory drawing: {worst[0]} ({_line(worst[1])})")
