"""A selection of passes as one printable PDF (one A4 page each), drawn on demand: a selection
is ad hoc, so it is not stored; each pass's own stored PDF stays the cached path."""

from django.utils.translation import gettext as _

from ..documents.files import CACHE_NEVER, private_file_response
from ..errors import WorkflowError
from ..signing.keys import current_signer
from . import rendering
from .listing import MAX_SELECTION


def selection_pdf(passes) -> bytes:
    passes = sorted(passes, key=lambda p: p.number)
    if not passes:
        raise WorkflowError(_("Choose at least one pass to print."), code="nothing_selected")
    if len(passes) > MAX_SELECTION:
        raise WorkflowError(
            _("Print at most %(max)d passes at once.") % {"max": MAX_SELECTION},
            code="too_many",
        )
    return rendering.render_passes(passes, current_signer())


def selection_response(content: bytes):
    """A printed selection as a download, through the one private-file response."""
    return private_file_response(
        content,
        content_type="application/pdf",
        filename="passdesk-passes.pdf",
        attachment=True,
        cache=CACHE_NEVER,
    )
