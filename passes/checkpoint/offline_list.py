"""Building the signed list of active passes that inspectors' phones (and the offline CLI) copy
to check a typed number and plate, and a pass's route, with no network. The format is in
``passlist``; this module reads the database and signs with the office's current key.
"""

import base64
import datetime
import json
import secrets
from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from ..models import Pass, PassRequest
from ..signing import keys as signing_keys
from ..signing.passlist import ANY_CHECKPOINT, FLAG_YELLOW, FORMAT, pack_entry
from .feed import format_time
from .plates import plate_colour


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


def build_payload(now: datetime.datetime | None = None) -> dict:
    """The unsigned payload: every pass not revoked whose window has not ended (or ended in the
    last RECENTLY_ENDED)."""
    now = now or timezone.now()
    rows = list(
        Pass.objects.filter(
            status__in=(Pass.Status.ACTIVE, Pass.Status.EXPIRED),
            valid_until__gt=now - RECENTLY_ENDED,
        )
        .order_by("number")
        .values_list(
            "number",
            "plate",
            "valid_from",
            "valid_until",
            "vehicle__vehicle_type",
            "request_id",
            "request__pass_type__route_bound",
        )
    )
    bound_requests = {row[5] for row in rows if row[6]}
    routes_of = _routes_by_request(bound_requests) if bound_requests else {}
    route_index: dict[tuple[str, ...], int] = {}
    key = secrets.token_bytes(16)
    blob = bytearray()
    for number, plate, valid_from, valid_until, vehicle_type, request_id, bound in rows:
        route = routes_of.get(request_id, ()) if bound else ()
        index = route_index.setdefault(route, len(route_index)) if route else ANY_CHECKPOINT
        blob += pack_entry(
            key,
            number=number,
            plate=plate,
            valid_from=_seconds(valid_from),
            valid_until=_seconds(valid_until),
            route=index,
            flags=FLAG_YELLOW if plate_colour(plate, vehicle_type) == "yellow" else 0,
        )
    return {
        "generated_at": format_time(now),
        "max_age_seconds": int(max_age().total_seconds()),
        "hash_key": base64.b64encode(key).decode(),
        "routes": [list(route) for route in route_index],
        "count": len(rows),
        "entries": base64.b64encode(bytes(blob)).decode(),
    }


def signed_document(now: datetime.datetime | None = None) -> dict:
    """The payload as JSON text, signed with the office's current signing key."""
    signer = signing_keys.current_signer()
    text = json.dumps(build_payload(now), separators=(",", ":"))
    signature = signer.private_key.sign(text.encode())
    return {
        "format": FORMAT,
        "kid": signer.kid,
        "signature": base64.b64encode(signature).decode(),
        "payload": text,
    }
