"""Officer-maintained return reasons, and the read-only record of who opened which document."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from ..models import DocumentView, ReturnReasonTemplate
from .mixins import PolicyScopedAdmin, ReadOnlyAdminMixin


@admin.register(ReturnReasonTemplate)
class ReturnReasonTemplateAdmin(PolicyScopedAdmin):
    list_display = ("title", "text", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "text")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: returned requests still quote the text


@admin.register(DocumentView)
class DocumentViewAdmin(ReadOnlyAdminMixin, PolicyScopedAdmin):
    list_display = ("viewed_at", "user", "document_name", "request_reference")
    list_select_related = ("user", "document__request")
    search_fields = ("user__username", "document__original_name", "document__request__reference")
    date_hierarchy = "viewed_at"

    @admin.display(description=gettext_lazy("document"))
    def document_name(self, obj):
        return obj.document.original_name

    @admin.display(description=gettext_lazy("request"))
    def request_reference(self, obj):
        return obj.document.request.reference if obj.document.request else "—"
