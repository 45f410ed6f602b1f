"""``/api/v1/pass-types/`` and ``/api/v1/checkpoints/``: the catalogue a client needs before it
can file anything (required documents, limits, health-proof window; checkpoint ids)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from .. import access
from ..models import Checkpoint, PassType
from . import outputs_issued
from .views_fleet import ERRORS, ID_PATTERN


@extend_schema_view(
    list=extend_schema(summary="List the pass types that can be requested"),
    retrieve=extend_schema(
        summary="Show a pass type", responses={200: outputs_issued.PassTypeOut, **ERRORS}
    ),
)
class PassTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    access_policy = "catalog"
    permission_classes = [IsAuthenticated]
    serializer_class = outputs_issued.PassTypeOut
    lookup_value_regex = ID_PATTERN
    queryset = PassType.objects.filter(is_active=True).order_by("name", "pk")

    def get_queryset(self):
        return access.visible(super().get_queryset(), self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List the checkpoints a route may name"),
    retrieve=extend_schema(
        summary="Show a checkpoint", responses={200: outputs_issued.CheckpointOut, **ERRORS}
    ),
)
class CheckpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    access_policy = "catalog"
    permission_classes = [IsAuthenticated]
    serializer_class = outputs_issued.CheckpointOut
    lookup_value_regex = ID_PATTERN
    queryset = Checkpoint.objects.filter(is_active=True).order_by("name", "pk")

    def get_queryset(self):
        return access.visible(super().get_queryset(), self.request.user)
