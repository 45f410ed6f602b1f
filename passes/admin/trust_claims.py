"""Which peer owns a region code or key id (``PeerClaim``). Claims are made by the first peer
whose accepted list names the value; an officer may add one before a peer's first pull (so no
other peer can take the code first) or move one to the rightful peer; a superuser may remove
one a peer has given up. Every change is audited; the verifiers of every web process follow
it within half a minute (``trust.peers`` rebuilds the peers' keys at most that often)."""

from django.contrib import admin

from .. import audit
from ..models import PeerClaim
from .mixins import PolicyScopedAdmin


def _data(claim) -> dict:
    return {
        "peer": claim.peer.name,
        "peer_id": claim.peer_id,
        "kind": claim.kind,
        "value": claim.value,
    }


@admin.register(PeerClaim)
class PeerClaimAdmin(PolicyScopedAdmin):
    list_display = ("value", "kind", "peer", "set_by_officer", "created_at")
    list_filter = ("kind", "set_by_officer", "peer")
    search_fields = ("value", "peer__name")
    fields = ("peer", "kind", "value", "set_by_officer", "created_at")
    readonly_fields = ("set_by_officer", "created_at")
    list_select_related = ("peer",)

    def save_model(self, request, obj, form, change):
        obj.set_by_officer = True
        super().save_model(request, obj, form, change)
        audit.record("peer.claim_set", actor=request.user, data=_data(obj))

    def delete_model(self, request, obj):
        audit.record("peer.claim_removed", actor=request.user, data=_data(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for claim in queryset.select_related("peer"):
            audit.record("peer.claim_removed", actor=request.user, data=_data(claim))
        super().delete_queryset(request, queryset)
