"""Pass requests, passes, documents and the audit trail in the admin."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import AuditEvent, Document, Pass, PassRequest, RequestItem
from ..requests import workflow
from .exports import ExportMixin
from .mixins import (
    PolicyScopedAdmin,
    PolicyScopedInline,
    ReadOnlyAdminMixin,
    reason_required_message,
    run_for_each,
)


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40}),
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
    fields = ("created_at", "actor", "action", "from_status", "to_status", "reason")
    readonly_fields = fields


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
    list_display = ("number", "plate", "request", "valid_from", "valid_until", "status")
    list_filter = ("status",)
    search_fields = ("number", "plate", "request__reference", "request__enterprise__name")
    list_select_related = ("request",)
    readonly_fields = [field.name for field in Pass._meta.fields] + ["drivers"]
    action_form = ReasonActionForm
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("passes.revoke_pass")

    @admin.action(description=gettext_lazy("Revoke selected passes"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, reason_required_message(), messages.ERROR)
            return
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: workflow.revoke_pass(obj, by=request.user, reason=reason),
            _("%(count)d passes revoked."),
        )


@admin.register(Document)
class DocumentAdmin(PolicyScopedAdmin):
    list_display = ("original_name", "kind", "enterprise", "request", "content_type", "size")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "sha256", "enterprise__name", "request__reference")
    list_select_related = ("enterprise", "request")
    readonly_fields = [field.name for field in Document._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, PolicyScopedAdmin):
    list_display = (
        "created_at",
        "actor",
        "action",
        "request",
        "pass_obj",
        "enterprise",
        "from_status",
        "to_status",
    )
    list_filter = ("action",)
    search_fields = ("request__reference", "pass_obj__number", "enterprise__name", "reason")
    list_select_related = ("actor", "request", "pass_obj", "enterprise")
    date_hierarchy = "created_at"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("passes.view_auditevent")
