"""The lean path of ``POST /api/v1/scans/``: the common, well-formed, token-authenticated scan
answered without DRF's request wrapping, negotiation and renderer.

Those layers cost more Python per scan than the scan itself (token, signature, two reads, one
insert), and the scan is the busiest request there is. The lean path states no rule of its
own: it runs DRF's JSON parser, the endpoint's own authentication
(``authentication.ScanTokenAuthentication``), ``roles.can_scan``, and ``ScanInputSerializer``'s
fields and cross-field rules (``run_validation`` on one shared instance, which keeps no state;
``serializers.check_office`` once the inspector is known). It takes a request only when all of
them accept it, with a plain JSON body and an ``Accept`` the JSON renderer answers. Anything
else (session login, bad or missing token, no permission, invalid input, odd media types)
returns None and DRF's ``ScanView`` handles the request from the start, so errors, their
translated messages, CSRF on session requests and the browsable API stay exactly as they were.
The answer (status, JSON body, headers) is the one DRF would send;
``tests/checkpoint/test_fast.py`` compares both paths.
"""

import io

from django.http import HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from .. import roles
from . import services
from .authentication import ScanTokenAuthentication
from .serializers import ScanInputSerializer, check_office, scan_output

# A scan is a few hundred bytes; anything larger is left to DRF (and Django's upload limits).
MAX_BODY = 16 * 1024
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json", "application/*"})
_PARSER = JSONParser()
_RENDERER = JSONRenderer()
_AUTHENTICATION = ScanTokenAuthentication()
# Built once, its fields bound once: run_validation reads them and keeps nothing between calls.
_INPUT = ScanInputSerializer()
_INPUT.fields  # noqa: B018 - bind the fields now, not in the first two concurrent scans


def _media_types_ok(request) -> bool:
    """A JSON body in UTF-8, and an ``Accept`` that DRF's negotiation answers with JSON."""
    content_type = request.META.get("CONTENT_TYPE", "")
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "application/json":
        return False
    params = params.strip().lower().replace(" ", "")
    if params and params not in ("charset=utf-8", "charset=utf8"):
        return False
    return request.META.get("HTTP_ACCEPT", "").strip().lower() in _JSON_ACCEPTS


def handle(request) -> HttpResponse | None:
    """The scan's response, or None when DRF must handle this request."""
    if request.method != "POST" or not _media_types_ok(request):
        return None
    try:
        if not 0 < int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_BODY:
            return None
    except ValueError:
        return None
    try:
        data = _PARSER.parse(io.BytesIO(request.body), "application/json", {"encoding": "utf-8"})
        validated = _INPUT.run_validation(data)  # everything but the office: no user yet
        found = _AUTHENTICATION.authenticate(request)
        if found is None:
            return None  # no token: session login, DRF decides
        user = found[0]
        if not roles.can_scan(user):
            return None  # DRF answers 403
        check_office(user, validated["checkpoint"])
    except APIException:  # a parse, authentication or validation error: DRF words it
        return None
    request.user = user
    scan, created = services.record_scan(inspector=user, **validated)
    pass_obj = scan.loaded_pass if created else services.scan_pass(scan)
    response = HttpResponse(
        _RENDERER.render(scan_output(scan, pass_obj)),
        status=201 if created else 200,
        content_type="application/json",
    )
    response["Allow"] = "POST, OPTIONS"
    response["Vary"] = "Accept"
    return response
