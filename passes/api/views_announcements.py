"""``/api/v1/announcements/``: the office's announcements, for enterprise members, scoped as the
portal's (``messaging.audience.for_member``): anything else is a 404.

Reading one here does not mark it read (a GET changes nothing); ``POST …/read/`` does, as
opening it in the portal does.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import access
from ..messaging import announcements, audience, files
from . import downloads, inputs, outputs
from .access import EnterpriseScoped, IsEnterpriseMember
from .views_fleet import ERRORS, ID_PATTERN


class AnnouncementViewSet(EnterpriseScoped, viewsets.GenericViewSet):
    access_policy = "announcements"
    permission_classes = [IsAuthenticated, IsEnterpriseMember]
    serializer_class = outputs.AnnouncementOut
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        members_view = audience.for_member(self.enterprise, self.request.user)
        return access.visible_announcements(self.request.user, members_view).prefetch_related(
            "attachments"
        )

    @extend_schema(
        summary="List the office's announcements for your enterprise, newest first",
        parameters=[OpenApiParameter("unread", bool, description="Only those not read yet.")],
        responses={200: outputs.AnnouncementOut(many=True), **ERRORS},
    )
    def list(self, request):
        serializer = inputs.AnnouncementFilterIn(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        queryset = self.get_queryset()
        unread = serializer.validated_data.get("unread")
        if unread is not None:
            queryset = queryset.filter(is_read=not unread)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(outputs.AnnouncementOut.represent(page, many=True))

    @extend_schema(
        summary="Show an announcement (this does not mark it read)",
        responses={200: outputs.AnnouncementOut, **ERRORS},
    )
    def retrieve(self, request, pk=None):
        return Response(outputs.AnnouncementOut.represent(self.get_object()))

    @extend_schema(
        summary="Mark an announcement read (again is harmless)",
        request=None,
        responses={200: outputs.AnnouncementOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        announcement = self.get_object()
        announcements.mark_read(announcement, request.user)
        announcement.is_read = True
        return Response(outputs.AnnouncementOut.represent(announcement))

    @extend_schema(
        summary="Download an announcement's attachment",
        operation_id="v1_announcements_file",
        responses={(200, "*/*"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"files/(?P<attachment_id>{ID_PATTERN})",
        url_name="file",
        renderer_classes=[JSONRenderer, downloads.FileRenderer],
    )
    def file(self, request, pk=None, attachment_id=None):
        attachment = self.get_object().attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound()
        return files.file_response(
            attachment.file, attachment.content_type, attachment.original_name
        )
