"""Pass requests, passes, documents and the audit trail in the admin."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit
from ..documents.ocr.presenting import summarize
from ..models import AuditEvent, Document, Pass, PassRequest, RequestItem
from . import revocation
from .exports import ExportMixin
from .mixins import (
    PolicyScopedAdmin,
    PolicyScopedInline,
    ReadOnlyAdminMixin,
)


class RequestItemInline(PolicyScopedInline, admin.TabularInline):
    model = RequestItem
    extra = 0
    raw_id_fields = ("vehicle",)
    filter_horizontal = ("drivers",)


class DocumentInline(PolicyScopedInline, admin.TabularInline):
    model = Document
    fk_name = "request"
    extra = 0
    fields = ("kind", "original_name", "content_type", "size", "page_count", "uploaded_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AuditEventInline(ReadOnlyAdminMixin, PolicyScopedInline, admin.TabularInline):
    model = AuditEvent
    fk_name = "request"
    extra = 0
    fields = ("created_at", "actor_col", "action_col", "change_col", "reason")
    readonly_fields = fields
    ordering = ("created_at", "pk")

    @admin.display(description=gettext_lazy("by"))
    def actor_col(self, obj):
        return audit.actor_name(obj.actor)

    @admin.display(description=gettext_lazy("what happened"))
    def action_col(self, obj):
        return audit.action_label(obj.action)

    @admin.display(description=gettext_lazy("state"))
    def change_col(self, obj):
        if not obj.to_status or obj.to_status == obj.from_status:
            return ""
        return audit.status_label(obj.to_status)


@admin.register(PassRequest)
class PassRequestAdmin(ExportMixin, PolicyScopedAdmin):
    """Every request, whatever its state: a read-only record. Decisions are taken on the review
    page (the review queue), which shows warnings and asks for confirmation."""

    change_list_template = "admin/passes/export_change_list.html"
    list_display = (
        "reference",
        "enterprise",
        "pass_type",
        "status",
        "assigned_reviewer",
        "submitted_at",
        "decided_at",
        "review_link",
    )
    list_filter = ("status", "pass_type", "enterprise__is_key_enterprise")
    search_fields = ("reference", "enterprise__name", "=enterprise__credit_code")
    list_select_related = ("enterprise", "pass_type", "assigned_reviewer")
    show_full_result_count = False
    readonly_fields = (
        "reference",
        "status",
        "assigned_reviewer",
        "submitted_at",
        "claimed_at",
        "decided_at",
        "withdrawn_at",
        "decision_reason",
        "created_by",
    )
    raw_id_fields = ("enterprise",)
    inlines = [RequestItemInline, DocumentInline, AuditEventInline]
    actions = None
    export_kind = "requests"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("review page"))
    def review_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:passes_reviewqueue_change", args=[obj.pk]),
            _("open"),
        )


@admin.register(Pass)
class PassAdmin(ExportMixin, PolicyScopedAdmin):
    change_list_template = "admin/passes/export_change_list.html"
    export_kind = "passes"
    show_full_result_count = False
    list_display = ("number", "plate", "enterprise_col", "valid_from", "valid_until", "status")
    list_filter = ("status",)
    search_fields = ("number", "plate", "request__reference", "request__enterprise__name")
    list_select_related = ("request__enterprise",)
    readonly_fields = ["revoke_col"] + [field.name for field in Pass._meta.fields] + ["drivers"]
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("passes.revoke_pass")

    def get_urls(self):
        own = [
            path(
                "revoke/",
                self.admin_site.admin_view(revocation.revoke_view(self)),
                name="passes_pass_revoke",
            )
        ]
        return own + super().get_urls()

    @admin.display(description=gettext_lazy("enterprise"), ordering="request__enterprise__name")
    def enterprise_col(self, obj):
        return obj.request.enterprise.name

    @admin.display(description=gettext_lazy("revoke"))
    def revoke_col(self, obj):
        if obj is None or obj.status == Pass.Status.REVOKED:
            return "—"
        return format_html(
            '<a href="{}" class="button pd-danger-link" id="pd-revoke-one">{}</a>',
            revocation.revoke_url([obj.pk]),
            _("Revoke this pass…"),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if self.has_revoke_permission(request) else fields[1:]

    @admin.action(description=gettext_lazy("Revoke selected passes…"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        """To the confirmation page, which names each pass and asks for the reason."""
        return HttpResponseRedirect(revocation.revoke_url(queryset.values_list("pk", flat=True)))


@admin.register(Document)
class DocumentAdmin(PolicyScopedAdmin):
    """A scan as a reviewer sees it: its first page (opening the viewer), what the machine read
    against what was filed, and where it belongs; never its storage paths, whose links would
    lead nowhere (files leave only through the permission-checked views)."""

    list_display = ("original_name", "kind", "enterprise", "request", "machine_col", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "sha256", "enterprise__name", "request__reference")
    list_select_related = ("enterprise", "request", "reading")
    fields = (
        "preview_col",
        "machine_col",
        "kind",
        "original_name",
        "enterprise",
        "request",
        "vehicle",
        "driver",
        "tested_at",
        "uploaded_by_col",
        "uploaded_at",
        "content_type",
        "size",
        "page_count",
        "sha256",
        "preview_status",
        "preview_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("scanned page"))
    def preview_col(self, obj):
        viewer = reverse("admin:passes_review_document_viewer", args=[obj.pk])
        page = reverse("admin:passes_review_document_page", args=[obj.pk, 1])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" class="pd-doc-preview">'
            '<img src="{}" alt="{}" class="pd-doc-preview-img"></a><br>'
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            viewer,
            page,
            obj.original_name,
            viewer,
            _("Open in the viewer (zoom, rotate, every page)"),
        )

    @admin.display(description=gettext_lazy("machine check"))
    def machine_col(self, obj):
        summary = summarize(obj)
        lines = format_html_join(
            "",
            "<li>{}</li>",
            ((str(line.text),) for line in summary.lines),
        )
        return format_html(
            '<span class="pd-machine-{}">{}</span>{}',
            summary.outcome or summary.status,
            summary.label,
            format_html('<ul class="pd-machine-lines">{}</ul>', lines) if summary.lines else "",
        )

    @admin.display(description=gettext_lazy("uploaded by"))
    def uploaded_by_col(self, obj):
        return audit.actor_name(obj.uploaded_by) if obj.uploaded_by_id else "—"
