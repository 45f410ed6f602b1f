"""Opening a scan in place, for staff who review: a small viewer page (zoom, rotate, every page
shown as the picture a worker drew and stored, ``documents.previews``: PDF pages, TIFF frames,
photos turned upright) that records the view, and the endpoints streaming the bytes inline
(never as a download).

Every byte fetch is tied to a recorded DocumentView: the viewer passes the id of the view it
recorded; a fetch without one records a view of its own.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .. import access, roles
from ..documents import previews
from ..documents.files import CACHE_NEVER, private_file_response
from ..documents.ocr.presenting import matched_boxes
from ..documents.views import preview_response
from ..models import Document, DocumentView
from ..requests import review

INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def _document_for(request, pk):
    if not roles.can_review(request.user):
        raise PermissionDenied
    # Among the documents the reviewer may see: a draft's files stay the enterprise's until it
    # is submitted, another office's are not there (404 both).
    return get_object_or_404(
        access.visible_documents(
            request.user, Document.objects.select_related("enterprise", "request__pass_type")
        ),
        pk=pk,
    )


def _recorded(request, document):
    """The view id the viewer passed, if it is this user's view of this document; else a new
    one is recorded."""
    view_id = request.GET.get("view", "")
    if (
        view_id.isdigit()
        and DocumentView.objects.filter(
            pk=int(view_id), document=document, user=request.user
        ).exists()
    ):
        return
    review.record_view(document, request.user)


def _pages(document):
    return range(1, (document.page_count or 1) + 1)


def document_viewer(modeladmin):
    @access.policy("documents")
    @xframe_options_sameorigin
    def view(request, pk):
        document = _document_for(request, pk)
        recorded = review.record_view(document, request.user)
        file_url = reverse("admin:passes_review_document_file", args=[document.pk])
        context = {
            "document": document,
            "view_id": recorded.pk,
            "file_url": f"{file_url}?view={recorded.pk}"
            if document.content_type in INLINE_TYPES
            else "",
            "page_urls": [
                reverse("admin:passes_review_document_page", args=[document.pk, n])
                + f"?view={recorded.pk}"
                for n in _pages(document)
            ],
            # The lines the machine check used, boxed over the scan (green match, red not).
            "boxes": matched_boxes(document),
            "title": document.original_name,
            # Why the pages show no picture, if a bounded drawing failed (documents.previews).
            "preview_problem": previews.reason_text(document)
            if document.preview_status == Document.PreviewStatus.FAILED
            else "",
            "preview_pending": document.preview_status == Document.PreviewStatus.PENDING,
        }
        return TemplateResponse(request, "admin/passes/reviewqueue/viewer.html", context)

    return view


def document_file(modeladmin):
    @access.policy("documents")
    @xframe_options_sameorigin
    def view(request, pk):
        document = _document_for(request, pk)
        if document.content_type not in INLINE_TYPES:
            raise Http404(_("This kind of file is shown page by page."))
        _recorded(request, document)
        try:
            handle = document.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404(_("The file is missing from storage.")) from None
        return private_file_response(
            handle,
            content_type=document.content_type,
            filename=f"document-{document.pk}",
            cache=CACHE_NEVER,
        )

    return view


def document_page(modeladmin):
    @access.policy("documents")
    @xframe_options_sameorigin
    def view(request, pk, page):
        document = _document_for(request, pk)
        if page < 1 or page > (document.page_count or 1):
            raise Http404
        _recorded(request, document)
        # The page picture a worker drew and stored, or a placeholder ("being prepared", or
        # "cannot be shown" with the reason); never drawn in this request.
        return preview_response(document, page, cache=CACHE_NEVER)

    return view


def _record_docs_view(sender, document=None, user=None, **kwargs):
    """DOCS's file views announce every opening; staff and applicants alike are recorded."""
    if document is not None and getattr(user, "is_authenticated", False):
        review.record_view(document, user)


try:
    from ..documents import document_viewed
except ImportError:  # the documents area is not installed in this tree
    document_viewed = None
else:
    document_viewed.connect(
        _record_docs_view, dispatch_uid="passes.requests.review.record_docs_view"
    )
