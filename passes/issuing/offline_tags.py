"""Each pass's slow tag for the inspectors' offline list (see ``signing.passlist`` and
docs/security.md). A tag costs about a tenth of a CPU-second by design, so it is made once per
pass, in a worker right after the pass is issued, and kept; building a list only reads kept tags
(and makes, as a fallback, the few a worker has not made yet)."""

import hashlib
import hmac

from celery import shared_task
from django.conf import settings

from ..models import OfflineTag, Pass
from ..signing.passlist import entry_tag


def iterations() -> int:
    """PBKDF2 iterations per tag: the phone's cost per look-up and a guesser's per guess."""
    return settings.PASSDESK_OFFLINE_LIST_ITERATIONS


def salt() -> bytes:
    """The deployment's salt, derived from SECRET_KEY: public in every list, different in every
    deployment (no table of tags computed once serves two deployments). It is not changed per
    list, so a pass is hashed once, not at every copy; see docs/security.md for why a new salt
    per list would cost the server as much as a guesser and protect no pass more."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"passdesk.offline-list.salt", hashlib.sha256).digest()[:16]


def params(salt_bytes: bytes, rounds: int) -> bytes:
    """A short fingerprint of the salt and cost a kept tag was made with."""
    return hashlib.sha256(salt_bytes + rounds.to_bytes(8, "big")).digest()[:4]


def tags_for(rows, salt_bytes: bytes | None = None, rounds: int | None = None) -> dict[int, bytes]:
    """``{pass id: tag}`` for ``rows`` of ``(pass id, number, plate, ...)``: the kept tag when
    it was made with this salt and cost, else made now and kept."""
    salt_bytes = salt() if salt_bytes is None else salt_bytes
    rounds = iterations() if rounds is None else rounds
    fingerprint = params(salt_bytes, rounds)
    kept = {
        pass_id: bytes(tag)
        for pass_id, tag in OfflineTag.objects.filter(
            pass_obj_id__in=[row[0] for row in rows], params=fingerprint
        ).values_list("pass_obj_id", "tag")
    }
    made = []
    for pass_id, number, plate, *_rest in rows:
        if pass_id not in kept:
            kept[pass_id] = entry_tag(number, plate, salt=salt_bytes, iterations=rounds)
            made.append(OfflineTag(pass_obj_id=pass_id, params=fingerprint, tag=kept[pass_id]))
    if made:
        OfflineTag.objects.bulk_create(
            made,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["pass_obj"],
            update_fields=["params", "tag"],
        )
    return kept


def make_for_request(request_id: int) -> int:
    """Make and keep the tags of a request's passes; returns how many it has. Safe to run twice."""
    rows = list(Pass.objects.filter(request_id=request_id).values_list("pk", "number", "plate"))
    return len(tags_for(rows))


@shared_task(name="passes.make_offline_tags", acks_late=True)
def make_offline_tags(request_id: int) -> int:
    """In a worker right after the approval, not in the inspector's first list copy: each tag
    is a deliberately slow hash (a guess must cost as much), too slow to make many of while an
    inspector waits."""
    return make_for_request(request_id)
