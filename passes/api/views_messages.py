"""``/api/v1/requests/{id}/messages/`` (enterprise members) and
``/api/v1/review/{id}/messages/`` (the office): the conversation on one request.

Requests are looked up among the caller's own (members) or among filed requests (the office),
so anyone else's request is a 404, exactly like one that does not exist.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..messaging import files
from ..messaging.messages import MessageRateLimited, messages_of, post_message
from ..models import PassRequest
from . import downloads, inputs, outputs
from .access import EnterpriseScoped, IsEnterpriseMember, IsReviewer
from .errors import ApiError
from .views_fleet import ERRORS


class _Conversation(APIView):
    access_policy = "messages"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def requests(self):
        raise NotImplementedError

    def _request(self, pk):
        pass_request = self.requests().filter(pk=pk).first()
        if pass_request is None:
            raise Http404
        return pass_request

    def get(self, request, pk):
        messages = messages_of(self._request(pk))
        return Response(outputs.MessageOut(messages, many=True).data)

    def post(self, request, pk):
        pass_request = self._request(pk)
        serializer = inputs.MessageIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            message = post_message(
                pass_request, by=request.user, body=data["body"], uploaded_file=data.get("file")
            )
        except MessageRateLimited as error:
            raise ApiError(error.message, code=error.code, status_code=429) from None
        return Response(outputs.MessageOut(message).data, status=status.HTTP_201_CREATED)


LIST = {
    "summary": "The messages on a request, oldest first",
    "responses": {200: outputs.MessageOut(many=True), **ERRORS},
}
POST = {
    "summary": "Write a message on a request (optionally with a PDF or image)",
    "request": {"application/json": inputs.MessageIn, "multipart/form-data": inputs.MessageIn},
    "responses": {
        201: outputs.MessageOut,
        413: outputs.ErrorOut,
        429: outputs.ErrorOut,
        **ERRORS,
    },
}


class RequestMessagesView(EnterpriseScoped, _Conversation):
    permission_classes = [IsAuthenticated, IsEnterpriseMember]

    def requests(self):
        return access.visible_requests(self.request.user)

    @extend_schema(**LIST)
    def get(self, request, pk):
        return super().get(request, pk)

    @extend_schema(**POST)
    def post(self, request, pk):
        return super().post(request, pk)


class ReviewMessagesView(_Conversation):
    permission_classes = [IsAuthenticated, IsReviewer]

    def requests(self):
        # The reviewer's offices' filed requests: another office's conversation is a 404.
        return access.visible_requests(self.request.user).exclude(status=PassRequest.Status.DRAFT)

    @extend_schema(**LIST)
    def get(self, request, pk):
        return super().get(request, pk)

    @extend_schema(**POST)
    def post(self, request, pk):
        return super().post(request, pk)


class MessageFileView(APIView):
    """A message's attachment, for the request's members and the office."""

    access_policy = "messages"

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, downloads.FileRenderer]

    @extend_schema(
        summary="Download a message's attachment",
        responses={(200, "*/*"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, pk, message_id):
        message = files.message_file_or_404(request.user, pk, message_id)
        return files.file_response(message.file, message.content_type, message.original_name)
