"""Machine readings in the review area: the re-read action for officers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access, roles
from ..documents.ocr import services as ocr


def can_reread(user) -> bool:
    """Officers (科长) ask for a re-read; reviewers see the readings."""
    return roles.can_assign(user)


def reread_view(modeladmin):
    @access.policy("documents")
    @require_POST
    def view(request, pk):
        if not can_reread(request.user):
            raise PermissionDenied
        document = get_object_or_404(access.visible_documents(request.user), pk=pk)
        ocr.reread(document, by=request.user)
        messages.success(
            request,
            _("%(name)s will be machine-read again; the result appears here in a few seconds.")
            % {"name": document.original_name},
        )
        target = request.POST.get("next") or reverse("admin:passes_reviewqueue_changelist")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = reverse("admin:passes_reviewqueue_changelist")
        return HttpResponseRedirect(f"{target}#doc-{document.pk}")

    return view
