"""Pass types and checkpoints, as officers set them up: the required documents are ticked from
the named kinds (never typed as JSON), checkpoints are chosen by name."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from .. import roles
from ..models import Checkpoint, PassType
from ..models.catalog import DRIVER_DOCUMENT_KINDS, VEHICLE_DOCUMENT_KINDS, DocumentKind
from .mixins import PolicyScopedAdmin


def _kind_choice(kind):
    if kind in VEHICLE_DOCUMENT_KINDS:
        return kind.value, gettext_lazy("%(kind)s (one per vehicle)") % {"kind": kind.label}
    if kind in DRIVER_DOCUMENT_KINDS:
        return kind.value, gettext_lazy("%(kind)s (one per driver)") % {"kind": kind.label}
    return kind.value, gettext_lazy("%(kind)s (one per request)") % {"kind": kind.label}


class PassTypeForm(forms.ModelForm):
    required_document_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("required documents"),
        choices=lambda: [_kind_choice(kind) for kind in DocumentKind],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "pd-checklist"}),
        required=False,
        help_text=gettext_lazy("Tick the documents a request must carry before it is submitted."),
    )

    class Meta:
        model = PassType
        fields = (
            "name",
            "code",
            "office",
            "description",
            "is_active",
            "required_document_kinds",
            "health_proof_max_age_hours",
            "declaration",
            "max_validity_days",
            "route_bound",
        )


class OfficeScopedAdmin(PolicyScopedAdmin):
    """Officers of an office see and edit its rows only (the catalogue's policy; the office
    choices are the offices' policy); a new row joins their office."""

    list_select_related = ("office",)  # nullable: Django's automatic select_related skips it

    def save_model(self, request, obj, form, change):
        offices = roles.offices_of(request.user)
        if offices is not None and obj.office_id is None:
            obj.office_id = min(offices)
        super().save_model(request, obj, form, change)


@admin.register(PassType)
class PassTypeAdmin(OfficeScopedAdmin):
    form = PassTypeForm
    list_display = (
        "name",
        "code",
        "office",
        "required_col",
        "max_validity_days",
        "health_proof_max_age_hours",
        "route_bound",
        "is_active",
    )
    list_filter = ("is_active", "route_bound", "office")
    search_fields = ("name", "code")
    fieldsets = (
        (None, {"fields": ("name", "code", "office", "description", "is_active")}),
        (
            gettext_lazy("What a request must carry"),
            {"fields": ("required_document_kinds", "health_proof_max_age_hours", "declaration")},
        ),
        (gettext_lazy("Validity and route"), {"fields": ("max_validity_days", "route_bound")}),
    )

    @admin.display(description=gettext_lazy("required documents"))
    def required_col(self, obj):
        return "、".join(str(label) for label in obj.required_kind_labels()) or "—"


@admin.register(Checkpoint)
class CheckpointAdmin(OfficeScopedAdmin):
    list_display = ("name", "code", "office", "location", "is_active")
    list_filter = ("is_active", "office")
    search_fields = ("name", "code", "location")
