"""``/api/v1/passes/``: issued passes. An enterprise sees its own; reviewers and officers see
all (with an ``enterprise`` filter). Each pass carries its signed token and QR payload, so a
client can print or verify without decoding a PDF. Officers revoke and amend drivers; the
enterprise renews (续期), prints a selection as one PDF, and manages its drivers' e-pass links
(``driver-links/``: list, send a new link by SMS, hand one over, withdraw)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import access, roles
from ..epass import links as driver_links
from ..errors import WorkflowError
from ..issuing import listing, printing
from ..requests import detail, renewal, workflow
from ..signing.keys import current_signer
from . import downloads, inputs, outputs, outputs_issued
from . import driver_links as links_io
from .errors import ApiError
from .views_fleet import ERRORS

PASS_FILTERS = [
    OpenApiParameter("state", str, enum=listing.PassState.values),
    OpenApiParameter("plate", str, description="Part of the plate."),
    OpenApiParameter("number", str, description="Pass number or its first digits."),
    OpenApiParameter("enterprise", int, description="Staff only: one enterprise's passes."),
    OpenApiParameter("valid_on", str, description="YYYY-MM-DD inside the validity window."),
]


class IsMemberOrStaff(BasePermission):
    message = _("Only enterprise members, reviewers and officers can see passes.")
    code = "not_allowed"

    def has_permission(self, request, view):
        return roles.enterprise_of(request.user) is not None or roles.can_review(request.user)


class PassViewSet(viewsets.GenericViewSet):
    access_policy = "passes"
    permission_classes = [IsAuthenticated, IsMemberOrStaff]
    lookup_field = "number"
    lookup_value_regex = "[0-9]{12}"

    @property
    def enterprise(self):
        return roles.enterprise_of(self.request.user)

    def get_queryset(self):
        # An enterprise's own passes; staff their offices' (another's is a 404, revoking too).
        queryset = access.visible_passes(self.request.user, listing.base_queryset())
        return listing.with_pdf_ready(queryset).order_by("-issued_at", "-number")

    def get_serializer_class(self):
        return (
            outputs_issued.IssuedPassOut
            if self.enterprise is not None
            else outputs_issued.StaffPassOut
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "signer": current_signer()}

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _one(self, number):
        return Response(self.get_serializer(self.get_queryset().get(number=number)).data)

    def _selected(self, numbers):
        found = {p.number: p for p in self.get_queryset().filter(number__in=numbers)}
        unknown = [n for n in numbers if n not in found]
        if unknown:
            text = _("No pass numbered %(number)s among yours.") % {"number": unknown[0]}
            raise ApiError(text, code="not_found", status_code=404, fields={"passes": [text]})
        return [found[n] for n in dict.fromkeys(numbers)]

    @extend_schema(
        summary="List passes (your own, or all for staff)",
        parameters=PASS_FILTERS,
        responses={200: outputs_issued.StaffPassOut(many=True), **ERRORS},
    )
    def list(self, request):
        serializer = inputs.PassFilterIn(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        wanted = dict(serializer.validated_data)
        if self.enterprise is not None:
            wanted.pop("enterprise", None)  # an enterprise only ever sees its own
        page = self.paginate_queryset(listing.filter_passes(self.get_queryset(), **wanted))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Show a pass with its token and QR payload",
        responses={200: outputs_issued.StaffPassOut, **ERRORS},
    )
    def retrieve(self, request, number=None):
        return self._one(self.get_object().number)

    @extend_schema(
        summary="Download a pass as a PDF",
        operation_id="v1_passes_pdf_retrieve",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, downloads.FileRenderer])
    def pdf(self, request, number=None):
        return downloads.pass_pdf_response(self.get_object())

    @extend_schema(
        summary="Print a selection of passes as one PDF",
        request=inputs.PassNumbersIn,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="print",
        renderer_classes=[JSONRenderer, downloads.FileRenderer],
    )
    def print_selection(self, request):
        passes = self._selected(self._input(inputs.PassNumbersIn)["passes"])
        return printing.selection_response(printing.selection_pdf(passes))

    @extend_schema(
        summary="Revoke a pass (officers; a reason is required)",
        request=inputs.ReasonIn,
        responses={200: outputs_issued.StaffPassOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, number=None):
        if not roles.can_revoke(request.user):
            raise PermissionDenied(_("Only officers can revoke passes."))
        data = self._input(inputs.ReasonIn)
        pass_obj = self.get_object()
        workflow.revoke_pass(pass_obj, by=request.user, reason=data["reason"])
        return self._one(pass_obj.number)

    @extend_schema(
        summary="Change a pass's drivers (officers): a new pass replaces it",
        request=inputs.AmendDriversIn,
        responses={201: outputs_issued.StaffPassOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def drivers(self, request, number=None):
        if not (roles.can_review(request.user) and roles.can_revoke(request.user)):
            raise PermissionDenied(_("Only officers can amend issued passes."))
        data = self._input(inputs.AmendDriversIn)
        new = workflow.amend_pass_drivers(
            self.get_object(), data["drivers"], by=request.user, reason=data["reason"]
        )
        response = self._one(new.number)
        response.status_code = 201
        return response

    @extend_schema(
        summary="Renew (续期) passes: file renewal requests pre-filled from them",
        request=inputs.RenewIn,
        responses={201: outputs_issued.RenewalsOut, **ERRORS},
    )
    @action(detail=False, methods=["post"])
    def renew(self, request):
        if self.enterprise is None:
            raise WorkflowError(
                _("Only people acting for an enterprise can renew passes."), code="not_a_member"
            )
        data = self._input(inputs.RenewIn)
        filed = renewal.file_renewals(
            self._selected(data["passes"]),
            by=request.user,
            submit=data["submit"],
            declaration_accepted=data["declaration_accepted"],
        )
        requests = detail.load_many(
            self.enterprise.requests.filter(pk__in=[r.pk for r in filed]).order_by("pk")
        )
        return Response(
            {"requests": outputs.RequestDetailOut(requests, many=True).data}, status=201
        )

    # --- Drivers' e-pass links (the enterprise's own passes) ----------------------------------

    def _links_pass(self):
        if self.enterprise is None:
            raise PermissionDenied(
                _("Only the pass's enterprise manages its drivers' e-pass links.")
            )
        return self.get_object()

    def _links(self, pass_obj, status=200):
        data = {"links": links_io.rows(driver_links.links_of(pass_obj), timezone.now())}
        return Response(links_io.DriverLinksOut(data).data, status=status)

    @staticmethod
    def _sending(call):
        """A send refused for the SMS budget is a 429, as any rate limit."""
        try:
            return call()
        except WorkflowError as error:
            if error.code == "too_many_sends":
                raise ApiError(error.message, code=error.code, status_code=429) from error
            raise

    @extend_schema(
        summary="List the drivers' e-pass links of a pass (the enterprise's own)",
        responses={200: links_io.DriverLinksOut, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="driver-links")
    def driver_links(self, request, number=None):
        return self._links(self._links_pass())

    @extend_schema(
        summary="Send drivers a new e-pass link by SMS (it replaces the one sent before)",
        request=links_io.DriverIdsIn,
        responses={200: links_io.DriverLinksOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="driver-links/send")
    def driver_links_send(self, request, number=None):
        pass_obj = self._links_pass()
        wanted = self._input(links_io.DriverIdsIn).get("drivers")
        self._sending(lambda: driver_links.resend(pass_obj, wanted, by=request.user))
        return self._links(pass_obj)

    @extend_schema(
        summary="Hand a driver a new e-pass link in person (answered once, not sent)",
        request=links_io.DriverIdIn,
        responses={201: links_io.HandoverOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="driver-links/handover")
    def driver_links_handover(self, request, number=None):
        pass_obj = self._links_pass()
        driver = self._input(links_io.DriverIdIn)["driver"]
        url = self._sending(lambda: driver_links.handover(pass_obj, driver, by=request.user))
        data = {"driver": driver, "link": url, "expires_at": pass_obj.valid_until}
        return Response(links_io.HandoverOut(data).data, status=201)

    @extend_schema(
        summary="Withdraw drivers' e-pass links: they open nothing any more",
        request=links_io.DriverIdsIn,
        responses={200: links_io.DriverLinksOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="driver-links/withdraw")
    def driver_links_withdraw(self, request, number=None):
        pass_obj = self._links_pass()
        wanted = self._input(links_io.DriverIdsIn).get("drivers")
        driver_links.withdraw(pass_obj, wanted, by=request.user)
        return self._links(pass_obj)

    def get_object(self):
        obj = self.get_queryset().filter(number=self.kwargs["number"]).first()
        if obj is None:
            raise NotFound()
        return obj
