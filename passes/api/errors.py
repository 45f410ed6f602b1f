"""One error shape for the whole API.

Every error leaves as ``{"error": {"code": ..., "message": ..., "fields": {...}}}``: ``code`` is
stable for programs, ``message`` is translated into the language the client asked for
(``Accept-Language``, activated by ``LocaleMiddleware``), and ``fields`` names the input fields
that were wrong (dotted paths for nested input: ``items.0.vehicle``).

Domain errors map to HTTP like this: ``WorkflowError`` → 409 with its own code; Django and DRF
validation errors → 400; ``UploadRejected`` → 400, or 413 when the file is too large; an object
the caller may not see → 404 (the queryset never contains it, so there is nothing to leak).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import WorkflowError

API_PREFIX = "/api/"
NON_FIELD = "non_field_errors"
# UploadRejected codes that mean "too large" and so answer 413 rather than 400.
TOO_LARGE_CODES = frozenset({"too_large"})


class ApiError(exceptions.APIException):
    """An API error with an explicit status and machine code."""

    def __init__(self, message, code, status_code=status.HTTP_400_BAD_REQUEST, fields=None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.fields = fields or {}


class InvalidCredentials(ApiError):
    def __init__(self):
        super().__init__(
            _("Unable to sign in with the username and password given."),
            code="invalid_credentials",
        )


class LockedOut(ApiError):
    def __init__(self):
        super().__init__(
            _("Too many failed sign-in attempts. Try again later."),
            code="locked_out",
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )


def error_body(code, message, fields=None) -> dict:
    return {"error": {"code": code, "message": force_str(message), "fields": fields or {}}}


def _flatten(detail, prefix="") -> dict:
    """DRF's nested error detail as ``{"dotted.path": ["message", ...]}``."""
    out = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == NON_FIELD and prefix:
                name = prefix
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(value, dict | list) for value in detail):
            out.setdefault(prefix or NON_FIELD, []).extend(force_str(v) for v in detail)
        else:
            for index, value in enumerate(detail):
                if value:
                    out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out.setdefault(prefix or NON_FIELD, []).append(force_str(detail))
    return out


def _validation_response(fields: dict, code: str = "invalid") -> Response:
    first_field, messages = next(iter(fields.items()), (NON_FIELD, [_("Invalid input.")]))
    if first_field == NON_FIELD:
        message = messages[0]
    else:
        message = _("%(field)s: %(message)s") % {"field": first_field, "message": messages[0]}
    return Response(error_body(code, message, fields), status=status.HTTP_400_BAD_REQUEST)


def _django_validation_fields(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if name == "__all__" else name): [force_str(m) for m in messages]
            for name, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [force_str(m) for m in exc.messages]}


def _django_validation_code(exc: DjangoValidationError) -> str:
    errors = exc.error_list if hasattr(exc, "error_list") else []
    if len(errors) == 1 and errors[0].code:
        return errors[0].code
    return "invalid"


def _upload_rejected_class():
    try:
        from ..documents import UploadRejected
    except ImportError:  # the documents module is not there (yet)
        return None
    return UploadRejected


def _detail_code(exc: exceptions.APIException) -> str:
    code = getattr(exc.detail, "code", None)
    return code or exc.default_code


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: every error becomes the one shape."""
    if isinstance(exc, WorkflowError):
        return Response(error_body(exc.code, exc.message), status=status.HTTP_409_CONFLICT)
    upload_rejected = _upload_rejected_class()
    if upload_rejected is not None and isinstance(exc, upload_rejected):
        code = getattr(exc, "code", "") or "upload_rejected"
        field = getattr(exc, "field", "") or "file"
        return Response(
            error_body(code, str(exc), {field: [force_str(exc)]}),
            status=413 if code in TOO_LARGE_CODES else status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        return _validation_response(
            _django_validation_fields(exc), code=_django_validation_code(exc)
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(_flatten(exc.detail))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a 500, logged by Django
    if isinstance(exc, ApiError):
        response.data = error_body(_detail_code(exc), exc.detail, exc.fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
        if isinstance(detail, dict | list):
            fields = _flatten(detail)
            message = next(iter(fields.values()))[0]
        else:
            fields, message = {}, detail
        response.data = error_body(_detail_code(exc), message, fields)
    return response


# --- Outside DRF: URL misses, crashes, lockouts -------------------------------------------------


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception=None):
    """``handler404``: JSON under ``/api/``, the normal page elsewhere."""
    if is_api_request(request):
        return JsonResponse(
            error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND
        )
    from django.views.defaults import page_not_found as default

    return default(request, exception)


def server_error(request):
    """``handler500``: JSON under ``/api/``, the normal page elsewhere."""
    if is_api_request(request):
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side; please try again.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    from django.views.defaults import server_error as default

    return default(request)


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out client gets.

    The API answers in its error shape; pages render ``AXES_LOCKOUT_TEMPLATE`` when the portal
    sets one, otherwise a plain translated message. Both answer 429.
    """
    code = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    message = _("Too many failed sign-in attempts. Try again later.")
    if is_api_request(request):
        return JsonResponse(error_body("locked_out", message), status=code)
    template = settings.AXES_LOCKOUT_TEMPLATE
    if template:
        return render(request, template, {"message": message}, status=code)
    return HttpResponse(message, status=code, content_type="text/plain; charset=utf-8")
