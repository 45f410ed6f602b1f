"""Messages on one request between the enterprise and the office, in place of phone calls.

Only the enterprise's members and the office's reviewers and officers may read or write them
(everyone else gets the same answer as for a request that does not exist). Each message is an
audit event; an office reply is notified to the enterprise through the outbox and marks the
enterprise's open messages answered, which clears the queue's "unanswered" mark.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, audit, roles
from .. import notifications as ev
from ..errors import WorkflowError
from ..models import PassRequest, RequestMessage
from ..notifications import queue_event
from ..ratelimit import hit
from .text import clean

MAX_LENGTH = 4000


class MessageRateLimited(WorkflowError):
    """Too many messages from one person in a short time (HTTP 429 in the API)."""

    def __init__(self):
        super().__init__(
            _("You have sent many messages in a short time. Please wait a few minutes."),
            code="rate_limited",
        )


def is_office(user) -> bool:
    return roles.can_review(user) and roles.enterprise_of(user) is None


def can_see_messages(user, pass_request) -> bool:
    """Members of the request's enterprise; the office (reviewers and officers of the request's
    office, ``access``) once the request has been filed: it never sees an enterprise's drafts."""
    if roles.is_member(user, pass_request.enterprise_id):
        return True
    return (
        is_office(user)
        and pass_request.status != PassRequest.Status.DRAFT
        and access.visible_requests(user).filter(pk=pass_request.pk).exists()
    )


def messages_of(pass_request):
    return RequestMessage.objects.filter(request=pass_request).select_related("author")


def unanswered():
    """A condition for PassRequest querysets: an enterprise message waits for an answer."""
    return Exists(
        RequestMessage.objects.filter(
            request=OuterRef("pk"), from_office=False, answered_at__isnull=True
        )
    )


def post_message(pass_request, *, by, body, uploaded_file=None) -> RequestMessage:
    """Add a message by ``by`` to ``pass_request``.

    Raises ``WorkflowError`` (``not_allowed``) when ``by`` may not talk on this request,
    ``MessageRateLimited`` past the per-person limit, ``ValidationError`` for an empty or too
    long message and ``UploadRejected`` for a refused attachment."""
    if not can_see_messages(by, pass_request):
        raise WorkflowError(_("You cannot write on this request."), code="not_allowed")
    if pass_request.status == PassRequest.Status.DRAFT:
        raise WorkflowError(
            _("Messages can be sent once the request is submitted."), code="not_filed"
        )
    from_office = is_office(by)
    body = clean(body)
    if not body and uploaded_file is None:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            {"body": _("A message can have at most %(max)d characters.") % {"max": MAX_LENGTH}}
        )
    count, window = settings.PASSDESK_MESSAGE_RATE_LIMIT
    if not hit(f"messages:{by.pk}", count, window):
        raise MessageRateLimited()
    inspected = None
    if uploaded_file is not None:
        from ..documents.inspection import inspect_upload

        inspected = inspect_upload(uploaded_file)  # outside the transaction: it may take a while
    stored = None
    try:
        with transaction.atomic():
            locked = PassRequest.objects.select_for_update().get(pk=pass_request.pk)
            message = RequestMessage(request=locked, author=by, from_office=from_office, body=body)
            if inspected is not None:
                message.original_name = inspected.name
                message.content_type = inspected.content_type
                message.size = inspected.size
                message.sha256 = inspected.sha256
                message.file.save(inspected.name, uploaded_file, save=False)
                stored = message.file.name
            message.save()
            event = audit.record(
                "request.message",
                actor=by,
                request=locked,
                reason=body,
                data={
                    "message": message.pk,
                    "from_office": from_office,
                    "attachment": message.original_name,
                    "sha256": message.sha256,
                },
            )
            if from_office:
                RequestMessage.objects.filter(
                    request=locked, from_office=False, answered_at__isnull=True
                ).update(answered_at=timezone.now())
                queue_event(ev.REQUEST_MESSAGE, object_id=locked.pk, audit_event_id=event.pk)
    except BaseException:
        if stored:
            RequestMessage.file.field.storage.delete(stored)
        raise
    return message
