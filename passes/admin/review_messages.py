"""The conversation on the review page: the request's messages, a reply box with templates, and
the attachment of a message. Thin handlers around ``passes.messaging.messages``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import access, roles
from ..documents.errors import UploadRejected
from ..errors import WorkflowError
from ..messaging import files, text
from ..messaging.messages import messages_of, post_message
from ..models import PassRequest, ReplyTemplate


def context_for(pass_request) -> dict:
    return {
        "conversation": list(messages_of(pass_request)),
        "reply_templates": list(ReplyTemplate.objects.filter(is_active=True)),
    }


def reply_view(modeladmin):
    @access.policy("messages")
    @require_POST
    def view(request, pk):
        if not roles.can_review(request.user):
            raise PermissionDenied
        # Among the requests the reviewer may see: another office's is a 404, nothing written.
        pass_request = get_object_or_404(
            access.visible_requests(request.user).exclude(status=PassRequest.Status.DRAFT),
            pk=pk,
        )
        # The chosen templates, then the reviewer's own words, one paragraph each.
        body = text.with_templates(
            ReplyTemplate,
            "body",
            request.POST.getlist("reply_templates"),
            request.POST.get("body"),
            separator="\n\n",
        )
        try:
            post_message(
                pass_request, by=request.user, body=body, uploaded_file=request.FILES.get("file")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except (WorkflowError, UploadRejected) as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your reply on %(reference)s was sent to the enterprise.")
                % {"reference": pass_request.reference},
            )
        return HttpResponseRedirect(
            reverse("admin:passes_reviewqueue_change", args=[pk]) + "#messages"
        )

    return view


def message_file_view(modeladmin):
    @access.policy("messages")
    @require_GET
    def view(request, pk, message_id):
        if not roles.can_review(request.user):
            raise PermissionDenied
        message = files.message_file_or_404(request.user, pk, message_id)
        return files.file_response(message.file, message.content_type, message.original_name)

    return view
