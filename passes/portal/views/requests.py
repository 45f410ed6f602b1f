"""The request list and the request page: status, timeline, reviewer's reasons, passes."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ... import access, audit
from ...errors import WorkflowError
from ...models import AuditEvent, PassRequest
from ...requests import workflow
from ..access import member_required, owned
from .messaging import message_context

STATUS_LABELS = dict(PassRequest.Status.choices)


@access.policy("requests")
@member_required
def request_list(request):
    queryset = access.visible_requests(request.user).select_related("pass_type")
    status = request.GET.get("status", "")
    if status in PassRequest.Status.values:
        queryset = queryset.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(reference__icontains=query) | queryset.filter(
            items__vehicle__plate__icontains=query
        )
        queryset = queryset.distinct()
    page = Paginator(queryset.order_by("-updated_at"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "passes/portal/request_list.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": PassRequest.Status.choices,
        },
    )


def _actor(event):
    user = event.actor
    if user is None:
        return _("System")
    name = audit.actor_name(user)
    if user.is_staff:
        return _("Traffic office (%(name)s)") % {"name": name}
    return name


def timeline(pass_request):
    events = AuditEvent.objects.filter(request=pass_request).select_related("actor", "pass_obj")
    rows = []
    for event in events.order_by("created_at", "id"):
        rows.append(
            {
                "event": event,
                "label": audit.action_label(event.action),
                "actor": _actor(event),
                "from": STATUS_LABELS.get(event.from_status, event.from_status),
                "to": STATUS_LABELS.get(event.to_status, event.to_status),
                "moved": event.from_status != event.to_status,
            }
        )
    return rows


def document_reasons(pass_request):
    """The reviewer's per-document reasons of the latest return, by document id."""
    latest = (
        AuditEvent.objects.filter(request=pass_request, action="request.return")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return {}, None
    raw = (latest.data or {}).get("documents") or {}
    return {int(k): v for k, v in raw.items() if str(k).isdigit()}, latest


@access.policy("requests")
@member_required
def request_detail(request, pk):
    pass_request = owned(
        request, PassRequest.objects.select_related("pass_type", "enterprise"), pk=pk
    )
    reasons, return_event = document_reasons(pass_request)
    documents = list(
        pass_request.documents.select_related("item__vehicle", "driver", "reading").order_by(
            "kind", "uploaded_at"
        )
    )
    for document in documents:
        document.review_reason = reasons.get(document.pk, "")
    # Reasons given for documents since replaced or removed, so nothing the reviewer said is lost.
    present = {d.pk for d in documents}
    gone_reasons = [reason for doc_id, reason in reasons.items() if doc_id not in present]
    allowed = workflow.allowed_actions(pass_request)
    return render(
        request,
        "passes/portal/request_detail.html",
        {
            "request_obj": pass_request,
            "items": pass_request.items.select_related("vehicle").prefetch_related("drivers"),
            "checkpoints": pass_request.checkpoints.all(),
            "documents": documents,
            "gone_reasons": gone_reasons,
            "return_event": return_event
            if pass_request.status == PassRequest.Status.RETURNED
            else None,
            "timeline": timeline(pass_request),
            "passes": pass_request.passes.order_by("number"),
            "renewed_numbers": list(
                pass_request.items.filter(renews__isnull=False)
                .order_by("renews__number")
                .values_list("renews__number", flat=True)
            ),
            "can_withdraw": "withdraw" in allowed,
            "can_edit": pass_request.is_editable,
            "missing": workflow.missing_documents(pass_request) if pass_request.is_editable else [],
            **message_context(request, pass_request),
        },
    )


@access.policy("requests")
@member_required
def request_withdraw(request, pk):
    pass_request = owned(request, PassRequest, pk=pk)
    back = reverse("passes:request-detail", args=[pk])
    if request.method == "POST":
        try:
            workflow.withdraw(pass_request, by=request.user)
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Request %(reference)s was withdrawn.") % {"reference": pass_request.reference},
            )
        return redirect(back)
    return render(
        request,
        "passes/portal/confirm.html",
        {
            "title": _("Withdraw request %(reference)s?") % {"reference": pass_request.reference},
            "question": _(
                "A withdrawn request cannot be submitted again; you would have to file a new one."
            ),
            "confirm_label": _("Withdraw the request"),
            "danger": True,
            "cancel_url": back,
        },
    )
