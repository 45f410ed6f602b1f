"""Revoking passes from the admin: a confirmation page naming each pass (number, plate,
enterprise), asking for the reason and saying what follows, before
``workflow.revoke_pass`` runs for each (audited, notified, in the revocation feed)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from .. import access, roles
from ..errors import WorkflowError
from ..models import Pass
from ..requests import workflow

MAX_AT_ONCE = 200


def _ids(values) -> list[int]:
    found = []
    for value in values:
        for part in str(value).split(","):
            if part.strip().isdigit():
                found.append(int(part))
    return found[:MAX_AT_ONCE]


def revoke_url(ids) -> str:
    return reverse("admin:passes_pass_revoke") + "?ids=" + ",".join(str(pk) for pk in ids)


def revoke_view(modeladmin):
    @access.policy("passes")
    @require_http_methods(["GET", "POST"])
    def view(request):
        if not roles.can_revoke(request.user):
            raise PermissionDenied
        ids = _ids(request.POST.getlist("ids") if request.method == "POST" else [])
        ids = ids or _ids(request.GET.getlist("ids"))
        passes = list(
            modeladmin.get_queryset(request)
            .filter(pk__in=ids)
            .select_related("request__enterprise", "request__pass_type")
            .order_by("number")
        )
        live = [p for p in passes if p.status != Pass.Status.REVOKED]
        reason = request.POST.get("reason", "").strip()
        problem = ""
        if request.method == "POST":
            if not reason:
                problem = _("Give the reason: the enterprise and its drivers are told it.")
            elif not live:
                problem = _("None of these passes can be revoked.")
            else:
                done, failed = [], []
                for obj in live:
                    try:
                        workflow.revoke_pass(obj, by=request.user, reason=reason)
                    except WorkflowError as error:
                        failed.append(f"{obj.number}: {error.message}")
                    else:
                        done.append(obj.number)
                if done:
                    messages.success(
                        request,
                        ngettext(
                            "Pass %(numbers)s revoked.",
                            "%(count)d passes revoked: %(numbers)s.",
                            len(done),
                        )
                        % {"count": len(done), "numbers": "、".join(done)},
                    )
                for line in failed:
                    messages.error(request, line)
                return HttpResponseRedirect(reverse("admin:passes_pass_changelist"))
        context = {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": ngettext(
                "Revoke %(count)d pass?", "Revoke %(count)d passes?", max(len(live), 1)
            )
            % {"count": len(live)},
            "passes": passes,
            "live": live,
            "already": [p for p in passes if p.status == Pass.Status.REVOKED],
            "ids": ",".join(str(p.pk) for p in passes),
            "reason": reason,
            "problem": problem,
            "offline_hours": settings.PASSDESK_OFFLINE_MAX_AGE_HOURS,
        }
        return TemplateResponse(request, "admin/passes/pass/revoke_confirm.html", context)

    return view
