"""``/api/v1/review/``: the review queue and decisions, for staff with the reviewer permission."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import access, documents
from ..models import Document, PassRequest
from ..requests import detail, renewal, workflow
from . import downloads, inputs, outputs, outputs_issued
from .access import IsReviewer, scoped_transition
from .views_fleet import ERRORS, ID_PATTERN


class ReviewViewSet(viewsets.GenericViewSet):
    access_policy = "requests"
    permission_classes = [IsAuthenticated, IsReviewer]
    serializer_class = outputs.ReviewDetailOut
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        # Reviewers see what has been filed with their offices, never an enterprise's drafts.
        return access.visible_requests(self.request.user).exclude(status=PassRequest.Status.DRAFT)

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _detail(self, pk):
        pass_request = detail.load(self.get_queryset(), pk)
        if pass_request is None:
            raise NotFound()
        return Response(outputs.ReviewDetailOut.represent(pass_request))

    def _show(self, pass_request):
        """The detail of a request this call has just changed, from the transition's locked
        row: the request itself is not read again."""
        detail.attach([pass_request])
        return Response(outputs.ReviewDetailOut.represent(pass_request))

    @extend_schema(
        summary="The review queue, oldest submission first",
        parameters=[
            OpenApiParameter("status", str, enum=["submitted", "in_review"]),
            OpenApiParameter("mine", bool, description="Only requests I have claimed."),
        ],
        responses={200: outputs.ReviewListOut(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def queue(self, request):
        serializer = inputs.QueueFilterIn(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        queryset = (
            self.get_queryset()
            .filter(status__in=PassRequest.QUEUE_STATUSES)
            .select_related("pass_type", "enterprise", "assigned_reviewer")
            .order_by("submitted_at", "pk")
            .with_vehicle_count()
        )
        if "status" in wanted:
            queryset = queryset.filter(status=wanted["status"])
        if wanted.get("mine"):
            queryset = queryset.filter(assigned_reviewer=request.user)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(outputs.ReviewListOut.represent(page, many=True))

    @extend_schema(
        summary="Show a filed request", responses={200: outputs.ReviewDetailOut, **ERRORS}
    )
    def retrieve(self, request, pk=None):
        return self._detail(pk)  # one lookup, scoped to the reviewer's office: else a 404

    @extend_schema(
        summary="Claim a request from the queue",
        request=None,
        responses={200: outputs.ReviewDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._show(scoped_transition(self, workflow.claim))

    @extend_schema(
        summary="Approve and issue one pass per vehicle",
        request=inputs.ApproveIn,
        responses={200: outputs.ReviewDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self._input(inputs.ApproveIn)
        issued = scoped_transition(
            self,
            workflow.approve,
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            acknowledge_flags=data["acknowledge_flags"],
        )
        return self._show(issued[0].request)  # one pass per vehicle: never none

    @extend_schema(
        summary="Return for changes (补正) with a reason",
        request=inputs.ReturnIn,
        responses={200: outputs.ReviewDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_changes(self, request, pk=None):
        data = self._input(inputs.ReturnIn)
        pass_request = self.get_object()
        reasons = _document_reasons(pass_request, data.get("documents") or {})
        return self._show(
            workflow.return_for_changes(
                pass_request, by=request.user, reason=data["reason"], document_reasons=reasons
            )
        )

    @extend_schema(
        summary="Reject with a reason",
        request=inputs.ReasonIn,
        responses={200: outputs.ReviewDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self._input(inputs.ReasonIn)
        return self._show(scoped_transition(self, workflow.reject, reason=data["reason"]))

    @extend_schema(
        summary="Download a document of a filed request (the view is recorded)",
        responses={(200, "*/*"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"documents/(?P<document_id>{ID_PATTERN})",
        renderer_classes=[JSONRenderer, downloads.FileRenderer],
    )
    def document(self, request, pk=None, document_id=None):
        # The document and its request, among the reviewer's requests, in one statement.
        document = (
            Document.objects.select_related("request")
            .filter(pk=document_id, request_id=pk, request__in=self.get_queryset())
            .first()
        )
        if document is None or not documents.can_view_document(request.user, document):
            raise NotFound()
        response = downloads.document_response(document)
        documents.document_viewed.send(
            sender=Document, document=document, user=request.user, variant="download"
        )
        return response

    @extend_schema(
        summary="Approve a renewal that changes nothing but its window, in one action",
        request=None,
        responses={200: outputs.ReviewDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="approve-renewal")
    def approve_renewal(self, request, pk=None):
        renewal.approve_clean_renewal(self.get_object(), by=request.user)
        return self._detail(pk)

    @extend_schema(
        summary="Approve many clean renewals; the others are listed with the reason",
        request=inputs.ApproveRenewalsIn,
        responses={200: outputs_issued.ApproveRenewalsOut, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="approve-renewals")
    def approve_renewals(self, request):
        ids = self._input(inputs.ApproveRenewalsIn)["requests"]
        found = {r.pk: r for r in self.get_queryset().filter(pk__in=ids)}
        approved, skipped = renewal.approve_clean_renewals(
            [found[pk] for pk in dict.fromkeys(ids) if pk in found], by=request.user
        )
        for pk in dict.fromkeys(ids):
            if pk not in found:
                skipped[str(pk)] = _("No filed request with id %(id)s.") % {"id": pk}
        return Response({"approved": [r.reference for r in approved], "skipped": skipped})


def _document_reasons(pass_request, reasons: dict) -> dict:
    """Per-document reasons, for documents of this request (or standing ones it relies on)."""
    ids = {key: int(key) for key in reasons if str(key).isdigit() and len(str(key)) <= 18}
    if len(ids) != len(reasons):
        raise ValidationError({"documents": [_("Keys must be document ids.")]})
    known = set(
        Document.objects.relied_on_by(pass_request)
        .filter(pk__in=ids.values())
        .values_list("pk", flat=True)
    )
    unknown = [key for key, pk in ids.items() if pk not in known]
    if unknown:
        raise ValidationError(
            {
                "documents": [
                    _("No document with id %(id)s on this request.") % {"id": key}
                    for key in unknown
                ]
            }
        )
    return {ids[key]: text for key, text in reasons.items()}
