"""Checkpoint scans in the admin: read-only evidence, filtered by verdict, checkpoint and
timing. The inspector is named as a person; a scan whose device clock ran ahead of the server
(judged at its arrival, ``checkpoint.services.record_scan``) or that was uploaded late is
flagged, not shown as an ordinary scan."""

import datetime

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit
from ..models import ScanEvent
from ..wording import durations
from .mixins import PolicyScopedAdmin, ReadOnlyAdminMixin

CLOCK_AHEAD = "clock_ahead_seconds"


class TimingFilter(admin.SimpleListFilter):
    title = gettext_lazy("timing")
    parameter_name = "timing"

    def lookups(self, request, model_admin):
        return [
            ("ahead", _("Device clock ahead of the server")),
            ("late", _("Uploaded late")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "ahead":
            return queryset.filter(details__has_key=CLOCK_AHEAD)
        if self.value() == "late":
            return queryset.filter(is_late=True)
        return queryset


def timing_flag(scan) -> str:
    """Why the scan's time is not to be taken at face value, in words; empty when it is."""
    details = scan.details if isinstance(scan.details, dict) else {}
    ahead = details.get(CLOCK_AHEAD)
    if ahead:
        return _(
            "Device clock %(span)s ahead: judged at the time it arrived, not the time it claims."
        ) % {"span": durations.elapsed(datetime.timedelta(seconds=ahead))}
    if scan.is_late:
        return _("Uploaded %(span)s after the scan.") % {
            "span": durations.elapsed(scan.received_at - scan.scanned_at)
        }
    return ""


@admin.register(ScanEvent)
class ScanEventAdmin(ReadOnlyAdminMixin, PolicyScopedAdmin):
    list_display = (
        "scanned_at",
        "verdict",
        "decision",
        "number",
        "plate",
        "checkpoint",
        "inspector_col",
        "timing_col",
        "received_at",
    )
    list_filter = ("verdict", "decision", "checkpoint", TimingFilter, "scanned_at")
    search_fields = (
        "number",
        "plate",
        "nonce",
        "inspector__username",
        "inspector__first_name",
        "inspector__last_name",
    )
    search_help_text = gettext_lazy("Pass number, plate or inspector.")
    date_hierarchy = "scanned_at"
    list_select_related = ("checkpoint", "inspector")
    readonly_fields = [
        "timing_col" if field.name == "is_late" else field.name
        for field in ScanEvent._meta.fields
        if field.name != "inspector"
    ] + ["inspector_col"]
    show_full_result_count = False  # no COUNT(*) over millions of scans per page view

    @admin.display(description=gettext_lazy("inspector"), ordering="inspector__last_name")
    def inspector_col(self, obj):
        return audit.actor_name(obj.inspector)

    @admin.display(description=gettext_lazy("timing"))
    def timing_col(self, obj):
        flag = timing_flag(obj)
        if not flag:
            return ""
        return format_html('<strong class="pd-check-mismatch">⚠ {}</strong>', flag)
