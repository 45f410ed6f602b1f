"""我的通行证: the enterprise's passes with filters and days left, printing a selection as one
PDF, renewing (续期) one pass or a selection, and the page shown after a request is submitted."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ... import access
from ...errors import WorkflowError
from ...issuing import listing, printing
from ...models import PassRequest
from ...reporting import dashboard
from ...requests import renewal
from ...wording import durations
from ..access import member_required, owned


def _selected(request):
    numbers = [n for n in request.POST.getlist("passes") if n.isdigit() and len(n) == 12]
    return list(
        access.visible_passes(request.user, listing.base_queryset()).filter(number__in=numbers)
    )


@access.policy("passes")
@member_required
def pass_list(request):
    state = request.GET.get("state", "")
    if state not in listing.PassState.values:
        state = ""
    queryset = access.visible_passes(request.user, listing.base_queryset())
    counts = listing.state_counts(queryset)
    shown = listing.filter_passes(queryset, state=state, plate=request.GET.get("q", "").strip())
    now = timezone.now()
    page = Paginator(listing.book_order(shown, now=now), 50).get_page(request.GET.get("page"))
    rows = [
        {
            "pass": p,
            "status": p.shown_status(now),
            "days_left": listing.days_left(p, now=now),
            "renewable": p.status != p.Status.REVOKED,
        }
        for p in page.object_list
    ]
    return render(
        request,
        "passes/portal/pass_list.html",
        {
            "page": page,
            "rows": rows,
            "state": state,
            "query": request.GET.get("q", "").strip(),
            "states": [(value, label, counts[value]) for value, label in listing.PassState.choices],
            "total": queryset.count(),
        },
    )


@access.policy("passes")
@require_POST
@member_required
def pass_print(request):
    passes = _selected(request)
    try:
        content = printing.selection_pdf(passes)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("passes:pass-list")
    return printing.selection_response(content)


def _back(request) -> str:
    """Where the list was (its filters kept): only a path on this site, never elsewhere."""
    back = request.POST.get("back", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("passes:pass-list")


@access.policy("passes")
@require_POST
@member_required
def pass_renew(request):
    """One action: a renewal request per source request, submitted at once when nothing new
    is needed; otherwise the applicant is taken to what is missing."""
    try:
        filed = renewal.file_renewals(
            _selected(request),
            by=request.user,
            declaration_accepted=request.POST.get("declaration") == "1",
        )
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect(_back(request))
    drafts = [r for r in filed if r.status == PassRequest.Status.DRAFT]
    for draft in drafts:
        needed = renewal.still_needed(draft)
        messages.warning(
            request,
            _("Renewal %(reference)s is saved as a draft; still needed: %(needed)s.")
            % {
                "reference": draft.reference,
                "needed": renewal.needed_sentence(needed) or _("accept the declaration"),
            },
        )
    if len(filed) == 1 and drafts:
        step = "documents" if renewal.still_needed(drafts[0]) else "review"
        return redirect("passes:request-step", pk=drafts[0].pk, step=step)
    if len(filed) == 1:
        return redirect("passes:request-submitted", pk=filed[0].pk)
    submitted = [r.reference for r in filed if r not in drafts]
    if submitted:
        messages.success(
            request,
            _("Renewal requests submitted: %(references)s.") % {"references": "、".join(submitted)},
        )
    return redirect("passes:request-list")


@access.policy("requests")
@member_required
def request_submitted(request, pk):
    """What happens next, and how long a decision takes at the moment (the dashboard's median
    over the last 30 days)."""
    pass_request = owned(request, PassRequest.objects.select_related("pass_type"), pk=pk)
    if pass_request.status not in (PassRequest.Status.SUBMITTED, PassRequest.Status.IN_REVIEW):
        return redirect("passes:request-detail", pk=pk)
    median = dashboard.median_decision_time(timezone.now() - datetime.timedelta(days=30))
    return render(
        request,
        "passes/portal/request_submitted.html",
        {
            "request_obj": pass_request,
            "median": durations.elapsed(median) if median is not None else None,
            "renewal": renewal.is_renewal(pass_request),
        },
    )
