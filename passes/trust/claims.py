"""Which peer a region code or key id belongs to (``PeerClaim``).

A region code and a key id belong to exactly one peer: the first whose accepted trust list
claimed it, unless an officer set the owner in the admin. ``claim`` runs in the transaction
that accepts a list: when the list claims anything another peer owns it raises
``ClaimedByPeer`` and the list is refused whole (``pull``), so neither a region code (minting
and revoking another peer's pass numbers) nor a key id (its passes attributed to the wrong
peer, or forged) can be taken over. The unique constraint on ``(kind, value)`` settles two
peers' first pulls racing for the same value.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from ..models import PeerClaim
from ..signing import trust as trust_format

REGION = PeerClaim.Kind.REGION.value
KEY = PeerClaim.Kind.KEY.value


class ClaimedByPeer(trust_format.TrustListError):
    """The list claims a region code or key id that another peer owns."""

    reason = "claimed_by_peer"

    def __init__(self, taken: list[PeerClaim]):
        self.taken = taken
        super().__init__("; ".join(describe(claim) for claim in taken))

    def as_data(self) -> list[dict]:
        return [
            {
                "kind": claim.kind,
                "value": claim.value,
                "owner": claim.peer.name,
                "owner_id": claim.peer_id,
                "set_by_officer": claim.set_by_officer,
            }
            for claim in self.taken
        ]


def describe(claim: PeerClaim) -> str:
    values = {"value": claim.value, "owner": claim.peer.name}
    if claim.kind == REGION:
        return _("region code %(value)s belongs to %(owner)s") % values
    return _("key id %(value)s belongs to %(owner)s") % values


def claimed_by(trust) -> set[tuple[str, str]]:
    """Every ``(kind, value)`` a trust list claims: its offices' region codes and key ids."""
    wanted = {(REGION, office.region_code) for office in trust.offices}
    wanted |= {(KEY, info.kid) for office in trust.offices for info in office.keys}
    return wanted


def _owned_elsewhere(peer, wanted) -> list[PeerClaim]:
    query = Q()
    for kind in (REGION, KEY):
        values = sorted(value for k, value in wanted if k == kind)
        if values:
            query |= Q(kind=kind, value__in=values)
    if not query:
        return []
    others = PeerClaim.objects.filter(query).exclude(peer=peer).select_related("peer")
    return list(others.order_by("kind", "value"))


def claim(peer, trust) -> list[tuple[str, str]]:
    """Record ``peer`` as the owner of everything its list claims that nobody owns yet; the
    newly claimed ``(kind, value)`` pairs. Call it inside the transaction that stores the list,
    with the peer's row locked; ``ClaimedByPeer`` rolls that transaction back."""
    wanted = claimed_by(trust)
    taken = _owned_elsewhere(peer, wanted)
    if taken:
        raise ClaimedByPeer(taken)
    owned = set(PeerClaim.objects.filter(peer=peer).values_list("kind", "value"))
    new = sorted(wanted - owned)
    PeerClaim.objects.bulk_create(
        [PeerClaim(peer=peer, kind=kind, value=value) for kind, value in new],
        ignore_conflicts=True,
    )
    # Another peer's pull may have claimed one of them between the check and the insert (the
    # insert waited for it and then did nothing): look again.
    taken = _owned_elsewhere(peer, wanted)
    if taken:
        raise ClaimedByPeer(taken)
    return new


def owned_regions(peer) -> set[str]:
    return set(PeerClaim.objects.filter(peer=peer, kind=REGION).values_list("value", flat=True))


def owners() -> dict[tuple[str, str], int]:
    """``(kind, value) -> peer id`` for every claim."""
    return {
        (kind, value): peer_id
        for kind, value, peer_id in PeerClaim.objects.values_list("kind", "value", "peer_id")
    }
