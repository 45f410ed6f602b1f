"""``/api/v1/requests/``: an enterprise's pass requests, their documents and transitions."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import access, documents
from ..models import PassRequest
from ..requests import detail, filing, workflow
from . import downloads, inputs, outputs
from .access import EnterpriseScoped, IsEnterpriseMember, scoped_transition
from .errors import ApiError
from .idempotency import idempotent
from .throttles import AtomicScopedRateThrottle
from .views_fleet import ERRORS, ID_PATTERN, IDEMPOTENCY_PARAMETER


def filter_requests(queryset, params):
    """The list filters: status, pass type (id or code), creation dates, validity date."""
    serializer = inputs.RequestFilterIn(data=params)
    serializer.is_valid(raise_exception=True)
    wanted = serializer.validated_data
    if "status" in wanted:
        queryset = queryset.filter(status=wanted["status"])
    if "pass_type" in wanted:
        value = wanted["pass_type"].strip()
        if value.isdigit() and len(value) <= 18:
            queryset = queryset.filter(pass_type_id=int(value))
        else:
            queryset = queryset.filter(pass_type__code=value)
    if "created_after" in wanted:
        queryset = queryset.filter(created_at__date__gte=wanted["created_after"])
    if "created_before" in wanted:
        queryset = queryset.filter(created_at__date__lte=wanted["created_before"])
    if "valid_on" in wanted:
        queryset = queryset.filter(
            valid_from__date__lte=wanted["valid_on"], valid_until__date__gte=wanted["valid_on"]
        )
    return queryset


REQUEST_FILTERS = [
    OpenApiParameter("status", str, enum=PassRequest.Status.values),
    OpenApiParameter("pass_type", str, description="Pass type id or code."),
    OpenApiParameter("created_after", str, description="YYYY-MM-DD, inclusive."),
    OpenApiParameter("created_before", str, description="YYYY-MM-DD, inclusive."),
    OpenApiParameter("valid_on", str, description="YYYY-MM-DD inside the validity window."),
]
TRANSITION_SCHEMA = {"request": None, "responses": {200: outputs.RequestDetailOut, **ERRORS}}
SUBMIT_SCHEMA = {**TRANSITION_SCHEMA, "request": inputs.SubmitIn}


@extend_schema_view(
    list=extend_schema(
        summary="List your requests",
        parameters=REQUEST_FILTERS,
        responses={200: outputs.RequestListOut(many=True), **ERRORS},
    ),
    create=extend_schema(
        summary="Open a draft request with its vehicles and drivers",
        request=inputs.RequestIn,
        responses={201: outputs.RequestDetailOut, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    retrieve=extend_schema(
        summary="Show a request: items, documents, events and passes",
        responses={200: outputs.RequestDetailOut, **ERRORS},
    ),
    update=extend_schema(
        summary="Replace a draft's or returned request's details",
        request=inputs.RequestIn,
        responses={200: outputs.RequestDetailOut, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change some details of a draft or returned request",
        request=inputs.RequestIn,
        responses={200: outputs.RequestDetailOut, **ERRORS},
    ),
)
class RequestViewSet(EnterpriseScoped, viewsets.GenericViewSet):
    access_policy = "requests"
    permission_classes = [IsAuthenticated, IsEnterpriseMember]
    serializer_class = outputs.RequestDetailOut
    lookup_value_regex = ID_PATTERN
    throttle_scope = "uploads"

    def get_queryset(self):
        queryset = access.visible_requests(self.request.user).order_by("-created_at", "-pk")
        if self.action == "list":
            return queryset.select_related("pass_type").with_vehicle_count()
        return queryset

    def get_throttles(self):
        if self.action == "documents":  # uploads only; deleting a document is not throttled
            return [AtomicScopedRateThrottle()]
        return super().get_throttles()

    def _input(self, serializer_class, *, partial=False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _detail(self, pk, code=status.HTTP_200_OK):
        pass_request = detail.load(access.visible_requests(self.request.user), pk)
        if pass_request is None:
            raise NotFound()
        return Response(outputs.RequestDetailOut.represent(pass_request), status=code)

    def _show(self, pass_request, code=status.HTTP_200_OK):
        """The detail of a request this call has just written, from the instance in hand (the
        new draft, the transition's locked row): the request itself is not read again."""
        detail.attach([pass_request])
        return Response(outputs.RequestDetailOut.represent(pass_request), status=code)

    # --- CRUD -----------------------------------------------------------------------------

    def list(self, request):
        queryset = filter_requests(self.get_queryset(), request.query_params)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(outputs.RequestListOut.represent(page, many=True))

    @idempotent
    def create(self, request):
        pass_request = filing.create_draft(by=request.user, data=self._input(inputs.RequestIn))
        return self._show(pass_request, status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return self._detail(pk)  # one lookup, scoped to the caller's enterprise: else a 404

    def update(self, request, pk=None):
        pass_request = self.get_object()
        filing.update_request(pass_request, by=request.user, data=self._input(inputs.RequestIn))
        return self._detail(pass_request.pk)

    def partial_update(self, request, pk=None):
        pass_request = self.get_object()
        data = self._input(inputs.RequestIn, partial=True)
        filing.update_request(pass_request, by=request.user, data=data)
        return self._detail(pass_request.pk)

    # --- Transitions -----------------------------------------------------------------------

    @extend_schema(summary="Submit a draft", parameters=[IDEMPOTENCY_PARAMETER], **SUBMIT_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, pk=None):
        return self._submission(workflow.submit)

    @extend_schema(
        summary="Submit again after changes",
        parameters=[IDEMPOTENCY_PARAMETER],
        **SUBMIT_SCHEMA,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def resubmit(self, request, pk=None):
        return self._submission(workflow.resubmit)

    def _submission(self, change):
        data = self._input(inputs.SubmitIn)
        changed = scoped_transition(self, change, declaration_accepted=data["declaration_accepted"])
        return self._show(changed)

    @extend_schema(summary="Withdraw a request", **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._show(scoped_transition(self, workflow.withdraw))

    # --- Documents -------------------------------------------------------------------------

    @extend_schema(
        summary="Attach a scanned document (PDF, JPEG, PNG or TIFF)",
        request={"multipart/form-data": inputs.DocumentIn},
        responses={
            201: outputs.DocumentOut,
            413: outputs.ErrorOut,
            429: outputs.ErrorOut,
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def documents(self, request, pk=None):
        pass_request = self.get_object()
        data = self._input(inputs.DocumentIn)
        item = driver = None
        if "item" in data:
            item = pass_request.items.select_related("vehicle").filter(pk=data["item"]).first()
            if item is None:
                raise _not_on_request("item", _("No vehicle with id %(id)s on this request."), data)
        if "driver" in data:
            driver = (
                self.enterprise.drivers.filter(
                    pk=data["driver"], request_items__request=pass_request
                )
                .distinct()
                .first()
            )
            if driver is None:
                raise _not_on_request(
                    "driver", _("No driver with id %(id)s on this request."), data
                )
        document = documents.attach_document(
            enterprise=self.enterprise,
            uploaded_file=data["file"],
            kind=data["kind"],
            by=request.user,
            request=pass_request,
            item=item,
            driver=driver,
            tested_at=data.get("tested_at"),
        )
        return Response(outputs.DocumentOut.represent(document), status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="Download a document's file",
        responses={(200, "*/*"): OpenApiTypes.BINARY, **ERRORS},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a document while the request is editable",
        request=None,
        responses={204: None, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=rf"documents/(?P<document_id>{ID_PATTERN})",
        renderer_classes=[JSONRenderer, downloads.FileRenderer],
    )
    def document(self, request, pk=None, document_id=None):
        pass_request = self.get_object()
        document = pass_request.documents.filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        if request.method == "GET":
            return downloads.document_response(document)
        documents.remove_document(document, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download all passes of an approved request as one PDF",
        operation_id="v1_requests_passes_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="passes/pdf",
        renderer_classes=[JSONRenderer, downloads.FileRenderer],
    )
    def passes_pdf(self, request, pk=None):
        return downloads.request_pdf_response(self.get_object())

    @extend_schema(
        summary="Download one pass as a PDF",
        operation_id="v1_requests_pass_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"passes/(?P<number>[0-9]{12})/pdf",
        renderer_classes=[JSONRenderer, downloads.FileRenderer],
    )
    def pass_pdf(self, request, pk=None, number=None):
        pass_obj = self.get_object().passes.filter(number=number).first()
        if pass_obj is None:
            raise NotFound()
        return downloads.pass_pdf_response(pass_obj)


def _not_on_request(field, message, data):
    text = message % {"id": data[field]}
    return ApiError(text, code="invalid", fields={field: [text]})
