"""The verification page of an enterprise: what it filed beside its 营业执照 (the page picture a
worker drew, the machine reading against the filed name and credit code), the verification
history, and verify / suspend with a reason. The change goes through
``workflow.set_enterprise_verification`` (audited, notified)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import access, audit, roles
from ..documents.ocr.presenting import summarize
from ..errors import WorkflowError
from ..models import AuditEvent, Document, DocumentKind, Enterprise
from ..requests import workflow
from .readings import can_reread

Verification = Enterprise.Verification
VERIFICATION_ACTIONS = ("enterprise.register", "enterprise.verified", "enterprise.suspended")


def licences_of(enterprise, limit=3):
    """The enterprise's business licences, its standing one first, newest first."""
    documents = list(
        Document.objects.filter(enterprise=enterprise, kind=DocumentKind.BUSINESS_LICENCE)
        .select_related("reading", "request")
        .order_by("request_id", "-uploaded_at", "-pk")[:limit]
    )
    for doc in documents:
        doc.machine = summarize(doc)
        doc.page_url = _page_url(doc)
        doc.viewer_url = reverse("admin:passes_review_document_viewer", args=[doc.pk])
    return documents


def _page_url(doc):
    try:
        return reverse("admin:passes_review_document_page", args=[doc.pk, 1])
    except NoReverseMatch:
        return ""


def _history(enterprise):
    events = (
        AuditEvent.objects.filter(enterprise=enterprise, action__startswith="enterprise.")
        .select_related("actor")
        .order_by("-created_at", "-pk")[:20]
    )
    return [
        {
            "created_at": event.created_at,
            "actor": audit.actor_name(event.actor),
            "label": audit.action_label(event.action),
            "reason": event.reason,
        }
        for event in events
    ]


def verify_view(modeladmin):
    @access.policy("enterprises")
    @require_http_methods(["GET", "POST"])
    def view(request, pk):
        if not modeladmin.has_view_permission(request):
            raise PermissionDenied
        enterprise = get_object_or_404(modeladmin.get_queryset(request), pk=pk)
        may_decide = roles.can_verify_enterprises(request.user)
        reason = ""
        if request.method == "POST":
            if not may_decide:
                raise PermissionDenied
            decision = request.POST.get("decision")
            reason = request.POST.get("reason", "").strip()
            status = {"verify": Verification.VERIFIED, "suspend": Verification.SUSPENDED}.get(
                decision
            )
            if status is None:
                messages.error(request, _("Choose to verify or to suspend."))
            elif status == Verification.SUSPENDED and not reason:
                messages.error(
                    request, _("Give the reason for suspending: the enterprise sees it.")
                )
            else:
                try:
                    workflow.set_enterprise_verification(
                        enterprise, status=status, by=request.user, reason=reason
                    )
                except WorkflowError as error:
                    messages.error(request, error.message)
                else:
                    done = (
                        _("%(name)s is verified: it can submit requests and they can be approved.")
                        if status == Verification.VERIFIED
                        else _("%(name)s is suspended: it cannot submit requests until verified.")
                    )
                    messages.success(request, done % {"name": enterprise.name})
                    return HttpResponseRedirect(
                        reverse("admin:passes_enterprise_verify", args=[enterprise.pk])
                    )
        context = {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": _("Verify %(name)s") % {"name": enterprise.name},
            "enterprise": enterprise,
            "original": enterprise,
            "licences": licences_of(enterprise),
            "members": list(enterprise.memberships.select_related("user").order_by("pk"))
            if may_decide
            else [],
            "history": _history(enterprise),
            "may_decide": may_decide,
            "can_reread": can_reread(request.user),
            "reason": reason,
            "Verification": Verification,
            "is_nav_sidebar_enabled": False,
        }
        return TemplateResponse(request, "admin/passes/enterprise/verify.html", context)

    return view
