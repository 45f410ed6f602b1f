"""The landing page: a dashboard for members, an introduction for everyone else."""

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from ... import access, roles
from ...issuing.listing import EXPIRING_WITHIN
from ...models import Pass, PassRequest


def dashboard_context(enterprise):
    requests = PassRequest.objects.filter(enterprise=enterprise)
    counts = dict(requests.values_list("status").annotate(n=Count("id")).order_by())
    by_status = [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in PassRequest.Status.choices
    ]
    now = timezone.now()
    expiring = (
        Pass.objects.in_force(now)
        .expiring(EXPIRING_WITHIN, now)  # as 我的通行证 counts them
        .filter(request__enterprise=enterprise)
        .select_related("request")
        .order_by("valid_until")[:20]
    )
    return {
        "by_status": by_status,
        "total_requests": sum(counts.values()),
        "returned": requests.filter(status=PassRequest.Status.RETURNED).order_by("-decided_at")[
            :20
        ],
        "drafts": requests.filter(status=PassRequest.Status.DRAFT)
        .select_related("pass_type")
        .order_by("-updated_at")[:20],
        "expiring": expiring,
        "active_passes": Pass.objects.in_force(now).filter(request__enterprise=enterprise).count(),
    }


@access.policy("requests")
def home(request):
    enterprise = roles.enterprise_of(request.user)
    context = {"enterprise": enterprise}
    if enterprise is not None:
        context.update(dashboard_context(enterprise))
        return render(request, "passes/portal/dashboard.html", context)
    return render(request, "passes/home.html", context)
