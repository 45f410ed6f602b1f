from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import workflow
from ..models import Driver, Enterprise, Membership, Vehicle
from .mixins import run_for_each


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
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
    readonly_fields = ("verification_status", "verified_at", "created_at")
    inlines = [MembershipInline]
    actions = ["verify_selected"]

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
class VehicleAdmin(admin.ModelAdmin):
    list_display = ("plate", "vehicle_type", "enterprise", "licence_number")
    list_filter = ("vehicle_type",)
    search_fields = ("plate", "enterprise__name", "licence_number")
    list_select_related = ("enterprise",)
    raw_id_fields = ("enterprise",)


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ("name", "masked_id_number", "phone", "enterprise")
    search_fields = ("name", "phone", "enterprise__name")
    list_select_related = ("enterprise",)
    raw_id_fields = ("enterprise",)
    exclude = ()

    @admin.display(description=gettext_lazy("resident ID number"))
    def masked_id_number(self, obj):
        return obj.masked_id_number
