"""Scanned materials: inspecting uploads, attaching them, showing them.

Import from here: ``from passes.documents import attach_document, UploadRejected``.
"""

from django.dispatch import Signal

from .errors import UploadRejected, clean_file_name
from .inspection import ACCEPT_ATTRIBUTE, ACCEPTED_FORMATS, InspectedUpload, inspect_upload
from .pictures import (
    PreviewUnavailable,
    render_page,
    render_pdf_page,
    thumbnail_content_type,
    thumbnail_jpeg,
)
from .previews import ensure_previews, request_previews, sweep_previews
from .services import (
    attach_document,
    can_view_document,
    documents_visible_to,
    remove_document,
    replace_document,
)

# The names the workers and older callers know.
ensure_thumbnail = ensure_previews
sweep_thumbnails = sweep_previews

# Sent by the file views when someone opens a document or one of its pages (not for
# thumbnails), with ``document``, ``user`` and ``variant`` ("file", "download" or "page"),
# so the review area can record who viewed what.
document_viewed = Signal()

__all__ = [
    "ACCEPTED_FORMATS",
    "ACCEPT_ATTRIBUTE",
    "InspectedUpload",
    "PreviewUnavailable",
    "UploadRejected",
    "attach_document",
    "can_view_document",
    "clean_file_name",
    "document_viewed",
    "documents_visible_to",
    "sweep_previews",
    "sweep_thumbnails",
    "ensure_previews",
    "ensure_thumbnail",
    "inspect_upload",
    "remove_document",
    "render_page",
    "request_previews",
    "render_pdf_page",
    "replace_document",
    "thumbnail_content_type",
    "thumbnail_jpeg",
]
