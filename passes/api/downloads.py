"""File answers of the API: a document's file, a pass's PDF, a request's combined PDF.

They leave as Django ``FileResponse`` streams (never read into memory). ``FileRenderer`` lets a
client ask for them with ``Accept: application/pdf`` or ``image/*`` and still get an error in
the usual JSON shape when something is wrong.
"""

import json

from django.http import FileResponse, Http404
from rest_framework.renderers import BaseRenderer

from .. import rendering
from ..documents.serving import content_disposition, download_name, sandboxed


class FileRenderer(BaseRenderer):
    media_type = "*/*"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        """Only errors come through here (files bypass renderers): JSON, labelled so."""
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


def _private(response: FileResponse) -> FileResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(document) -> FileResponse:
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition("attachment", download_name(document))
    return sandboxed(response, document.content_type, cache_control="private, no-store")


def _pdf(record) -> FileResponse:
    return _private(
        FileResponse(
            record.file.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=rendering.download_name(record),
        )
    )


def pass_pdf_response(pass_obj) -> FileResponse:
    return _pdf(rendering.pass_pdf(pass_obj))


def request_pdf_response(pass_request) -> FileResponse:
    record = rendering.request_pdf(pass_request)
    if record is None:
        raise Http404
    return _pdf(record)
