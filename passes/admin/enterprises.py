from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit
from ..models import Driver, Enterprise, Membership, Vehicle
from ..requests import workflow
from .mixins import PolicyScopedAdmin, PolicyScopedInline, reason_required_message, run_for_each
from .requests import ReasonActionForm


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
        "verification_status",
        "is_key_enterprise",
        "created_at",
    )
    list_filter = ("verification_status", "is_key_enterprise")
    search_fields = ("name", "credit_code", "contact_name", "contact_phone")
    # Verification and the key flag change only through the audited actions below.
    readonly_fields = ("verification_status", "is_key_enterprise", "verified_at", "created_at")
    inlines = [MembershipInline]
    action_form = ReasonActionForm
    actions = ["verify_selected", "suspend_selected", "mark_key", "unmark_key"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Suspend selected enterprises (reason required)"),
        permissions=["verify"],
    )
    def suspend_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, reason_required_message(), messages.ERROR)
            return
        run_for_each(
            self,
            request,
            queryset,
            lambda enterprise: workflow.set_enterprise_verification(
                enterprise, status=Enterprise.Verification.SUSPENDED, by=request.user, reason=reason
            ),
            _("%(count)d enterprises suspended."),
        )

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

    @admin.action(
        description=gettext_lazy("Verify selected enterprises"),
        permissions=["verify"],
    )
    def verify_selected(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda enterprise: workflow.set_enterprise_verification(
                enterprise, status=Enterprise.Verification.VERIFIED, by=request.user
            ),
            _("%(count)d enterprises verified."),
        )

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
