"""The signed list of an office's active passes, for checking a typed number and plate (and a
pass's route) with no network: format, signature and look-up. No Django: ``python -m
passes.verify`` reads the same list on a laptop, and ``offline.js`` implements the same rules.

The answer of ``GET /api/v1/checkpoint/active-passes/``::

    {"format": 1, "kid": "<8 hex>", "signature": "<Ed25519 over payload's UTF-8, base64>",
     "payload": "<JSON text>"}

The payload (a JSON text, so the signed bytes are exactly what the device verifies)::

    {"generated_at": "2026-11-28T04:00:00Z", "max_age_seconds": 86400,
     "hash_key": "<16 bytes, base64>", "routes": [["xiangjiang", "fengxi"], ...],
     "count": 2, "entries": "<count x 24 bytes, base64>"}

An entry, sorted by number for a binary search: number (5 bytes, big-endian), valid_from and
valid_until (4 bytes each, seconds since 1970 UTC), route (2 bytes: an index into ``routes``, or
0xFFFF for a pass good at any checkpoint), flags (1 byte: bit 0 = yellow plate), and the first
8 bytes of HMAC-SHA256(hash_key, "number|plate|valid_from|valid_until"). The plate is thus not on
the phone in clear: a typed plate is hashed with the number and window and compared. The hash
key is random per list.
"""

from __future__ import annotations

import base64
import bisect
import datetime
import hashlib
import hmac
import json
import re
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from ..validators import normalize_plate
from .tokens import Keyring

FORMAT = 1
ENTRY = struct.Struct(">5sIIHB8s")
ENTRY_SIZE = ENTRY.size  # 24
ANY_CHECKPOINT = 0xFFFF
FLAG_YELLOW = 1


_NUMBER_SEPARATORS = re.compile(r"[\s\-_·.]")


def normalize_number(value: str) -> str:
    """``430200 000123``, ``430200-000123`` and full-width ``４３０２００　０００１２３`` ->
    ``430200000123`` (phones' Chinese keyboards type full-width digits)."""
    return _NUMBER_SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def is_well_formed_number(value: str) -> bool:
    """12 ASCII digits (6-digit district code + 6-digit serial), after normalising."""
    return len(value) == 12 and value.isascii() and value.isdigit()


class ListError(Exception):
    """The list is unusable: malformed, or its signature does not verify."""


def entry_hash(key: bytes, number: str, plate: str, valid_from: int, valid_until: int) -> bytes:
    message = f"{number}|{normalize_plate(plate)}|{valid_from}|{valid_until}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:8]


def pack_entry(
    key: bytes, *, number: str, plate: str, valid_from: int, valid_until: int, route: int, flags
) -> bytes:
    return ENTRY.pack(
        int(number).to_bytes(5, "big"),
        valid_from,
        valid_until,
        route,
        flags,
        entry_hash(key, number, plate, valid_from, valid_until),
    )


@dataclass(frozen=True)
class ListedPass:
    number: str
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    route: tuple[str, ...]  # empty: any checkpoint
    yellow: bool
    digest: bytes


@dataclass
class ActivePassList:
    generated_at: datetime.datetime
    max_age: datetime.timedelta
    hash_key: bytes
    routes: list[tuple[str, ...]]
    blob: bytes

    @property
    def count(self) -> int:
        return len(self.blob) // ENTRY_SIZE

    def _number_at(self, index: int) -> int:
        start = index * ENTRY_SIZE
        return int.from_bytes(self.blob[start : start + 5], "big")

    def find(self, number: str) -> ListedPass | None:
        if not (len(number) == 12 and number.isdigit()):
            return None
        wanted = int(number)
        index = bisect.bisect_left(range(self.count), wanted, key=self._number_at)
        if index >= self.count or self._number_at(index) != wanted:
            return None
        _n, start, until, route, flags, digest = ENTRY.unpack_from(self.blob, index * ENTRY_SIZE)
        return ListedPass(
            number=number,
            valid_from=datetime.datetime.fromtimestamp(start, datetime.UTC),
            valid_until=datetime.datetime.fromtimestamp(until, datetime.UTC),
            route=() if route == ANY_CHECKPOINT else self.routes[route],
            yellow=bool(flags & FLAG_YELLOW),
            digest=digest,
        )

    def plate_matches(self, listed: ListedPass, plate: str) -> bool:
        expected = entry_hash(
            self.hash_key,
            listed.number,
            plate,
            int(listed.valid_from.timestamp()),
            int(listed.valid_until.timestamp()),
        )
        return hmac.compare_digest(expected, listed.digest)

    def is_stale(self, at: datetime.datetime) -> bool:
        return at - self.generated_at > self.max_age


def read_list(document: dict, keys: Keyring) -> ActivePassList:
    """Verify the signed document with the office's published keys and decode it."""
    try:
        info = keys.get(document["kid"])
        if info is None:
            raise ListError(f"list signed with unknown key {document['kid']}")
        payload_text = document["payload"]
        info.key.verify(base64.b64decode(document["signature"]), payload_text.encode())
        payload = json.loads(payload_text)
        blob = base64.b64decode(payload["entries"])
        if len(blob) % ENTRY_SIZE:
            raise ListError("entries are not whole")
        return ActivePassList(
            generated_at=datetime.datetime.fromisoformat(
                payload["generated_at"].replace("Z", "+00:00")
            ),
            max_age=datetime.timedelta(seconds=int(payload["max_age_seconds"])),
            hash_key=base64.b64decode(payload["hash_key"]),
            routes=[tuple(route) for route in payload["routes"]],
            blob=blob,
        )
    except InvalidSignature as exc:
        raise ListError("the list's signature does not verify") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ListError(f"malformed list: {exc}") from exc
