from django.contrib import admin

from .. import roles
from ..models import Checkpoint, PassType
from .mixins import PolicyScopedAdmin


class OfficeScopedAdmin(PolicyScopedAdmin):
    """Officers of an office see and edit its rows only (the catalogue's policy; the office
    choices are the offices' policy); a new row joins their office."""

    def save_model(self, request, obj, form, change):
        offices = roles.offices_of(request.user)
        if offices is not None and obj.office_id is None:
            obj.office_id = min(offices)
        super().save_model(request, obj, form, change)


@admin.register(PassType)
class PassTypeAdmin(OfficeScopedAdmin):
    list_display = (
        "name",
        "code",
        "office",
        "max_validity_days",
        "health_proof_max_age_hours",
        "route_bound",
        "is_active",
    )
    list_filter = ("is_active", "route_bound", "office")
    search_fields = ("name", "code")


@admin.register(Checkpoint)
class CheckpointAdmin(OfficeScopedAdmin):
    list_display = ("name", "code", "office", "location", "is_active")
    list_filter = ("is_active", "office")
    search_fields = ("name", "code", "location")
