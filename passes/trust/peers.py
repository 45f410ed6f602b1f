"""The peers' keys as every verifier here sees them, and the peers' revocations.

Built from the last good trust list of each active peer (checked again when loaded, so a list
that has since expired stops counting) and cached for a few seconds like the server's keyring;
a pull clears the cache. A peer key never shadows one of this deployment's own keys, and a
peer's office counts only with the region code and key ids that peer owns (``claims``): a list
accepted before the claims existed, or a claim an officer moved to another peer since, cannot
make one peer's passes verify as another's.
"""

import base64
import dataclasses
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ..models import PeerClaim, PeerDeployment, PeerRevocation
from ..signing import trust as trust_format
from ..signing.keys import server_keyring
from ..signing.tokens import Keyring, raw_public_key
from . import claims

# Peers' keys change only when a pull stores a new trust list (every few minutes); each web
# process rebuilds its copy at most this often.
PEER_INDEX_TTL_SECONDS = 30


@dataclass
class PeerIndex:
    keys: Keyring = field(default_factory=Keyring)
    # kid -> (peer id, the peer's trust list with only the offices the peer owns)
    owners: dict = field(default_factory=dict)


_lock = threading.Lock()
_cache: dict[str, tuple[float, PeerIndex]] = {}
_merged: dict[str, tuple[Keyring, PeerIndex, Keyring]] = {}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _merged.clear()


@receiver([post_save, post_delete], sender=PeerDeployment)
@receiver([post_save, post_delete], sender=PeerClaim)
def _forget(**kwargs):
    clear_cache()


def _build() -> PeerIndex:
    index = PeerIndex()
    owner_of = claims.owners()
    regions: dict[str, int] = {}  # region code -> the peer whose office counts for it
    peers = PeerDeployment.objects.filter(is_active=True, trust_list__isnull=False)
    for peer in peers.order_by("pk"):
        try:
            trust = trust_format.verify_trust_list(peer.trust_list, pinned=peer.fingerprint)
        except trust_format.TrustListError:
            continue  # expired since (or tampered with in the database): not trusted
        offices = []
        for office in trust.offices:
            region = office.region_code
            if owner_of.get((claims.REGION, region), peer.pk) != peer.pk:
                continue  # another peer's region code
            if regions.setdefault(region, peer.pk) != peer.pk:
                continue
            keys = tuple(
                info
                for info in office.keys
                if owner_of.get((claims.KEY, info.kid), peer.pk) == peer.pk
                and info.kid not in index.owners
            )
            offices.append(dataclasses.replace(office, keys=keys))
        owned = dataclasses.replace(trust, offices=offices)
        for office in offices:
            for info in office.keys:
                index.keys.add(info)
                index.owners[info.kid] = (peer.pk, owned)
    return index


def peer_index() -> PeerIndex:
    name = str(settings.DATABASES["default"]["NAME"])
    with _lock:
        hit = _cache.get(name)
        if hit and time.monotonic() - hit[0] < PEER_INDEX_TTL_SECONDS:
            return hit[1]
    index = _build()
    with _lock:
        _cache[name] = (time.monotonic(), index)
    return index


def verification_keyring(own: Keyring | None = None) -> Keyring:
    """This deployment's keys (``own``, read when not given) and its peers' keys: what every
    verifier here checks against."""
    own = own if own is not None else server_keyring()
    peers = peer_index()
    name = str(settings.DATABASES["default"]["NAME"])
    with _lock:
        hit = _merged.get(name)
        if hit and hit[0] is own and hit[1] is peers:
            return hit[2]
    merged = Keyring(dict(peers.keys.keys))
    merged.keys.update(own.keys)  # own keys win
    with _lock:
        _merged[name] = (own, peers, merged)
    return merged


def peer_issuer(kid: str, number: str, own: Keyring | None = None):
    """``(peer id, Issuer)`` when ``kid`` is a peer office's key signing in its region, else
    None (also for this deployment's own keys; ``own`` is read when not given)."""
    if kid in (own if own is not None else server_keyring()).keys:
        return None
    owner = peer_index().owners.get(kid)
    if owner is None:
        return None
    issuer = trust_format.issuer_for(owner[1], kid, number)
    return owner[0], issuer  # issuer None: the key signs outside its region (forged)


def is_revoked_by_peer(peer_id: int, number: str) -> bool:
    return PeerRevocation.objects.filter(peer_id=peer_id, number=number).exists()


def peer_keys_entries() -> list[dict]:
    """The peers' keys in the shape of /api/v1/keys/, each naming its office."""
    entries = []
    own = server_keyring().keys
    for kid, (_peer_id, trust) in peer_index().owners.items():
        if kid in own:
            continue  # never served as a peer's: our own key wins
        office = trust.office_of(kid)
        info = trust.keyring().get(kid)
        entries.append(
            {
                "kid": kid,
                "algorithm": "Ed25519",
                "public_key": _b64(info),
                "state": _state(info),
                "created_at": _iso(info.created_at),
                "retired_at": _iso(info.retired_at),
                "withdrawn_at": _iso(info.withdrawn_at),
                "office": office.name,
                "region_code": office.region_code,
                "deployment": trust.deployment,
            }
        )
    return entries


def peer_revoked_numbers() -> list[str]:
    """Numbers revoked by active peers, each only in a region code its peer owns."""
    owned = PeerClaim.objects.filter(
        peer=OuterRef("peer"), kind=claims.REGION, value=OuterRef("region_code")
    )
    active = PeerRevocation.objects.filter(peer__is_active=True).filter(Exists(owned))
    return sorted(active.values_list("number", flat=True))


def _state(info) -> str:
    if info.withdrawn_at:
        return "withdrawn"
    return "retired" if info.retired_at else "active"


def _b64(info) -> str:
    return base64.b64encode(raw_public_key(info.key)).decode("ascii")


def _iso(value):
    return value.isoformat() if value else None
