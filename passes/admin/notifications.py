"""The outbox in the admin: find dead notifications and retry them; see webhook deliveries;
the providers' message templates, the group robots and the WeChat bindings."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    ChatRobot,
    MessageTemplate,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
    WechatBinding,
)
from ..notifications import kinds, outbox
from ..notifications import robots as robot_services
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
        "failure",
        "short_error",
    )
    list_filter = (StatusFilter, "failure", "channel", "event", "language")
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
                    "failure",
                    "last_error",
                    "provider_ref",
                )
            },
        ),
        (
            gettext_lazy("Message"),
            {"fields": ("subject", "body_text", "body_html", "template", "attachments")},
        ),
        (
            gettext_lazy("Origin"),
            {
                "fields": (
                    "enterprise",
                    "object_id",
                    "audit_event_id",
                    "webhook_endpoint",
                    "chat_robot",
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


# --- The channels that reach people where they are (SMS providers, WeChat, group robots) ---------


class MessageTemplateForm(forms.ModelForm):
    kind = forms.ChoiceField(label=gettext_lazy("kind of message"), choices=kinds.KIND_CHOICES)

    class Meta:
        model = MessageTemplate
        fields = ["provider", "kind", "template_code", "field_map", "is_active"]

    def clean(self):
        cleaned = super().clean()
        provider, kind = cleaned.get("provider"), cleaned.get("kind")
        field_map = cleaned.get("field_map") or {}
        if kind not in kinds.KINDS:
            return cleaned
        params = set(kinds.KINDS[kind].params)
        if not isinstance(field_map, dict) or any(
            not isinstance(value, str) or value not in params for value in field_map.values()
        ):
            self.add_error(
                "field_map",
                _("Map each provider variable to one of this kind's parameters: %(params)s.")
                % {"params": ", ".join(sorted(params)) or "—"},
            )
        elif provider == MessageTemplate.Provider.WECHAT and not field_map and params:
            self.add_error(
                "field_map",
                _("A WeChat template names its own fields: map each to a parameter."),
            )
        elif provider == MessageTemplate.Provider.TENCENT and any(
            not str(name).isdigit() for name in field_map
        ):
            self.add_error(
                "field_map", _('Tencent Cloud variables are numbered: {"1": "reference"}.')
            )
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(PolicyScopedAdmin):
    """The template table: every kind of message with its parameters and the wording to
    submit, and the codes the providers gave for them."""

    form = MessageTemplateForm
    list_display = ("kind_col", "provider", "template_code", "params_col", "is_active")
    list_filter = ("provider", "is_active")
    search_fields = ("kind", "template_code")
    readonly_fields = ("params_col", "wording_col")
    change_list_template = "admin/passes/messagetemplate/change_list.html"

    @admin.display(description=gettext_lazy("kind of message"), ordering="kind")
    def kind_col(self, obj):
        kind = kinds.KINDS.get(obj.kind)
        return kind.label if kind else obj.kind

    @admin.display(description=gettext_lazy("parameters"))
    def params_col(self, obj):
        kind = kinds.KINDS.get(obj.kind) if obj else None
        return ", ".join(kind.params) if kind and kind.params else "—"

    @admin.display(description=gettext_lazy("wording to submit for approval"))
    def wording_col(self, obj):
        if obj is None or obj.kind not in kinds.KINDS:
            return "—"
        return kinds.wording_for(obj.kind, obj.provider)

    def changelist_view(self, request, extra_context=None):
        registered = {
            (t.provider, t.kind): t.template_code for t in self.get_queryset(request).all()
        }
        table = [
            {
                "label": kind.label,
                "name": kind.name,
                "params": ", ".join(kind.params) or "—",
                "alibaba": kinds.wording_for(kind.name, "alibaba"),
                "tencent": kinds.wording_for(kind.name, "tencent"),
                "codes": [
                    (label, registered.get((provider, kind.name), ""))
                    for provider, label in MessageTemplate.Provider.choices
                ],
            }
            for kind in kinds.KINDS.values()
        ]
        return super().changelist_view(request, {**(extra_context or {}), "kinds_table": table})


class ChatRobotForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label=gettext_lazy("webhook URL"), max_length=500, assume_scheme="https"
    )
    secret = forms.CharField(
        label=gettext_lazy("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "DingTalk (SEC…) and Feishu: the robot's signing secret. WeCom has none. "
            "Leave empty to keep the secret already saved."
        ),
    )

    class Meta:
        model = ChatRobot
        fields = [
            "name",
            "platform",
            "webhook_url",
            "secret",
            "office",
            "post_announcements",
            "post_passes_issued",
            "is_active",
        ]  # post_daily_figures: kept for the daily-figures post, not sent yet

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("secret") and self.instance.pk:
            cleaned["secret"] = self.instance.secret
        platform, url = cleaned.get("platform"), cleaned.get("webhook_url")
        if platform and url:
            problem = robot_services.vet(platform, url, cleaned.get("secret", ""))
            if problem:
                self.add_error("webhook_url", problem)
        return cleaned


@admin.register(ChatRobot)
class ChatRobotAdmin(PolicyScopedAdmin):
    form = ChatRobotForm
    list_display = (
        "name",
        "platform",
        "host_col",
        "office",
        "post_announcements",
        "post_passes_issued",
        "is_active",
        "last_post_col",
    )
    list_filter = ("platform", "is_active", "office")
    list_select_related = ("office",)
    search_fields = ("name",)
    actions = ["post_test_message"]

    def get_queryset(self, request):
        """Each robot with its last post's status and error, in the list's one query."""
        last = Notification.objects.filter(chat_robot=OuterRef("pk")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_post_status=Subquery(last.values("status")[:1]),
                last_post_error=Subquery(last.values("last_error")[:1]),
            )
        )

    @admin.display(description=gettext_lazy("host"))
    def host_col(self, obj):
        return urlsplit(obj.webhook_url).netloc  # the key or token in the URL stays hidden

    @admin.display(description=gettext_lazy("last post"))
    def last_post_col(self, obj):
        status = getattr(obj, "last_post_status", None)
        if status is None:
            return "—"
        label = dict(Notification.Status.choices).get(status, status)
        return f"{label}: {(obj.last_post_error or '')[:60]}".rstrip(": ")

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Post a test message"), permissions=["change"])
    def post_test_message(self, request, queryset):
        ids = outbox.store([robot_services.test_row(robot) for robot in queryset])
        transaction.on_commit(lambda: outbox.dispatch(ids))
        self.message_user(
            request,
            _(
                "%(count)d test messages queued; see Notifications (channel: group robot) for "
                "the answer."
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )


@admin.register(WechatBinding)
class WechatBindingAdmin(PolicyScopedAdmin):
    list_display = ("holder_col", "openid_col", "kinds_col", "is_active", "bound_at")
    list_filter = ("is_active",)
    list_select_related = ("user", "driver")
    search_fields = ("user__username", "driver__name")
    readonly_fields = ("app_id", "openid", "user", "driver", "kinds", "is_active", "bound_at")

    @admin.display(description=gettext_lazy("bound to"))
    def holder_col(self, obj):
        return obj.user or obj.driver

    @admin.display(description=gettext_lazy("openid"))
    def openid_col(self, obj):
        return f"{obj.openid[:6]}…"

    @admin.display(description=gettext_lazy("messages chosen"))
    def kinds_col(self, obj):
        return ", ".join(
            str(kinds.KINDS[name].label) for name in obj.kinds or () if name in kinds.KINDS
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
