"""The review page and its endpoints: claim, assign, decide, mark a document.

Each endpoint is a thin POST handler calling ``requests.workflow`` or ``requests.review`` and
showing their ``WorkflowError`` as an admin message; the page itself loads everything it shows
in a fixed number of queries (no per-document or per-vehicle query).
"""

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access, audit, roles
from ..documents import previews
from ..documents.ocr.presenting import summarize
from ..errors import WorkflowError
from ..models import (
    Document,
    DocumentReview,
    DocumentView,
    PassRequest,
    RequestItem,
    ReturnReasonTemplate,
)
from ..requests import guards, renewal, review, workflow
from . import review_messages
from .documents_view import document_file, document_page, document_viewer  # noqa: F401
from .readings import can_reread

Status = PassRequest.Status
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _page_url(pk):
    return reverse("admin:passes_reviewqueue_change", args=[pk])


def _queue_url():
    return reverse("admin:passes_reviewqueue_changelist")


def _require_reviewer(request):
    if not roles.can_review(request.user):
        raise PermissionDenied


def thumbnail_url(document):
    """The stored thumbnail, or the placeholder while a worker prepares it (asking for it
    queues the drawing); none once drawing failed (the reason is shown instead)."""
    if not document.thumbnail and document.preview_status == Document.PreviewStatus.FAILED:
        return None
    try:
        return reverse("passes:document-thumbnail", args=[document.pk])
    except NoReverseMatch:
        return None


def _local_input(value):
    return timezone.localtime(value).strftime(DATETIME_INPUT) if value else ""


def _parse_input(value):
    try:
        parsed = datetime.datetime.strptime((value or "").strip(), DATETIME_INPUT)
    except ValueError:
        return None
    return timezone.make_aware(parsed)


def load_request(pk, user):
    """The request with what its page shows, among those ``user`` may see (else 404)."""
    items = RequestItem.objects.select_related("vehicle").prefetch_related("drivers")
    return get_object_or_404(
        access.visible_requests(user, PassRequest.objects.all())
        .select_related("enterprise", "pass_type", "assigned_reviewer")
        .prefetch_related("checkpoints", Prefetch("items", queryset=items.order_by("pk"))),
        pk=pk,
    )


def documents_for(pass_request, user):
    """The documents the request relies on (``Document.objects.relied_on_by``): its own and the
    standing ones of its vehicles, drivers and enterprise."""
    return list(
        Document.objects.relied_on_by(pass_request)
        .select_related("review__reviewer", "item__vehicle", "vehicle", "driver", "reading")
        .annotate(
            seen_by_me=Exists(DocumentView.objects.filter(document=OuterRef("pk"), user=user))
        )
        .order_by("request_id", "kind", "uploaded_at", "pk")
    )


def _reviewers():
    User = get_user_model()
    perm = Q(groups__permissions__codename="review_passrequest") | Q(
        user_permissions__codename="review_passrequest"
    )
    return list(
        User.objects.filter(perm | Q(is_superuser=True), is_active=True, is_staff=True)
        .distinct()
        .order_by("username")
    )


def review_view(modeladmin, request, object_id):
    if not modeladmin.has_view_permission(request):
        raise PermissionDenied
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise Http404 from None
    obj = load_request(pk, request.user)  # another office's request: as if it did not exist
    items = list(obj.items.all())
    documents = documents_for(obj, request.user)
    for doc in documents:
        doc.thumb_url = thumbnail_url(doc)
        doc.verdict = getattr(doc, "review", None) if doc.request_id else None
        doc.machine = summarize(doc)
        doc.preview_problem = previews.reason_text(doc)
    by_item = {item.pk: [] for item in items}
    by_driver = {}
    for doc in documents:
        if doc.item_id in by_item and not doc.driver_id:
            by_item[doc.item_id].append(doc)
        if doc.driver_id:
            by_driver.setdefault(doc.driver_id, []).append(doc)
    for item in items:
        item.plate_documents = [
            doc for doc in documents if doc.vehicle_id == item.vehicle_id and not doc.request_id
        ] + by_item[item.pk]
        item.driver_list = list(item.drivers.all())
        for driver in item.driver_list:
            driver.doc_list = by_driver.get(driver.pk, [])
    user = request.user
    in_queue = obj.status in PassRequest.QUEUE_STATUSES
    holds = obj.assigned_reviewer_id == user.pk
    can_assign = roles.can_assign(user)
    max_until = (
        obj.valid_from + datetime.timedelta(days=obj.pass_type.max_validity_days)
        if obj.valid_from
        else None
    )
    context = {
        **modeladmin.admin_site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "opts": modeladmin.model._meta,
        "title": _("Review %(reference)s") % {"reference": obj.reference},
        "subtitle": obj.enterprise.name,
        "original": obj,
        "req": obj,
        "items": items,
        "documents": documents,
        "general_documents": [
            doc for doc in documents if not (doc.item_id or doc.driver_id or doc.vehicle_id)
        ],
        "flagged": [
            doc
            for doc in documents
            if doc.verdict and doc.verdict.verdict == DocumentReview.Verdict.FLAGGED
        ],
        "warnings": review.warnings_for([obj])[obj.pk],
        "missing": workflow.missing_documents(obj) if in_queue else [],
        "history": _history(obj),
        "renewal": renewal.compare(obj),
        "renewal_problem": renewal.clean_renewal_problem(obj),
        "templates": ReturnReasonTemplate.objects.filter(is_active=True),
        "reviewers": _reviewers() if can_assign and in_queue else [],
        "in_queue": in_queue,
        "holds": holds,
        "can_claim": in_queue and not holds and (obj.assigned_reviewer_id is None),
        "can_decide": guards.may_decide(user, obj),
        "can_assign": can_assign and in_queue,
        "valid_from_input": _local_input(obj.valid_from),
        "valid_until_input": _local_input(obj.valid_until),
        "max_until": max_until,
        "max_until_input": _local_input(max_until),
        "verdicts": DocumentReview.Verdict,
        **review_messages.context_for(obj),
        "machine_mismatches": [(doc, line) for doc in documents for line in doc.machine.mismatches],
        "can_reread": can_reread(user),
    }
    return TemplateResponse(request, "admin/passes/reviewqueue/review.html", context)


def _history(obj):
    """The request's events in words: a translated label, the actor's name, the new state."""
    statuses = dict(PassRequest.Status.choices)
    return [
        {
            "created_at": event.created_at,
            "actor": audit.actor_name(event.actor),
            "label": audit.action_label(event.action),
            "to_status": statuses.get(event.to_status, "")
            if event.to_status != event.from_status
            else "",
            "reason": event.reason,
        }
        for event in obj.audit_events.select_related("actor").order_by("created_at", "pk")
    ]


def _run(request, operation, success):
    try:
        result = operation()
    except WorkflowError as error:
        messages.error(request, error.message)
        return None, False
    if success:
        messages.success(request, success(result) if callable(success) else success)
    return result, True


def claim_view(modeladmin):
    @access.policy("requests")
    @require_POST
    def view(request, pk):
        _require_reviewer(request)
        obj = get_object_or_404(access.visible_requests(request.user), pk=pk)
        _run(
            request,
            lambda: workflow.claim(obj, by=request.user),
            _("You are reviewing %(reference)s.") % {"reference": obj.reference},
        )
        return HttpResponseRedirect(_page_url(pk))

    return view


def claim_next_view(modeladmin):
    """Claim the oldest unassigned request and open it: one click from the queue."""

    @access.policy("requests")
    @require_POST
    def view(request):
        _require_reviewer(request)
        candidates = access.visible_requests(
            request.user,
            PassRequest.objects.filter(status=Status.SUBMITTED, assigned_reviewer__isnull=True),
        ).order_by("submitted_at", "pk")
        for obj in candidates[:5]:
            try:
                workflow.claim(obj, by=request.user)
            except WorkflowError:
                continue  # someone was quicker; try the next one
            messages.success(
                request, _("You are reviewing %(reference)s.") % {"reference": obj.reference}
            )
            return HttpResponseRedirect(_page_url(obj.pk))
        messages.info(request, _("Nothing is waiting to be claimed."))
        return HttpResponseRedirect(_queue_url())

    return view


def assign_view(modeladmin):
    @access.policy("requests")
    @require_POST
    def view(request, pk):
        if not roles.can_assign(request.user):
            raise PermissionDenied
        obj = get_object_or_404(access.visible_requests(request.user), pk=pk)
        reviewer = get_user_model().objects.filter(pk=request.POST.get("reviewer")).first()
        if reviewer is None:
            messages.error(request, _("Choose a reviewer."))
        else:
            _run(
                request,
                lambda: workflow.assign(obj, reviewer=reviewer, by=request.user),
                _("%(reference)s is now assigned to %(reviewer)s.")
                % {"reference": obj.reference, "reviewer": reviewer.get_username()},
            )
        return HttpResponseRedirect(_page_url(pk))

    return view


def _approve(request, obj):
    valid_from = _parse_input(request.POST.get("valid_from"))
    valid_until = _parse_input(request.POST.get("valid_until"))
    if not (valid_from and valid_until):
        messages.error(request, _("Give the validity window as date and time."))
        return False

    def success(passes):
        return _("%(reference)s approved; passes issued: %(numbers)s.") % {
            "reference": obj.reference,
            "numbers": "、".join(p.number for p in passes),
        }

    _result, ok = _run(
        request,
        lambda: workflow.approve(
            obj,
            by=request.user,
            valid_from=valid_from,
            valid_until=valid_until,
            # The reviewer's own tick; the workflow refuses flagged documents without it.
            acknowledge_flags=request.POST.get("despite_flags") == "1",
        ),
        success,
    )
    return ok


def _return(request, obj):
    flagged = guards.flagged_reasons(obj)
    reason = review.compose_return_reason(
        request.POST.getlist("templates"), request.POST.get("reason", "")
    )
    if not reason and flagged:
        names = dict(Document.objects.filter(pk__in=flagged).values_list("pk", "original_name"))
        reason = "\n".join(f"{names.get(pk, pk)}: {text}" for pk, text in flagged.items())
    _result, ok = _run(
        request,
        lambda: workflow.return_for_changes(
            obj, by=request.user, reason=reason, document_reasons=flagged
        ),
        _("%(reference)s returned to the enterprise for changes.") % {"reference": obj.reference},
    )
    return ok


def _reject(request, obj):
    # Rejection is final (no 补正): the reviewer confirms it, in the form and here.
    if request.POST.get("final") != "1":
        messages.error(
            request,
            _("Tick that rejecting is final to reject %(reference)s; or return it for changes.")
            % {"reference": obj.reference},
        )
        return False
    _result, ok = _run(
        request,
        lambda: workflow.reject(obj, by=request.user, reason=request.POST.get("reason", "")),
        _("%(reference)s rejected.") % {"reference": obj.reference},
    )
    return ok


def _approve_renewal(request, obj):
    """A renewal that changes nothing but its window: claimed (if needed) and approved at once,
    with the window the applicant asked for."""

    def success(passes):
        return _("%(reference)s approved; passes issued: %(numbers)s.") % {
            "reference": obj.reference,
            "numbers": "、".join(p.number for p in passes),
        }

    _result, ok = _run(
        request, lambda: renewal.approve_clean_renewal(obj, by=request.user), success
    )
    return ok


DECISIONS = {
    "approve": _approve,
    "return": _return,
    "reject": _reject,
    "renewal": _approve_renewal,
}


def decide_view(modeladmin):
    @access.policy("requests")
    @require_POST
    def view(request, pk, decision):
        _require_reviewer(request)
        if decision not in DECISIONS:
            raise Http404
        obj = get_object_or_404(access.visible_requests(request.user), pk=pk)
        if DECISIONS[decision](request, obj):
            return HttpResponseRedirect(_queue_url())
        return HttpResponseRedirect(_page_url(pk))

    return view


def mark_document_view(modeladmin):
    @access.policy("documents")
    @require_POST
    def view(request, pk):
        _require_reviewer(request)
        document = get_object_or_404(
            access.visible_documents(request.user), pk=pk, request__isnull=False
        )
        verdict = request.POST.get("verdict")
        if verdict not in DocumentReview.Verdict.values:
            raise Http404
        label = DocumentReview.Verdict(verdict).label
        _run(
            request,
            lambda: review.mark_document(
                document, verdict=verdict, by=request.user, reason=request.POST.get("reason", "")
            ),
            _("%(name)s: %(verdict)s.") % {"name": document.original_name, "verdict": label},
        )
        return HttpResponseRedirect(f"{_page_url(document.request_id)}#doc-{document.pk}")

    return view
