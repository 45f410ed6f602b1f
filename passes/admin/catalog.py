from django.contrib import admin

from ..models import Checkpoint, PassType


@admin.register(PassType)
class PassTypeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "max_validity_days",
        "health_proof_max_age_hours",
        "route_bound",
        "is_active",
    )
    list_filter = ("is_active", "route_bound")
    search_fields = ("name", "code")


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "location", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "location")
