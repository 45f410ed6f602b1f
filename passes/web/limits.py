"""Refuse an oversized request body before a byte of it is read.

Django reads a multipart body in full (to temporary files) before a view can look at the
file's size, so a 60 MB upload costs 60 MB of reading and disk before the 413. This middleware,
first in the chain after the client address, answers 413 from ``Content-Length`` alone. (A body
without ``Content-Length`` is not read by Django at all.) The reverse proxy should refuse such
bodies even earlier; see docs/security.md.

What happens to the unread rest of the body is the WSGI server's business, so the answer sets no
``Connection`` header: PEP 3333 forbids hop-by-hop headers from an application, Django's
development server (``manage.py demo``, wsgiref) turns one into a 500, and gunicorn drops it.
gunicorn's sync worker closes the connection after every answer, so it never reads the rest;
the development server reads and discards it, so the client, which usually sends the whole body
before it reads, gets the 413 and the connection serves its next request.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
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
            return too_large_response(request, limit)
        return self.get_response(request)


def too_large_response(request, limit):
    """The API's error shape under ``/api/``, a translated page elsewhere."""
    # Ahead of LocaleMiddleware: pick the client's language the way it would.
    language = translation.get_language_from_request(request)
    with translation.override(language):
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
            html = render_to_string("passes/request_too_large.html", {"message": message})
            response = HttpResponse(html, status=413)
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language, Cookie"
    response["Cache-Control"] = "no-store"
    return response
