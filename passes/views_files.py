"""Serving scanned materials. Files have no public URL: every byte goes through these views,
which answer 404 to anyone who may not see a document, so its existence is not revealed."""

import logging
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET

from . import documents
from .models import Document

logger = logging.getLogger(__name__)

# Files never change once stored (a replacement is a new document), so a private cache helps
# a reviewer paging back and forth; shared caches must never keep them.
CACHE_CONTROL = "private, max-age=600"
PDF_POLICY = "sandbox"
IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _document_or_404(request, pk):
    document = Document.objects.select_related("enterprise", "request").filter(pk=pk).first()
    if document is None or not documents.can_view_document(request.user, document):
        raise Http404
    return document


def _anonymous(request):
    """Send a stranger to sign in (the same for every id, so nothing is revealed); when no login
    page is routed, a plain 404."""
    try:
        return redirect_to_login(request.get_full_path())
    except NoReverseMatch:
        raise Http404 from None


def download_name(document) -> str:
    """The original name, with the extension of what the file really is appended when the name
    says something else (``scan.exe`` that is a PDF downloads as ``scan.exe.pdf``)."""
    name = document.original_name or f"document-{document.pk}"
    extensions = {
        "application/pdf": (".pdf",),
        "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
        "image/png": (".png",),
        "image/tiff": (".tif", ".tiff"),
    }.get(document.content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name


def content_disposition(disposition: str, filename: str) -> str:
    """``inline`` or ``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    filename = documents.clean_file_name(filename)
    fallback = "".join(
        char if 32 <= ord(char) < 127 and char not in '"\\;%' else "_" for char in filename
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _protect(response, content_type: str):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Security-Policy"] = (
        PDF_POLICY if content_type == "application/pdf" else IMAGE_POLICY
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_GET
def document_file(request, pk):
    """The file itself: inline (reviewers preview it in the browser) or, with ``?download=1``,
    as an attachment under its original name."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except (FileNotFoundError, OSError):
        logger.error("document %s: stored file %s is missing", document.pk, document.file.name)
        raise Http404 from None
    download = request.GET.get("download") in ("1", "true", "yes")
    response = FileResponse(handle, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition(
        "attachment" if download else "inline", download_name(document)
    )
    documents.document_viewed.send(
        sender=Document,
        document=document,
        user=request.user,
        variant="download" if download else "file",
    )
    return _protect(response, document.content_type)


@require_GET
def document_thumbnail(request, pk):
    """The PNG thumbnail; drawn on the spot if the task has not run yet."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    if not documents.ensure_thumbnail(document):
        raise Http404
    try:
        handle = document.thumbnail.storage.open(document.thumbnail.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    response["Content-Disposition"] = content_disposition("inline", f"thumbnail-{document.pk}.png")
    return _protect(response, "image/png")


@require_GET
def document_page(request, pk, page):
    """Page ``page`` of a document as PNG, ``?width=`` pixels wide (64..2400, default 1000):
    PDF pages and TIFF frames for the in-place preview."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    try:
        png = documents.render_page(document, page, request.GET.get("width", 1000))
    except documents.PreviewUnavailable:
        raise Http404 from None
    documents.document_viewed.send(
        sender=Document, document=document, user=request.user, variant="page"
    )
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = content_disposition(
        "inline", f"document-{document.pk}-page-{page}.png"
    )
    return _protect(response, "image/png")
