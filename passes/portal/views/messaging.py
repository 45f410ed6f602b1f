"""Announcements, the FAQ and the messages on a request, as enterprise members see them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ... import access
from ...documents.errors import UploadRejected
from ...errors import WorkflowError
from ...messaging import announcements, audience, files
from ...messaging.messages import messages_of, post_message
from ...models import FaqEntry, PassRequest
from ..access import member_required, owned

DRAFT_KEY = "passdesk_message_draft"


def _visible(request):
    return audience.for_member(request.enterprise, request.user)


@access.policy("announcements")
@member_required
def announcement_list(request):
    page = Paginator(_visible(request), 20).get_page(request.GET.get("page"))
    return render(request, "passes/portal/announcement_list.html", {"page": page})


@access.policy("announcements")
@member_required
def announcement_detail(request, pk):
    announcement = get_object_or_404(_visible(request).prefetch_related("attachments"), pk=pk)
    announcements.mark_read(announcement, request.user)
    return render(request, "passes/portal/announcement_detail.html", {"announcement": announcement})


@access.policy("announcements")
@require_GET
@member_required
def announcement_file(request, pk, attachment_id):
    attachment = files.attachment_or_404(request.user, pk, attachment_id)
    return files.file_response(
        attachment.file,
        attachment.content_type,
        attachment.original_name,
        download=request.GET.get("download") in ("1", "true"),
    )


@access.public("the office's published answers")
def faq(request):
    """Public: people ask questions before they have an account, too."""
    entries = FaqEntry.objects.filter(is_published=True)
    query = request.GET.get("q", "").strip()[:100]
    topic = request.GET.get("topic", "")
    if query:
        entries = entries.filter(Q(question__icontains=query) | Q(answer__icontains=query))
    if topic in FaqEntry.Topic.values:
        entries = entries.filter(topic=topic)
    else:
        topic = ""
    # In the order a request is filed (general, type, details, ... review), as the wizard goes.
    order = {value: index for index, value in enumerate(FaqEntry.Topic.values)}
    groups = {}
    for entry in sorted(entries, key=lambda e: (order.get(e.topic, 99), e.position, e.pk)):
        groups.setdefault(entry.get_topic_display(), []).append(entry)
    return render(
        request,
        "passes/portal/faq.html",
        {"groups": groups, "query": query, "topic": topic, "topics": FaqEntry.Topic.choices},
    )


@access.policy("messages")
@require_POST
@member_required
def message_post(request, pk):
    pass_request = owned(request, PassRequest, pk=pk)
    back = reverse("passes:request-detail", args=[pk]) + "#messages"
    try:
        post_message(
            pass_request,
            by=request.user,
            body=request.POST.get("body", ""),
            uploaded_file=request.FILES.get("file"),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except (WorkflowError, UploadRejected) as error:
        # Keep what was typed: the page offers it again in the message box.
        request.session[DRAFT_KEY] = {str(pk): request.POST.get("body", "")[:4000]}
        messages.error(request, error.message)
        if getattr(error, "code", "") == "rate_limited":
            return render(
                request, "passes/portal/locked_out.html", {"message": error.message}, status=429
            )
    else:
        request.session.pop(DRAFT_KEY, None)
        messages.success(request, _("Your message was sent to the traffic office."))
    return redirect(back)


def message_context(request, pass_request) -> dict:
    """What the request page shows of the conversation (see ``request_detail``)."""
    draft = (request.session.get(DRAFT_KEY) or {}).get(str(pass_request.pk), "")
    return {
        "conversation": list(messages_of(pass_request)),
        "message_draft": draft,
        "faq_url": reverse("passes:faq"),
    }


@access.policy("messages")
@require_GET
@member_required
def message_file(request, pk, message_id):
    owned(request, PassRequest, pk=pk)
    message = files.message_file_or_404(request.user, pk, message_id)
    return files.file_response(message.file, message.content_type, message.original_name)
