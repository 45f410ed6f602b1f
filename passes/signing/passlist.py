"""The signed list of an office's live passes, for checking a typed number and plate (and a
scanned pass's route) with no network: format, signature and look-up. No Django: ``python -m
passes.verify`` reads the same list on a laptop, and ``offline.js`` implements the same rules.

The answer of ``GET /api/v1/checkpoint/active-passes/``::

    {"format": 2, "kid": "<8 hex>", "signature": "<Ed25519 over payload's UTF-8, base64>",
     "payload": "<JSON text>"}

The payload (a JSON text, so the signed bytes are exactly what the device verifies)::

    {"generated_at": "2026-11-28T04:00:00Z", "max_age_seconds": 86400,
     "kdf": {"name": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "<16 bytes, base64>"},
     "routes": [["xiangjiang", "fengxi"], ...], "count": 2,
     "entries": "<count x 19 bytes, base64>"}

An entry, sorted by tag for a binary search: tag (8 bytes), valid_from and valid_until (4 bytes
each, seconds since 1970 UTC), route (2 bytes: an index into ``routes``, or 0xFFFF for a pass good
at any checkpoint), flags (1 byte: bit 0 = yellow plate). The tag is the first 8 bytes of
PBKDF2-HMAC-SHA256 over ``"number|plate"`` (plate normalised) with the list's salt and
iterations. Neither the number nor the plate is on the phone in clear, and no key that would
make guessing them cheap: the phone pays one slow hash per look-up, whoever holds a copy pays
one per guessed number and plate (docs/security.md, "The inspector's offline list"). Format 1
(numbers in clear, a fast HMAC with its key in the list) is refused.
"""

from __future__ import annotations

import base64
import bisect
import datetime
import hashlib
import json
import re
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from ..validators import normalize_plate
from .tokens import Keyring

FORMAT = 2
KDF_NAME = "PBKDF2-HMAC-SHA256"
TAG_SIZE = 8
ENTRY = struct.Struct(">8sIIHB")
ENTRY_SIZE = ENTRY.size  # 19
ANY_CHECKPOINT = 0xFFFF
FLAG_YELLOW = 1
# A signed list cannot ask a phone for more work than this per look-up.
MAX_ITERATIONS = 10_000_000


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


def tag_input(number: str, plate: str) -> bytes:
    """What is hashed: the pass number and the normalised plate, together."""
    return f"{number}|{normalize_plate(plate)}".encode()


def entry_tag(number: str, plate: str, *, salt: bytes, iterations: int) -> bytes:
    """The slow tag of one pass: the same function on the server, the phone and the CLI."""
    return hashlib.pbkdf2_hmac("sha256", tag_input(number, plate), salt, iterations, TAG_SIZE)


def pack_entry(tag: bytes, *, valid_from: int, valid_until: int, route: int, flags: int) -> bytes:
    return ENTRY.pack(tag, valid_from, valid_until, route, flags)


@dataclass(frozen=True)
class ListedPass:
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    route: tuple[str, ...]  # empty: any checkpoint
    yellow: bool


@dataclass
class ActivePassList:
    generated_at: datetime.datetime
    max_age: datetime.timedelta
    salt: bytes
    iterations: int
    routes: list[tuple[str, ...]]
    blob: bytes

    @property
    def count(self) -> int:
        return len(self.blob) // ENTRY_SIZE

    def _tag_at(self, index: int) -> bytes:
        start = index * ENTRY_SIZE
        return self.blob[start : start + TAG_SIZE]

    def find_tag(self, tag: bytes) -> ListedPass | None:
        index = bisect.bisect_left(range(self.count), tag, key=self._tag_at)
        if index >= self.count or self._tag_at(index) != tag:
            return None
        _tag, start, until, route, flags = ENTRY.unpack_from(self.blob, index * ENTRY_SIZE)
        return ListedPass(
            valid_from=datetime.datetime.fromtimestamp(start, datetime.UTC),
            valid_until=datetime.datetime.fromtimestamp(until, datetime.UTC),
            route=() if route == ANY_CHECKPOINT else self.routes[route],
            yellow=bool(flags & FLAG_YELLOW),
        )

    def lookup(self, number: str, plate: str) -> ListedPass | None:
        """The listed pass with this number and this plate, or None: a wrong plate and a wrong
        number look the same, which is what keeps the numbers off the phone."""
        if not is_well_formed_number(number) or not plate:
            return None
        return self.find_tag(entry_tag(number, plate, salt=self.salt, iterations=self.iterations))

    def is_stale(self, at: datetime.datetime) -> bool:
        return at - self.generated_at > self.max_age


def read_list(document: dict, keys: Keyring) -> ActivePassList:
    """Verify the signed document with the office's published keys and decode it."""
    try:
        if document.get("format") != FORMAT:
            raise ListError(f"list format {document.get('format')!r}; this reader needs {FORMAT}")
        info = keys.get(document["kid"])
        if info is None:
            raise ListError(f"list signed with unknown key {document['kid']}")
        payload_text = document["payload"]
        info.key.verify(base64.b64decode(document["signature"]), payload_text.encode())
        payload = json.loads(payload_text)
        blob = base64.b64decode(payload["entries"])
        if len(blob) % ENTRY_SIZE:
            raise ListError("entries are not whole")
        kdf = payload["kdf"]
        iterations = int(kdf["iterations"])
        if kdf["name"] != KDF_NAME or not 1 <= iterations <= MAX_ITERATIONS:
            raise ListError(f"unsupported hashing: {kdf['name']}, {iterations} iterations")
        return ActivePassList(
            generated_at=datetime.datetime.fromisoformat(
                payload["generated_at"].replace("Z", "+00:00")
            ),
            max_age=datetime.timedelta(seconds=int(payload["max_age_seconds"])),
            salt=base64.b64decode(kdf["salt"]),
            iterations=iterations,
            routes=[tuple(route) for route in payload["routes"]],
            blob=blob,
        )
    except InvalidSignature as exc:
        raise ListError("the list's signature does not verify") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ListError(f"malformed list: {exc}") from exc
