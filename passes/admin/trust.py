"""Offices (superusers create them; officers see and edit their own) and peer deployments
(officers register a peer's trust-list URL and pinned fingerprint; pulls show their outcome)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Office, PeerDeployment
from ..signing import trust as trust_format
from ..trust import pull
from .mixins import PolicyScopedAdmin


@admin.register(Office)
class OfficeAdmin(PolicyScopedAdmin):
    list_display = ("name", "region_code", "created_at")
    search_fields = ("name", "region_code")
    filter_horizontal = ("staff",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        # Officers name their office and upload its seal; the region code and staff are the
        # superuser's to set.
        return () if request.user.is_superuser else ("region_code", "staff")


class FingerprintFormField(forms.CharField):
    """Takes the fingerprint as ``passdesk_keys trust-fingerprint`` prints it (groups of four:
    79 characters) or however else it was copied: normalised before the length and format are
    checked, and the input box has no length limit that would cut a pasted grouped form short."""

    def to_python(self, value):
        value = super().to_python(value)
        return trust_format.normalize_fingerprint(value) if value else value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class PeerDeploymentForm(forms.ModelForm):
    class Meta:
        model = PeerDeployment
        fields = ("name", "url", "fingerprint", "is_active")
        field_classes = {"fingerprint": FingerprintFormField}


@admin.register(PeerDeployment)
class PeerDeploymentAdmin(PolicyScopedAdmin):
    form = PeerDeploymentForm
    list_display = ("name", "url", "is_active", "sequence", "expires_at", "last_good_at", "state")
    list_filter = ("is_active",)
    readonly_fields = (
        "sequence",
        "expires_at",
        "last_pulled_at",
        "last_good_at",
        "last_error",
    )
    fields = ("name", "url", "fingerprint", "is_active", *readonly_fields)
    actions = ["pull_now"]

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.last_error:
            return _("refused: %(error)s") % {"error": obj.last_error}
        if obj.trust_list is None:
            return _("not pulled yet")
        return _("trusted")

    def changelist_view(self, request, extra_context=None):
        for peer in PeerDeployment.objects.filter(is_active=True).exclude(last_error=""):
            messages.warning(
                request,
                _(
                    "The last trust list from %(peer)s was refused (the previous one is kept): "
                    "%(error)s"
                )
                % {"peer": peer.name, "error": peer.last_error},
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Pull the trust list and revocations now"))
    def pull_now(self, request, queryset):
        accepted = sum(pull.pull_peer(peer.pk) for peer in queryset)
        messages.info(
            request,
            ngettext("%(count)d trust list accepted.", "%(count)d trust lists accepted.", accepted)
            % {"count": accepted},
        )
