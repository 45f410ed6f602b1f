"""Refuse an oversized request body before a byte of it is read.

Django reads a multipart body in full (to temporary files) before a view can look at the
file's size, so a 60 MB upload costs 60 MB of reading and disk before the 413. This middleware,
first in the chain after the client address, answers 413 from ``Content-Length`` alone. (A body
without ``Content-Length`` is not read by Django at all.) The reverse proxy should refuse such
bodies even earlier; see docs/security.md.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from ..api.errors import error_body, is_api_request


def max_request_bytes() -> int:
    return settings.PASSDESK_MAX_REQUEST_BYTES


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max_request_bytes()
        if limit and length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def _too_large(request, limit):
        # Ahead of LocaleMiddleware: pick the client's language the way it would.
        with translation.override(translation.get_language_from_request(request)):
            message = _("The request is larger than %(max)s, the most this site accepts.") % {
                "max": filesizeformat(limit)
            }
        if is_api_request(request):
            response = JsonResponse(
                error_body("too_large", message),
                status=413,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        response["Connection"] = "close"  # do not wait for the rest of the body
        return response
