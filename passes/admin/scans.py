"""Checkpoint scans in the admin: read-only evidence, filtered by verdict, checkpoint, lateness."""

from django.contrib import admin

from ..models import ScanEvent
from .mixins import PolicyScopedAdmin, ReadOnlyAdminMixin


@admin.register(ScanEvent)
class ScanEventAdmin(ReadOnlyAdminMixin, PolicyScopedAdmin):
    list_display = (
        "scanned_at",
        "verdict",
        "decision",
        "number",
        "plate",
        "checkpoint",
        "inspector",
        "is_late",
        "received_at",
    )
    list_filter = ("verdict", "decision", "checkpoint", "is_late", "scanned_at")
    search_fields = ("number", "plate", "nonce", "inspector__username")
    date_hierarchy = "scanned_at"
    list_select_related = ("checkpoint", "inspector")
    readonly_fields = [field.name for field in ScanEvent._meta.fields]
    show_full_result_count = False  # no COUNT(*) over millions of scans per page view
