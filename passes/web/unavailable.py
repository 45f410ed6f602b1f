"""While a backing service is away (the database restarting or failing over, the object store
or its disk unreachable, Redis down) the site answers 503 with ``Retry-After`` and a short
translated page, the API's error shape, or the portal's JSON shape, instead of a 500 and a
stack trace in the logs. Which exceptions mean an outage is ``passes.health.outages``' one answer.

Stale database connections left by a restart are caught before they are used by
``CONN_HEALTH_CHECKS`` (settings); this handles the moments when no connection can be made at
all. Nothing is lost: an upload that could not be stored was not written to the database
either (the file is saved inside the transaction), and the client is told to try again."""

import logging

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ..api.errors import error_body, is_api_request
from ..health.outages import service_away

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
    elif "application/json" in request.headers.get("Accept", ""):  # the portal's uploads
        response = JsonResponse(
            {"ok": False, "code": "service_unavailable", "message": message},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        html = render_to_string("passes/service_unavailable.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """Turns an outage of the database, the object store, the cache or the broker raised by a
    view into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        service = service_away(exception)
        if service is None:
            return None
        logger.error("%s unavailable: %r", service, exception)
        return unavailable_response(request)
