"""The audit trail in the admin: read-only, newest first, in the words the request history
uses (``audit.action_label``, ``audit.status_label``, ``audit.actor_name``), never raw codes."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit
from ..models import AuditEvent
from .mixins import PolicyScopedAdmin, ReadOnlyAdminMixin


class ActionFilter(admin.SimpleListFilter):
    """What happened, by its translated label; only actions that occur are offered."""

    title = gettext_lazy("what happened")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("action", flat=True)
        return sorted(
            ((code, audit.action_label(code)) for code in set(codes)), key=lambda pair: pair[1]
        )

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


class ActorFilter(admin.SimpleListFilter):
    title = gettext_lazy("who")
    parameter_name = "by"

    def lookups(self, request, model_admin):
        return [
            ("staff", _("Office staff")),
            ("enterprise", _("Enterprises")),
            ("system", _("System")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "staff":
            return queryset.filter(actor__is_staff=True)
        if self.value() == "enterprise":
            return queryset.filter(actor__isnull=False, actor__is_staff=False)
        if self.value() == "system":
            return queryset.filter(actor__isnull=True)
        return queryset


class AuditEventAdmin(ReadOnlyAdminMixin, PolicyScopedAdmin):
    list_display = (
        "created_at",
        "actor_col",
        "action_col",
        "change_col",
        "request",
        "pass_obj",
        "enterprise",
        "reason_col",
    )
    list_display_links = ("created_at",)
    list_filter = (ActionFilter, ActorFilter)
    search_fields = ("request__reference", "pass_obj__number", "enterprise__name", "reason")
    search_help_text = gettext_lazy("Request reference, pass number, enterprise name or reason.")
    list_select_related = ("actor", "request", "pass_obj", "enterprise")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    fields = (
        "created_at",
        "actor_col",
        "action_col",
        "change_col",
        "request",
        "pass_obj",
        "enterprise",
        "reason",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("passes.view_auditevent")

    @admin.display(description=gettext_lazy("by"), ordering="actor__last_name")
    def actor_col(self, obj):
        return audit.actor_name(obj.actor)

    @admin.display(description=gettext_lazy("what happened"), ordering="action")
    def action_col(self, obj):
        return audit.action_label(obj.action)

    @admin.display(description=gettext_lazy("state"))
    def change_col(self, obj):
        if not obj.to_status or obj.to_status == obj.from_status:
            return ""
        if not obj.from_status:
            return audit.status_label(obj.to_status)
        return f"{audit.status_label(obj.from_status)} → {audit.status_label(obj.to_status)}"

    @admin.display(description=gettext_lazy("reason"))
    def reason_col(self, obj):
        text = obj.reason or ""
        return text if len(text) <= 60 else text[:59] + "…"


admin.site.register(AuditEvent, AuditEventAdmin)
