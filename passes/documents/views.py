"""Serving scanned materials. Files have no public URL: every byte goes through these views,
which answer 404 to anyone who may not see a document, so its existence is not revealed."""

import logging
from pathlib import PurePosixPath

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET

from .. import documents
from ..models import Document
from ..outages import storage_away
from .files import private_file_response, safe_name

logger = logging.getLogger(__name__)


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
    """The name a document downloads under: its original name, its real type's extension."""
    return safe_name(document.original_name or f"document-{document.pk}", document.content_type)


@require_GET
def document_file(request, pk):
    """The file itself: inline (reviewers preview it in the browser) or, with ``?download=1``,
    as an attachment under its original name."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except OSError as error:
        if storage_away(error):  # the disk is away, not the file: a 503 (web.unavailable)
            raise
        logger.error("document %s: stored file %s is missing", document.pk, document.file.name)
        raise Http404 from None
    download = request.GET.get("download") in ("1", "true", "yes")
    response = private_file_response(
        handle,
        content_type=document.content_type,
        filename=download_name(document),
        attachment=download,
    )
    documents.document_viewed.send(
        sender=Document,
        document=document,
        user=request.user,
        variant="download" if download else "file",
    )
    return response


@require_GET
def document_thumbnail(request, pk):
    """The thumbnail (JPEG; PNG when drawn before); drawn on the spot if the task has not run
    yet."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    if not documents.ensure_thumbnail(document):
        raise Http404
    try:
        handle = document.thumbnail.storage.open(document.thumbnail.name, "rb")
    except OSError as error:
        if storage_away(error):
            raise
        raise Http404 from None
    name = document.thumbnail.name
    return private_file_response(
        handle,
        content_type=documents.thumbnail_content_type(name),
        filename=f"thumbnail-{document.pk}{PurePosixPath(name).suffix}",
    )


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
    return private_file_response(
        png, content_type="image/png", filename=f"document-{document.pk}-page-{page}.png"
    )
