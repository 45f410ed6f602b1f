"""Pulling a peer's trust list and revocation feed (the beat task ``passes.pull_trust_lists``).

A list is refused, and the last good one kept, when it cannot be fetched, is malformed, is
signed by a key other than the pinned one, has a bad signature, has expired, is older than the
last accepted (rollback), claims one of this deployment's own region codes or key ids, or
claims a region code or key id that belongs to another peer (``claims``). Every refusal is kept
on the peer (``last_error``, shown to officers in the admin) and audited.
"""

import logging
from urllib.parse import urlencode

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import audit
from ..models import Office, PeerDeployment, PeerRevocation, SigningKey
from ..signing import trust as trust_format
from . import claims, peers
from .fetch import FetchError, get_json

logger = logging.getLogger(__name__)
FEED_MAX_BYTES = 8 * 1024 * 1024
FEED_MAX_PAGES = 20


class LocalRegion(trust_format.TrustListError):
    reason = "local_region"


class LocalKey(trust_format.TrustListError):
    reason = "local_key"


REASONS = {
    "malformed": _("the trust list is malformed"),
    "unpinned_key": _("it is signed by a key that is not the pinned one"),
    "bad_signature": _("its signature does not match"),
    "expired": _("it has expired"),
    "rolled_back": _("it is older than the list already accepted (rollback)"),
    "local_region": _("it claims a region code of this deployment"),
    "local_key": _("it claims a key id of this deployment"),
    "claimed_by_peer": _("it claims a region code or key id that belongs to another peer"),
    "unreachable": _("the peer could not be reached"),
}


def _refuse(peer, reason: str, message: str, now, **data) -> None:
    text = f"{REASONS.get(reason, reason)}: {message}"
    PeerDeployment.objects.filter(pk=peer.pk).update(last_pulled_at=now, last_error=text)
    audit.record(
        "peer.trust_list_refused",
        reason=text,
        data={"peer": peer.name, "peer_id": peer.pk, "url": peer.url, "reason": reason, **data},
    )
    logger.warning("trust list of %s refused: %s", peer.url, text)


@shared_task(name="passes.pull_peer", acks_late=True)
def pull_peer(peer_id: int, *, now=None) -> bool:
    """Pull one peer; True when its trust list was accepted (revocations are pulled then)."""
    now = now or timezone.now()
    peer = PeerDeployment.objects.filter(pk=peer_id, is_active=True).first()
    if peer is None:
        return False
    try:
        document = get_json(peer.url, max_bytes=trust_format.MAX_DOCUMENT_BYTES)
        trust = trust_format.verify_trust_list(
            document, pinned=peer.fingerprint, min_sequence=peer.sequence, at=now
        )
        local = set(Office.objects.values_list("region_code", flat=True))
        claimed = sorted(local & {office.region_code for office in trust.offices})
        if claimed:
            raise LocalRegion(", ".join(claimed))
        kids = {info.kid for office in trust.offices for info in office.keys}
        ours = sorted(SigningKey.objects.filter(kid__in=kids).values_list("kid", flat=True))
        if ours:
            raise LocalKey(", ".join(ours))
    except FetchError as error:
        _refuse(peer, "unreachable", str(error), now)
        return False
    except trust_format.TrustListError as error:
        _refuse(peer, error.reason, str(error), now)
        return False
    try:
        with transaction.atomic():
            locked = PeerDeployment.objects.select_for_update().get(pk=peer.pk)
            if trust.sequence < locked.sequence:  # a concurrent pull took a newer one
                return False
            # Refused whole when another peer owns anything it claims; the last good lists
            # of both peers stay as they are.
            new_claims = claims.claim(locked, trust)
            before = _key_states(locked.trust_list, locked.fingerprint)
            locked.trust_list = document
            locked.sequence = trust.sequence
            locked.expires_at = trust.expires_at
            locked.last_pulled_at = locked.last_good_at = now
            locked.last_error = ""
            locked.save()
            after = _key_states(document, locked.fingerprint)
            if before != after or new_claims:
                data = {"peer": locked.name, "sequence": trust.sequence, "keys": after}
                if new_claims:
                    data["claimed"] = [{"kind": k, "value": v} for k, v in new_claims]
                audit.record("peer.trust_list_accepted", data=data)
    except claims.ClaimedByPeer as error:
        _refuse(peer, error.reason, str(error), now, claims=error.as_data())
        return False
    peers.clear_cache()
    pull_revocations(locked, trust)
    return True


def _key_states(document, pinned) -> dict:
    if not document:
        return {}
    try:
        trust = trust_format.verify_trust_list(document, pinned=pinned)
    except trust_format.TrustListError:
        return {}
    return {
        info.kid: "withdrawn" if info.withdrawn_at else "ok"
        for office in trust.offices
        for info in office.keys
    }


def pull_revocations(peer, trust) -> int:
    """Revoked numbers of the peer's offices since the last pull; numbers outside the region
    codes the peer owns are ignored (a peer revokes only its own passes)."""
    regions = {office.region_code for office in trust.offices} & claims.owned_regions(peer)
    cursors = dict(peer.revocations_until or {})
    added = 0
    for url in sorted(
        {office.revocations_url for office in trust.offices if office.revocations_url}
    ):
        for _page in range(FEED_MAX_PAGES):
            since = cursors.get(url)
            address = f"{url}?{urlencode({'since': since})}" if since else url
            try:
                data = get_json(address, max_bytes=FEED_MAX_BYTES)
                entries = data["revoked"]
                until = str(data["until"])
                more = bool(data.get("more"))
            except (FetchError, KeyError, TypeError) as error:
                _refuse(peer, "unreachable", str(error), timezone.now())
                PeerDeployment.objects.filter(pk=peer.pk).update(revocations_until=cursors)
                return added
            rows = [
                PeerRevocation(
                    peer=peer,
                    region_code=str(entry["number"])[:6],
                    number=str(entry["number"]),
                    reason=str(entry.get("reason", "revoked"))[:20],
                )
                for entry in entries
                if isinstance(entry, dict)
                and entry.get("status") == "revoked"
                and str(entry.get("number", ""))[:6] in regions
                and len(str(entry.get("number", ""))) == 12
            ]
            PeerRevocation.objects.bulk_create(rows, ignore_conflicts=True)
            added += len(rows)
            cursors[url] = until
            if not more:
                break
    PeerDeployment.objects.filter(pk=peer.pk).update(revocations_until=cursors)
    return added


def pull_all() -> int:
    """Pull every active peer; the number accepted."""
    ids = PeerDeployment.objects.filter(is_active=True).values_list("pk", flat=True)
    return sum(pull_peer(pk) for pk in ids)


@shared_task(name="passes.pull_trust_lists", acks_late=True)
def pull_trust_lists() -> int:
    """Beat: ``pull_all`` (a pull repeats safely)."""
    return pull_all()
