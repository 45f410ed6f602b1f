"""While the database is away (restarting, failing over) the site answers 503 with a short
translated page, or the API's error shape, instead of a 500 and a stack trace in the logs.

Stale connections left by a restart are caught before they are used by ``CONN_HEALTH_CHECKS``
(settings); this handles the moments when no connection can be made at all."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ..api.errors import error_body, is_api_request

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def unavailable_response(request):
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if is_api_request(request):
        response = JsonResponse(
            error_body("service_unavailable", message),
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        html = render_to_string("passes/service_unavailable.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection raised by a view into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("database unavailable: %s", exception)
            return unavailable_response(request)
        return None
