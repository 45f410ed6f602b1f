"""JSON errors under ``/api/`` even with ``DEBUG`` on.

``handler404``/``handler500`` only run with ``DEBUG`` off; with it on, Django answers a URL miss
or a crash with its HTML debug page, which an API client cannot read. This middleware replaces
any HTML 404 or 5xx answer to an ``/api/`` path with the API's one error shape. Django has logged
the crash already; the traceback stays in the log, never in the answer.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from .errors import error_body, is_api_request


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api_request(request) or not _is_html(response):
            return response
        if response.status_code == 404:
            return JsonResponse(error_body("not_found", _("Not found.")), status=404)
        if response.status_code >= 500:
            return JsonResponse(
                error_body(
                    "server_error", _("Something went wrong on our side; please try again.")
                ),
                status=response.status_code,
            )
        return response


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")
