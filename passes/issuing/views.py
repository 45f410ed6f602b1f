"""Downloading printable passes: one pass, or a request's combined PDF.

Only members of the owning enterprise and staff who review requests of its office get the file
(``access``); everyone else, inspectors included, gets 404 (as if the pass did not exist);
anonymous visitors are sent to sign in. The PDF is rendered on demand if the stored one is
missing or stale.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import access
from ..documents.files import CACHE_NEVER, private_file_response
from ..models import Pass, PassRequest
from . import rendering


def pdf_response(record):
    """A stored pass PDF as a download (the one private-file response)."""
    return private_file_response(
        record.file.open("rb"),
        content_type="application/pdf",
        filename=rendering.download_name(record),
        attachment=True,
        cache=CACHE_NEVER,
    )


@access.policy("passes")
@require_GET
@never_cache
@login_required
def pass_pdf(request, number):
    if not access.can_download_passes(request.user):
        raise Http404
    pass_obj = get_object_or_404(
        access.visible_passes(request.user, Pass.objects.select_related("request__enterprise")),
        number=number,
    )
    return pdf_response(rendering.pass_pdf(pass_obj))


@access.policy("requests")
@require_GET
@never_cache
@login_required
def request_passes_pdf(request, pk):
    if not access.can_download_passes(request.user):
        raise Http404
    pass_request = get_object_or_404(
        access.visible_requests(
            request.user, PassRequest.objects.select_related("enterprise", "pass_type")
        ),
        pk=pk,
    )
    record = rendering.request_pdf(pass_request)
    if record is None:
        raise Http404
    return pdf_response(record)
