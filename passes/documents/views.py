"""Serving scanned materials. Files have no public URL: every byte goes through these views,
which answer 404 to anyone who may not see a document, so its existence is not revealed."""

import logging
from pathlib import PurePosixPath

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import access, documents
from ..health.outages import storage_away
from ..models import Document
from ..models.documents import PreviewStatus
from . import previews
from .files import CACHE_NEVER, CACHE_STORED, private_file_response, safe_name

logger = logging.getLogger(__name__)


def _document_or_404(request, pk):
    # One look-up through the access policy: anyone else's document is a 404.
    document = (
        access.visible_documents(
            request.user, Document.objects.select_related("enterprise", "request")
        )
        .filter(pk=pk)
        .first()
    )
    if document is None:
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


@access.policy("documents")
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


@access.policy("documents")
@require_GET
def document_thumbnail(request, pk):
    """The stored thumbnail (JPEG; PNG when drawn before). Never drawn here: until a worker has
    drawn it, a placeholder (202, "being prepared") and the drawing is queued."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    return preview_response(document)


@access.policy("documents")
@require_GET
def document_page(request, pk, page):
    """The stored picture of page ``page`` (JPEG, ``PASSDESK_PREVIEW_WIDTH`` pixels wide; the
    browser scales it): PDF pages and TIFF frames for the in-place preview. Never drawn here:
    a placeholder until a worker has drawn it."""
    if not request.user.is_authenticated:
        return _anonymous(request)
    document = _document_or_404(request, pk)
    if not 1 <= page <= max(1, document.page_count):
        raise Http404
    response = preview_response(document, page)
    documents.document_viewed.send(
        sender=Document, document=document, user=request.user, variant="page"
    )
    return response


# --- Stored previews and their placeholder ------------------------------------------------------


def _stored_name(document, page):
    if page is None:
        return document.thumbnail.name or None
    pages = document.preview_pages or []
    return pages[page - 1] if len(pages) >= page else None


def preview_response(document, page=None, *, cache=CACHE_STORED):
    """The stored thumbnail (``page`` None) or page picture of ``document``; when there is none
    yet, the drawing is queued (``request_previews``) and a placeholder answers: 202 while it
    is being prepared, 200 "cannot be shown" with the reason once drawing failed. No uploaded
    content is drawn in the request."""
    name = _stored_name(document, page)
    if not name:
        status = documents.request_previews(document)
        name = _stored_name(document, page)  # drawn meanwhile when tasks run eagerly
        if not name:
            return placeholder_response(document, status)
    try:
        handle = document.thumbnail.storage.open(name, "rb")
    except OSError as error:
        if storage_away(error):  # the store is away, not the file: a 503 (web.unavailable)
            raise
        logger.error("document %s: stored preview %s is missing", document.pk, name)
        raise Http404 from None
    label = f"thumbnail-{document.pk}" if page is None else f"document-{document.pk}-page-{page}"
    return private_file_response(
        handle,
        content_type=documents.thumbnail_content_type(name),
        filename=f"{label}{PurePosixPath(name).suffix}",
        cache=cache,
    )


_PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="220" viewBox="0 0 320 220">'
    '<rect width="320" height="220" fill="#f3f4f6" stroke="#c9ccd1"/>'
    '<text x="160" y="{y}" font-family="sans-serif" font-size="16" text-anchor="middle" '
    'fill="#374151">{title}</text>'
    '<text x="160" y="{y2}" font-family="sans-serif" font-size="11" text-anchor="middle" '
    'fill="#6b7280">{detail}</text></svg>'
)


def placeholder_response(document, status):
    """A small picture standing in for a preview: "being prepared" (202, ask again soon) or
    "cannot be shown" with the reason (200: that is the answer). Never cached."""
    if status == PreviewStatus.FAILED:
        title, detail, code = _("Preview cannot be shown"), previews.reason_text(document), 200
    else:
        title, detail, code = _("Preview being prepared…"), _("Reload in a moment."), 202
    svg = _PLACEHOLDER.format(y=104, y2=128, title=escape(title), detail=escape(detail[:60]))
    response = private_file_response(
        svg.encode(),
        content_type="image/svg+xml",
        filename=f"preview-{document.pk}.svg",
        cache=CACHE_NEVER,
    )
    response.status_code = code
    response["X-Preview-Status"] = str(status)
    if code == 202:
        response["Retry-After"] = "10"
    return response
