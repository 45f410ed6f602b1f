"""The lean path of ``POST /api/v1/scans/``: the common, well-formed, token-authenticated scan
answered without DRF's request wrapping, negotiation, serializer and renderer.

On the 2-core target those layers cost more Python per scan than the scan itself (token,
signature, two reads, one insert). The lean path takes a request only when it is sure DRF would
accept it: an ``Authorization: Token <key>`` header for an active user with the
``passes.scan_pass`` permission, a UTF-8 JSON object body, an ``Accept`` the JSON renderer
answers, and input that passes the same checks as ``ScanInputSerializer``. Anything else
(session login, bad or missing token, no permission, invalid input, odd media types) returns
None and DRF's ``ScanView`` handles the request from the start, so errors, their translated
messages, CSRF on session requests and the browsable API stay exactly as they were. The
answer (status, JSON body, headers) is the one DRF would send; ``tests/checkpoint/test_fast.py``
compares both paths.
"""

import json

from django.core.validators import RegexValidator
from django.http import HttpResponse
from rest_framework.exceptions import ValidationError

from .. import roles
from . import services
from .serializers import ScanInputSerializer, scan_output
from .tokens import token_user

# The limits are ScanInputSerializer's own fields, read once (one home for each rule): blank is
# allowed for the optional ones only; checkpoint and nonce must not be blank.
_FIELDS = ScanInputSerializer().fields
_OPTIONAL = tuple((name, _FIELDS[name].max_length) for name in ("code", "number", "plate"))
_CHECKPOINT_MAX = _FIELDS["checkpoint"].max_length
_NONCE = next(v.regex for v in _FIELDS["nonce"].validators if isinstance(v, RegexValidator))
# Parses ``scanned_at`` exactly as the serializer's field does (formats, time zone, errors).
_SCANNED_AT = _FIELDS["scanned_at"]
# A scan is a few hundred bytes; anything larger is left to DRF (and Django's upload limits).
MAX_BODY = 16 * 1024
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json", "application/*"})


class _NotForUs(Exception):
    """The lean path declines: DRF decides."""


def _reject_constant(name):
    # DRF's JSONParser is strict: NaN and Infinity are a parse error.
    raise _NotForUs(name)


def _text(value, max_length: int, *, blank: bool) -> str:
    """What DRF's CharField(max_length, allow_blank) returns for this value, or _NotForUs
    wherever it would raise (or convert a number: rare enough to leave to DRF)."""
    if not isinstance(value, str) or "\x00" in value:
        raise _NotForUs
    value = value.strip()
    if len(value) > max_length or (not blank and not value):
        raise _NotForUs
    if not value.isascii():
        try:
            value.encode("utf-8")  # a lone surrogate: DRF refuses it
        except UnicodeEncodeError:
            raise _NotForUs from None
    return value


def _token_key(request) -> str:
    """DRF's TokenAuthentication header parsing; only the well-formed header is ours."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    parts = header.encode("iso-8859-1").split() if isinstance(header, str) else header.split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        raise _NotForUs
    try:
        return parts[1].decode()
    except UnicodeError:
        raise _NotForUs from None


def _media_types_ok(request) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "")
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "application/json":
        return False
    params = params.strip().lower().replace(" ", "")
    if params and params not in ("charset=utf-8", "charset=utf8"):
        return False
    return request.META.get("HTTP_ACCEPT", "").strip().lower() in _JSON_ACCEPTS


def _input(data: dict) -> dict:
    """ScanInputSerializer's validated_data for valid input, else _NotForUs."""
    fields = {}
    for name, max_length in _OPTIONAL:
        value = data.get(name)
        fields[name] = _text(value, max_length, blank=True) if name in data else ""
    if not fields["code"] and not (fields["number"] and fields["plate"]):
        raise _NotForUs
    if not fields["code"] and not services.is_well_formed_number(
        services.normalize_number(fields["number"])
    ):
        raise _NotForUs  # DRF answers 400 with the translated message
    nonce = _text(data.get("nonce"), MAX_BODY, blank=False)
    if not _NONCE.search(nonce):
        raise _NotForUs
    checkpoint = services.active_checkpoint(
        _text(data.get("checkpoint"), _CHECKPOINT_MAX, blank=False)
    )
    if checkpoint is None:
        raise _NotForUs
    scanned_at = data.get("scanned_at")
    if scanned_at is None:
        raise _NotForUs
    try:
        scanned_at = _SCANNED_AT.to_internal_value(scanned_at)
    except ValidationError:
        raise _NotForUs from None
    return {
        "code": fields["code"] or None,
        "number": fields["number"] or None,
        "plate": fields["plate"] or None,
        "checkpoint": checkpoint,
        "nonce": nonce,
        "scanned_at": scanned_at,
    }


def _render(data: dict) -> bytes:
    # DRF's JSONRenderer with its defaults: UTF-8, compact, \u2028/\u2029 escaped.
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


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
        key = _token_key(request)
        data = json.loads(request.body, parse_constant=_reject_constant)
        if not isinstance(data, dict):
            return None
        validated = _input(data)
    except (_NotForUs, ValueError):
        return None
    user = token_user(key)
    if user is None or not user.is_active or not user.passdesk_can_scan:
        return None  # DRF answers 401 or 403
    if not roles.works_for(user, validated["checkpoint"].office_id):
        return None  # another office's checkpoint: DRF answers 400
    request.user = user
    scan, created = services.record_scan(inspector=user, **validated)
    pass_obj = scan.loaded_pass if created else services.scan_pass(scan)
    response = HttpResponse(
        _render(scan_output(scan, pass_obj)),
        status=201 if created else 200,
        content_type="application/json",
    )
    response["Allow"] = "POST, OPTIONS"
    response["Vary"] = "Accept"
    return response
