"""``POST /api/v1/scans/`` (inspectors) and ``GET /api/v1/revocations/`` (public)."""

from functools import wraps

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..api.errors import ApiError
from . import decisions, fastscan, feed, offline_list, ratelimit, services
from .authentication import CanScan, ScanTokenAuthentication
from .serializers import (
    DecisionInputSerializer,
    DecisionOutputSerializer,
    RevocationFeedSerializer,
    ScanInputSerializer,
    ScanOutputSerializer,
    decision_output,
    scan_output,
)


class ScanView(APIView):
    """DRF's view, behind the lean path (``fastscan``) that answers the common token scan
    without DRF; whatever the lean path declines reaches this class unchanged."""

    access_policy = "scans"

    authentication_classes = [ScanTokenAuthentication, SessionAuthentication]
    permission_classes = [CanScan]

    @classmethod
    def as_view(cls, **initkwargs):
        drf_view = super().as_view(**initkwargs)

        @wraps(drf_view)  # keeps cls, initkwargs and csrf_exempt for URL tools and the schema
        def view(request, *args, **kwargs):
            response = fastscan.handle(request)
            if response is None:
                return drf_view(request, *args, **kwargs)
            return response

        return view

    @extend_schema(
        request=ScanInputSerializer,
        responses={201: ScanOutputSerializer, 200: ScanOutputSerializer},
        summary="Record a checkpoint scan and get its verdict",
        description=(
            "Send `code` (the QR text) or `number` + `plate`, the checkpoint, a random `nonce` "
            "and the device time. 201 for a new scan, 200 when the nonce was seen before "
            "(the first scan's answer comes back). Scans uploaded late keep their time."
        ),
    )
    def post(self, request):
        data = ScanInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        scan, created = services.record_scan(inspector=request.user, **data.validated_data)
        pass_obj = scan.loaded_pass if created else services.scan_pass(scan)
        return Response(
            scan_output(scan, pass_obj),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DecisionView(APIView):
    """The inspector's decision on an off-route vehicle, by the scan's nonce (so a phone that
    scanned offline can send it after the scan's upload)."""

    access_policy = "scans"

    authentication_classes = [ScanTokenAuthentication, SessionAuthentication]
    permission_classes = [CanScan]

    @extend_schema(
        request=DecisionInputSerializer,
        responses={200: DecisionOutputSerializer},
        summary="Record whether an off-route vehicle was let through or turned back",
    )
    def post(self, request):
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            scan = decisions.record_decision(inspector=request.user, **data.validated_data)
        except decisions.DecisionError as error:
            raise ApiError(error.message, code=error.code, status_code=error.status) from error
        return Response(decision_output(scan))


class ActivePassListView(APIView):
    """The signed list of the live passes of the inspector's offices (slow tags of number and
    plate, windows, routes; no number or plate in clear) that an inspector's phone copies to
    check passes offline."""

    access_policy = "passes"

    authentication_classes = [ScanTokenAuthentication, SessionAuthentication]
    permission_classes = [CanScan]

    @extend_schema(
        summary="Signed list of active passes for offline checks",
        description="Format documented in `passes/signing/passlist.py`.",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        response = Response(offline_list.signed_document(user=request.user))
        response["Cache-Control"] = "private, no-cache"
        return response


def parse_since(value: str):
    """An ISO 8601 time; a ``+`` turned into a space by URL decoding is put back."""
    value = (value or "").strip()
    if not value:
        return None
    parsed = None
    try:
        parsed = parse_datetime(value.replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ApiError(
            _("“since” must be an ISO 8601 time, e.g. 2026-11-28T08:00:00Z."),
            code="invalid_since",
            fields={"since": [_("Not an ISO 8601 time.")]},
        )
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)
    return parsed


class RevocationFeedView(APIView):
    """Public, like a certificate revocation list: pass numbers and status codes only, no
    names or plates, and the numbers are printed on the passes anyway. A checkpoint laptop
    syncs it without an inspector account; rate-limited per address."""

    access_policy = access.PUBLIC
    access_reason = "revoked pass numbers, published for every checkpoint and peer"

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", str, description="ISO 8601 time: the `until` of the previous answer."
            )
        ],
        summary="Revoked and expired pass numbers changed since a time",
        responses={200: RevocationFeedSerializer},
    )
    def get(self, request):
        if not ratelimit.allow(request, "feed", settings.PASSDESK_FEED_RATE_PER_MINUTE):
            raise ApiError(
                _("Too many requests; try again in a minute."),
                code="throttled",
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        since = parse_since(request.query_params.get("since", ""))
        response = Response(feed.revocations_since(since))
        response["Cache-Control"] = "public, max-age=15"
        return response
