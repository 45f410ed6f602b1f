"""The outbox in the admin: find dead notifications and retry them; see webhook deliveries."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Notification, NotificationPreference, WebhookDelivery, WebhookEndpoint
from ..notifications import outbox
from .mixins import PolicyScopedAdmin, PolicyScopedInline


class StatusFilter(admin.SimpleListFilter):
    """Dead rows first in the filter: they are the ones needing an officer."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        counts = dict(Notification.objects.values_list("status").annotate(n=Count("id")).order_by())
        order = [Notification.Status.DEAD, Notification.Status.FAILED]
        order += [s for s in Notification.Status if s not in order]
        return [(s.value, f"{s.label} ({counts.get(s.value, 0)})") for s in order]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(PolicyScopedAdmin):
    list_display = (
        "created_at",
        "event",
        "channel",
        "address",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = (StatusFilter, "channel", "event", "language")
    search_fields = ("address", "subject", "idempotency_key", "enterprise__name")
    date_hierarchy = "created_at"
    list_select_related = ("enterprise",)
    actions = ["retry_selected"]
    readonly_fields = [field.name for field in Notification._meta.fields]
    fieldsets = (
        (None, {"fields": ("event", "status", "channel", "address", "recipient", "language")}),
        (
            gettext_lazy("Delivery"),
            {
                "fields": (
                    "attempts",
                    "next_attempt_at",
                    "dispatched_at",
                    "claimed_at",
                    "sent_at",
                    "last_error",
                )
            },
        ),
        (gettext_lazy("Message"), {"fields": ("subject", "body_text", "body_html", "attachments")}),
        (
            gettext_lazy("Origin"),
            {
                "fields": (
                    "enterprise",
                    "object_id",
                    "audit_event_id",
                    "webhook_endpoint",
                    "event_uid",
                    "idempotency_key",
                    "created_at",
                )
            },
        ),
    )

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Retry selected dead or failed notifications"),
        permissions=["change"],
    )
    def retry_selected(self, request, queryset):
        retried = outbox.retry(
            queryset.filter(
                Q(status=Notification.Status.DEAD) | Q(status=Notification.Status.FAILED)
            ).values_list("pk", flat=True)
        )
        skipped = queryset.count() - retried
        if retried:
            self.message_user(
                request,
                _("%(count)d notifications queued again.") % {"count": retried},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("%(count)d selected notifications were not dead or failed and were left alone.")
                % {"count": skipped},
                messages.WARNING,
            )


class WebhookDeliveryInline(PolicyScopedInline, admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("created_at", "attempt", "response_status", "error", "duration_ms")
    readonly_fields = fields
    ordering = ("-created_at",)
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(PolicyScopedAdmin):
    list_display = ("url", "enterprise", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "enterprise__name")
    exclude = ("secret",)  # the enterprise's secret is theirs; staff never need to read it
    readonly_fields = ("enterprise", "url", "description", "created_by", "created_at")
    inlines = [WebhookDeliveryInline]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PolicyScopedAdmin):
    list_display = ("created_at", "endpoint", "attempt", "response_status", "duration_ms")
    list_filter = ("response_status",)
    search_fields = ("endpoint__url", "endpoint__enterprise__name")
    readonly_fields = [
        field.name for field in WebhookDelivery._meta.fields if field.name != "signature_header"
    ]
    exclude = ("signature_header",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(PolicyScopedAdmin):
    list_display = ("user", "language", "email_enabled", "sms_enabled", "review_mode")
    list_filter = ("language", "review_mode", "email_enabled", "sms_enabled")
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
