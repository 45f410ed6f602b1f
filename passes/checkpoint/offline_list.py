"""Building the signed list of live passes that inspectors' phones (and the offline CLI) copy to
check a typed number and plate, and a scanned pass's route, with no network. The format is in
``passlist``; this module reads the database, keeps each pass's slow tag and signs with the
office's current key. An inspector's list holds the passes of the inspector's offices only
(``access.visible_passes``); staff of no office get the whole deployment's.
"""

import base64
import datetime
import json
from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from .. import access
from ..issuing import offline_tags
from ..models import Pass, PassRequest
from ..signing import keys as signing_keys
from ..signing.passlist import (
    ANY_CHECKPOINT,
    FLAG_YELLOW,
    FORMAT,
    KDF_NAME,
    pack_entry,
)
from .feed import format_time
from .plates import has_yellow, plate_colour


def max_age() -> datetime.timedelta:
    """How old a copied list may be before offline verdicts stop being trusted (the office's
    setting ``PASSDESK_OFFLINE_MAX_AGE_HOURS``)."""
    return datetime.timedelta(hours=settings.PASSDESK_OFFLINE_MAX_AGE_HOURS)


def _routes_by_request(request_ids) -> dict[int, tuple[str, ...]]:
    stops = PassRequest.checkpoints.through
    rows = stops.objects.filter(passrequest_id__in=request_ids).values_list(
        "passrequest_id", "checkpoint__code"
    )
    routes = defaultdict(list)
    for request_id, code in rows.iterator(chunk_size=5000):
        routes[request_id].append(code)
    return {request_id: tuple(sorted(codes)) for request_id, codes in routes.items()}


def _seconds(moment: datetime.datetime) -> int:
    return int(moment.timestamp())


# Passes that ended this recently stay on the list, so a typed number is "expired" offline as it
# is online (rather than "unknown"); revoked passes are left to the revocation list.
RECENTLY_ENDED = datetime.timedelta(days=7)


def build_payload(now: datetime.datetime | None = None, user=None) -> dict:
    """The unsigned payload: every pass not revoked whose window has not ended (or ended in the
    last RECENTLY_ENDED), of the offices ``user`` works for (None: all)."""
    now = now or timezone.now()
    passes = Pass.objects.filter(
        status__in=(Pass.Status.ACTIVE, Pass.Status.EXPIRED),
        valid_until__gt=now - RECENTLY_ENDED,
    )
    if user is not None:
        passes = access.visible_passes(user, passes)
    rows = list(
        passes.values_list(
            "pk",
            "number",
            "plate",
            "valid_from",
            "valid_until",
            "vehicle__vehicle_type",
            "request_id",
            "request__pass_type__route_bound",
        )
    )
    salt_bytes, rounds = offline_tags.salt(), offline_tags.iterations()
    tags = offline_tags.tags_for(rows, salt_bytes, rounds)
    bound_requests = {row[6] for row in rows if row[7]}
    routes_of = _routes_by_request(bound_requests) if bound_requests else {}
    route_index: dict[tuple[str, ...], int] = {}
    entries = []
    for pass_id, _number, plate, valid_from, valid_until, vehicle_type, request_id, bound in rows:
        route = routes_of.get(request_id, ()) if bound else ()
        index = route_index.setdefault(route, len(route_index)) if route else ANY_CHECKPOINT
        entries.append(
            pack_entry(
                tags[pass_id],
                valid_from=_seconds(valid_from),
                valid_until=_seconds(valid_until),
                route=index,
                flags=FLAG_YELLOW if has_yellow(plate_colour(plate, vehicle_type)) else 0,
            )
        )
    entries.sort()  # by tag: the look-up is a binary search
    return {
        "generated_at": format_time(now),
        "max_age_seconds": int(max_age().total_seconds()),
        "kdf": {
            "name": KDF_NAME,
            "iterations": rounds,
            "salt": base64.b64encode(salt_bytes).decode(),
        },
        "routes": [list(route) for route in route_index],
        "count": len(entries),
        "entries": base64.b64encode(b"".join(entries)).decode(),
    }


def signed_document(now: datetime.datetime | None = None, user=None) -> dict:
    """The payload as JSON text, signed with the office's current signing key. ``user``: the
    inspector who copies it (their offices' passes only); None for every pass."""
    signer = signing_keys.current_signer()
    text = json.dumps(build_payload(now, user), separators=(",", ":"))
    signature = signer.private_key.sign(text.encode())
    return {
        "format": FORMAT,
        "kid": signer.kid,
        "signature": base64.b64encode(signature).decode(),
        "payload": text,
    }
