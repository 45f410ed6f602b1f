"""The officers' dashboard page (``admin/passes/dashboard/``), linked from the admin index."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .. import access
from ..checkpoint.route_figures import off_route_by_checkpoint
from ..models import PassRequest
from ..reporting import charts, dashboard
from ..wording import durations


def can_see_dashboard(user):
    return user.is_active and user.is_staff and user.has_perm("passes.view_dashboard")


@access.policy("requests")  # figures over the requests, passes, events and scans it may see
def dashboard_view(request):
    if not can_see_dashboard(request.user):
        raise PermissionDenied
    figures = dashboard.figures(user=request.user)  # the officer's offices' figures
    from django.utils import timezone

    oldest_age = timezone.now() - figures.backlog_oldest if figures.backlog_oldest else None
    context = {
        **admin.site.each_context(request),
        "title": _("Office dashboard"),
        "figures": figures,
        "oldest_age": durations.elapsed(oldest_age),
        "median_decision": durations.elapsed(figures.median_decision),
        "status_chart": charts.bar_list(
            [(label, count) for _value, label, count in figures.by_status],
            title=_("Requests by status"),
        ),
        "per_day_chart": charts.column_chart(
            [(day.strftime("%m-%d"), count) for day, count in figures.issued_per_day],
            title=_("Passes issued per day, last 30 days"),
        ),
        "backlog_chart": charts.bar_list(
            figures.backlog_buckets, title=_("Backlog by time waiting"), width=360
        ),
        "queue_statuses": ",".join(PassRequest.QUEUE_STATUSES),
        "off_route": off_route_by_checkpoint(user=request.user),
    }
    return TemplateResponse(request, "admin/passes/dashboard.html", context)
