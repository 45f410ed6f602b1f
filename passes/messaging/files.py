"""Serving the files of announcements and request messages: through these checks only, with
the same headers as scanned materials. Anyone who may not see a file gets a 404."""

import logging

from django.http import Http404

from .. import access, roles
from ..documents.files import private_file_response
from ..models import AnnouncementAttachment, RequestMessage
from . import audience
from .messages import can_see_messages

logger = logging.getLogger(__name__)


def can_see_attachment(user, attachment) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm("passes.view_announcement"):
        return True
    enterprise = roles.enterprise_of(user)
    if enterprise is None:
        return False
    return audience.visible_to(enterprise).filter(pk=attachment.announcement_id).exists()


def attachment_or_404(user, announcement_id, pk) -> AnnouncementAttachment:
    attachment = (
        AnnouncementAttachment.objects.select_related("announcement")
        .filter(pk=pk, announcement_id=announcement_id)
        .first()
    )
    if attachment is None or not can_see_attachment(user, attachment):
        raise Http404
    return attachment


def message_file_or_404(user, request_id, pk) -> RequestMessage:
    message = (
        access.visible_messages(user, RequestMessage.objects.select_related("request"))
        .filter(pk=pk, request_id=request_id)
        .exclude(file="")
        .first()
    )
    if message is None or not can_see_messages(user, message.request):
        raise Http404
    return message


def file_response(field, content_type, name, *, download=True):
    """The stored file through the one private-file response (``documents.files``)."""
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError):
        logger.error("stored file %s is missing", field.name)
        raise Http404 from None
    return private_file_response(
        handle, content_type=content_type, filename=name, attachment=download
    )
