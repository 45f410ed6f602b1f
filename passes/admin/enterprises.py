from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit
from ..models import Driver, Enterprise, Membership, Vehicle
from . import enterprise_verify
from .mixins import PolicyScopedAdmin, PolicyScopedInline


class MembershipInline(PolicyScopedInline, admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(PolicyScopedAdmin):
    list_display = (
        "name",
        "credit_code",
        "contact_name",
        "contact_phone",
        "verification_col",
        "is_key_enterprise",
        "created_at",
    )
    list_filter = ("verification_status", "is_key_enterprise")
    search_fields = ("name", "credit_code", "contact_name", "contact_phone")
    # Verification changes on its own page (the licence beside the filed data), the key flag
    # through the audited actions below.
    readonly_fields = ("verification_col", "is_key_enterprise", "verified_at", "created_at")
    fields = (
        "name",
        "credit_code",
        "address",
        "contact_name",
        "contact_phone",
        "verification_col",
        "verified_at",
        "is_key_enterprise",
        "created_at",
    )
    inlines = [MembershipInline]
    actions = ["mark_key", "unmark_key"]

    def get_urls(self):
        own = [
            path(
                "<int:pk>/verify/",
                self.admin_site.admin_view(enterprise_verify.verify_view(self)),
                name="passes_enterprise_verify",
            )
        ]
        return own + super().get_urls()

    @admin.display(description=gettext_lazy("verification"), ordering="verification_status")
    def verification_col(self, obj):
        """The state, and the way to the page where it is decided (licence beside the data)."""
        if obj is None or obj.pk is None:
            return "—"
        link = reverse("admin:passes_enterprise_verify", args=[obj.pk])
        words = (
            _("Check the licence and verify")
            if obj.verification_status == Enterprise.Verification.PENDING
            else _("Licence and history")
        )
        return format_html(
            '<span class="pd-ver pd-ver-{}">{}</span> · <a href="{}" class="pd-verify-link">{}</a>',
            obj.verification_status,
            obj.get_verification_status_display(),
            link,
            words,
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def _set_key(self, request, queryset, value):
        changed = 0
        for enterprise in queryset.filter(is_key_enterprise=not value):
            enterprise.is_key_enterprise = value
            enterprise.save(update_fields=["is_key_enterprise"])
            audit.record(
                "enterprise.key_flag",
                actor=request.user,
                enterprise=enterprise,
                data={"is_key_enterprise": value},
            )
            changed += 1
        self.message_user(
            request, _("%(count)d enterprises updated.") % {"count": changed}, messages.SUCCESS
        )

    @admin.action(description=gettext_lazy("Mark as key enterprise"), permissions=["verify"])
    def mark_key(self, request, queryset):
        self._set_key(request, queryset, True)

    @admin.action(description=gettext_lazy("Unmark key enterprise"), permissions=["verify"])
    def unmark_key(self, request, queryset):
        self._set_key(request, queryset, False)

    def has_verify_permission(self, request):
        return request.user.has_perm("passes.verify_enterprise")


@admin.register(Vehicle)
class VehicleAdmin(PolicyScopedAdmin):
    list_display = ("plate", "vehicle_type", "enterprise", "licence_number")
    list_filter = ("vehicle_type",)
    search_fields = ("plate", "enterprise__name", "licence_number")
    list_select_related = ("enterprise",)
    raw_id_fields = ("enterprise",)


@admin.register(Driver)
class DriverAdmin(PolicyScopedAdmin):
    list_display = ("name", "masked_id_number", "phone", "enterprise")
    search_fields = ("name", "phone", "enterprise__name")
    list_select_related = ("enterprise",)
    raw_id_fields = ("enterprise",)
    # The full ID number never reaches the admin page; the masked one is shown instead.
    exclude = ("id_number",)
    readonly_fields = ("masked_id_number",)

    @admin.display(description=gettext_lazy("resident ID number"))
    def masked_id_number(self, obj):
        return obj.masked_id_number
