"""``/api/v1/vehicles/`` and ``/api/v1/drivers/``: the caller's enterprise's fleet."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import access
from ..enterprises import bulk as bulk_fleet
from ..enterprises import fleet
from . import inputs, outputs, outputs_issued
from .access import EnterpriseScoped, IsEnterpriseMember
from .idempotency import HEADER, idempotent

ID_PATTERN = "[0-9]{1,18}"
ERRORS = {
    400: outputs.ErrorOut,
    401: outputs.ErrorOut,
    403: outputs.ErrorOut,
    404: outputs.ErrorOut,
    409: outputs.ErrorOut,
}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same key again to get the first response back instead of a "
    "second object (kept 24 hours, per user).",
)


class FleetViewSet(EnterpriseScoped, viewsets.GenericViewSet):
    """List, create, show, change and delete; the services do the checking and auditing."""

    access_policy = "fleet"

    permission_classes = [IsAuthenticated, IsEnterpriseMember]
    lookup_value_regex = ID_PATTERN
    input_class = None
    output_class = None

    def get_serializer_class(self):
        return self.output_class

    def _input(self, *, partial=False) -> dict:
        serializer = self.input_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _out(self, obj, code=status.HTTP_200_OK):
        return Response(self.output_class.represent(obj), status=code)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.output_class.represent(page, many=True))

    def retrieve(self, request, pk=None):
        return self._out(self.get_object())

    def update(self, request, pk=None):
        return self._out(self.change(self.get_object(), self._input()))

    def partial_update(self, request, pk=None):
        return self._out(self.change(self.get_object(), self._input(partial=True)))

    @idempotent
    def create(self, request):
        return self._out(self.add(self._input()), status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _fleet_schema(input_class, output_class, noun):
    return extend_schema_view(
        list=extend_schema(summary=f"List your {noun}s", responses={200: output_class(many=True)}),
        create=extend_schema(
            summary=f"Add a {noun}",
            request=input_class,
            responses={201: output_class, **ERRORS},
            parameters=[IDEMPOTENCY_PARAMETER],
        ),
        retrieve=extend_schema(summary=f"Show a {noun}", responses={200: output_class, **ERRORS}),
        update=extend_schema(
            summary=f"Replace a {noun}'s details",
            request=input_class,
            responses={200: output_class, **ERRORS},
        ),
        partial_update=extend_schema(
            summary=f"Change some of a {noun}'s details",
            request=input_class,
            responses={200: output_class, **ERRORS},
        ),
        destroy=extend_schema(
            summary=f"Delete a {noun} (refused while it is on a valid pass or a request)",
            responses={204: None, **ERRORS},
        ),
    )


@_fleet_schema(inputs.VehicleIn, outputs.VehicleOut, "vehicle")
class VehicleViewSet(FleetViewSet):
    input_class = inputs.VehicleIn
    output_class = outputs.VehicleOut

    def get_queryset(self):
        return access.visible_vehicles(self.request.user).order_by("plate", "id")

    def add(self, data):
        return fleet.create_vehicle(enterprise=self.enterprise, by=self.request.user, data=data)

    def change(self, vehicle, data):
        return fleet.update_vehicle(vehicle, by=self.request.user, data=data)

    def remove(self, vehicle):
        fleet.delete_vehicle(vehicle, by=self.request.user)

    @extend_schema(
        summary="Add many vehicles; bad rows come back with the reason (as the import does)",
        request=inputs.VehicleBulkIn,
        responses={200: outputs_issued.VehicleBulkOut, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        serializer = inputs.VehicleBulkIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        created, errors = bulk_fleet.create_vehicles(
            enterprise=self.enterprise, by=request.user, rows=serializer.validated_data["vehicles"]
        )
        return Response({"created": outputs.VehicleOut(created, many=True).data, "errors": errors})


@_fleet_schema(inputs.DriverIn, outputs.DriverOut, "driver")
class DriverViewSet(FleetViewSet):
    input_class = inputs.DriverIn
    output_class = outputs.DriverOut

    def get_queryset(self):
        return access.visible_drivers(self.request.user).order_by("name", "id")

    def add(self, data):
        return fleet.create_driver(enterprise=self.enterprise, by=self.request.user, data=data)

    def change(self, driver, data):
        return fleet.update_driver(driver, by=self.request.user, data=data)

    def remove(self, driver):
        fleet.delete_driver(driver, by=self.request.user)

    @extend_schema(
        summary="Add many drivers; bad rows come back with the reason (as the import does)",
        request=inputs.DriverBulkIn,
        responses={200: outputs_issued.DriverBulkOut, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        serializer = inputs.DriverBulkIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        created, errors = bulk_fleet.create_drivers(
            enterprise=self.enterprise, by=request.user, rows=serializer.validated_data["drivers"]
        )
        return Response({"created": outputs.DriverOut(created, many=True).data, "errors": errors})
