"""Signed pass tokens: what the QR code on a pass carries, verifiable offline.

A token is a compact Ed25519-signed statement "pass N for plate P is valid from A until B",
in the spirit of the EU Digital COVID Certificate and pretix's signed ticket secrets, but binary
and small enough to keep the QR code at version 10 or lower with error correction M.

Token format, version 1 (all integers unsigned big-endian)::

    offset  size  field
    0       1     format version = 1
    1       4     key id (shown as 8 lower-case hex digits; the first 4 bytes of the SHA-256
                  of the raw 32-byte public key)
    5       5     pass number, as an integer < 10**12 (12 decimal digits, zero-padded)
    10      4     valid_from, Unix seconds (an instant; shown in Asia/Shanghai), inclusive
    14      4     valid_until, Unix seconds, exclusive: at valid_until the pass has expired
    18      n     plate, normalised (湘B12345), UTF-8, 1 <= n <= 32 (length = total - 82)
    18+n    64    Ed25519 signature over bytes [0, 18+n)

The whole is written in RFC 4648 base32 (A-Z, 2-7) without padding: 148 characters for an
ordinary plate. Base32 upper case falls in the QR alphanumeric set (5.5 bits a character), so
the QR code holds the verification URL ``<PASSDESK_PUBLIC_BASE_URL>/v/<token>`` as two segments,
the prefix in byte mode and the token in alphanumeric mode (see ``qr_segments``).

Verifying a token (``verify_token``) answers only "is this genuine": the claims, or a
``TokenError`` whose ``reason`` says why not (malformed, unknown key, forged, withdrawn key).
Whether the genuine pass is valid *now* is a separate question (``verdict_for``) answered from
the claims, the time and a revocation list, so the server and the offline verifier share it.

This module needs no Django settings, ORM or database (the plate rule it shares,
``validators.normalize_plate``, is plain Python): ``python -m passes.verify`` uses it on a
checkpoint laptop; the key store and ``sign_pass`` are in
``signing.keys``. ``verification_url`` reads the public base URL from the settings lazily.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import struct
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..validators import normalize_plate

TOKEN_VERSION = 1
_HEADER = struct.Struct(">B4s5sII")  # version, kid, number (40 bits), valid_from, valid_until
HEADER_SIZE = _HEADER.size  # 18
SIGNATURE_SIZE = 64
MAX_PLATE_BYTES = 32
MAX_NUMBER = 10**12 - 1
VERIFY_PATH = "/v/"

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991

_BASE32_CHARS = re.compile(r"^[A-Z2-7]+$")
_B32_VALUES = {char: value for value, char in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}


# --- Errors ---------------------------------------------------------------------------------


class TokenError(Exception):
    """The token is not a genuine pass. ``reason`` is a stable code; every reason means the
    inspector must treat the pass as forged (``verdict``)."""

    reason = "invalid"

    def __init__(self, message: str = "", kid: str | None = None):
        super().__init__(message or self.reason)
        self.kid = kid

    @property
    def verdict(self) -> Verdict:
        return Verdict.FORGED


class MalformedToken(TokenError):
    """Not a passdesk token at all: wrong alphabet, length, version or field values."""

    reason = "malformed"


class UnknownKey(TokenError):
    """Signed with a key id this keyring does not know (an out-of-date keys file, or a fake)."""

    reason = "unknown_key"


class ForgedToken(TokenError):
    """The signature does not match: the token was altered or signed by someone else."""

    reason = "forged"


class WithdrawnKey(TokenError):
    """Signed with a key the office has withdrawn (compromised): no longer trusted."""

    reason = "withdrawn_key"


# --- Claims and verdicts --------------------------------------------------------------------


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    # Computed by callers: the signature check failed, the number is not on record (typed by
    # hand), or the plate on the truck is not the plate on the pass.
    FORGED = "forged"
    UNKNOWN = "unknown"
    PLATE_MISMATCH = "plate_mismatch"
    # A good pass bound to a route, scanned at a checkpoint that is not on it.
    OFF_ROUTE = "off_route"


@dataclass(frozen=True)
class TokenClaims:
    number: str
    plate: str
    valid_from: datetime.datetime  # aware, UTC
    valid_until: datetime.datetime  # aware, UTC, exclusive
    kid: str
    version: int = TOKEN_VERSION

    @property
    def grouped_number(self) -> str:
        return group_number(self.number)


def group_number(number: str) -> str:
    """``430200000123`` -> ``430200 000123``: district code, then serial, easy to type."""
    return f"{number[:6]} {number[6:]}" if len(number) == 12 else number


def _aware(at: datetime.datetime | None) -> datetime.datetime:
    if at is None:
        return datetime.datetime.now(datetime.UTC)
    if at.tzinfo is None:
        raise ValueError("naive datetime: give a time zone (Asia/Shanghai or UTC)")
    return at


def verdict_for(
    claims: TokenClaims,
    at: datetime.datetime | None = None,
    revoked_numbers=(),
    plate: str | None = None,
    checkpoint: str | None = None,
    route=None,
) -> Verdict:
    """The verdict on a genuine pass at ``at``: revoked, plate mismatch (when the plate seen on
    the truck is given), not yet valid, expired, off route or valid, in that order of
    precedence.

    ``route`` is the codes of the checkpoints a route-bound pass is good at (None or empty for
    a pass good anywhere); ``checkpoint`` the code of the one where it is scanned (None when
    unknown: no route check).

    The window is ``valid_from <= at < valid_until`` in absolute time; Asia/Shanghai is only how
    it is shown.
    """
    at = _aware(at)
    if claims.number in revoked_numbers:
        return Verdict.REVOKED
    if plate is not None and normalize_plate(plate) != claims.plate:
        return Verdict.PLATE_MISMATCH
    if at < claims.valid_from:
        return Verdict.NOT_YET_VALID
    if at >= claims.valid_until:
        return Verdict.EXPIRED
    if checkpoint and route and checkpoint not in route:
        return Verdict.OFF_ROUTE
    return Verdict.VALID


# --- Keys -----------------------------------------------------------------------------------


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(public_key)).digest()[:4].hex()


@dataclass(frozen=True)
class PublicKeyInfo:
    """A verifying key as published at /api/v1/keys/."""

    kid: str
    key: Ed25519PublicKey
    created_at: datetime.datetime | None = None
    retired_at: datetime.datetime | None = None  # stopped signing; still verifies
    withdrawn_at: datetime.datetime | None = None  # no longer verifies from this instant

    def is_withdrawn(self, at: datetime.datetime) -> bool:
        return self.withdrawn_at is not None and self.withdrawn_at <= at


@dataclass
class Keyring:
    keys: dict[str, PublicKeyInfo] = field(default_factory=dict)

    def add(self, info: PublicKeyInfo) -> None:
        self.keys[info.kid] = info

    def get(self, kid: str) -> PublicKeyInfo | None:
        return self.keys.get(kid)

    @classmethod
    def from_json(cls, data) -> Keyring:
        """Read the JSON of GET /api/v1/keys/ (``{"keys": [{"kid", "public_key", ...}]}``)."""
        entries = data.get("keys", []) if isinstance(data, dict) else data
        ring = cls()
        for entry in entries:
            raw = base64.b64decode(entry["public_key"], validate=True)
            key = Ed25519PublicKey.from_public_bytes(raw)
            if key_id_for(key) != entry["kid"]:
                raise ValueError(f"key id {entry['kid']} does not match its public key")
            ring.add(
                PublicKeyInfo(
                    kid=entry["kid"],
                    key=key,
                    created_at=parse_time(entry.get("created_at")),
                    retired_at=parse_time(entry.get("retired_at")),
                    withdrawn_at=parse_time(entry.get("withdrawn_at")),
                )
            )
        return ring


def parse_time(value) -> datetime.datetime | None:
    if not value:
        return None
    parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Signer:
    kid: str
    private_key: Ed25519PrivateKey


# --- Encoding -------------------------------------------------------------------------------


def _seconds(moment: datetime.datetime) -> int:
    seconds = int(_aware(moment).timestamp() // 1)
    if not 0 <= seconds <= 0xFFFFFFFF:
        raise ValueError("time outside the token's range (1970-2106)")
    return seconds


def encode_payload(
    *, kid: str, number: str, plate: str, valid_from, valid_until, version=TOKEN_VERSION
) -> bytes:
    if not (len(number) == 12 and number.isdigit()):
        raise ValueError("a pass number has 12 digits")
    plate_bytes = normalize_plate(plate).encode("utf-8")
    if not 1 <= len(plate_bytes) <= MAX_PLATE_BYTES:
        raise ValueError("plate length out of range")
    header = _HEADER.pack(
        version,
        bytes.fromhex(kid),
        int(number).to_bytes(5, "big"),
        _seconds(valid_from),
        _seconds(valid_until),
    )
    return header + plate_bytes


def sign_claims(signer: Signer, *, number, plate, valid_from, valid_until) -> str:
    payload = encode_payload(
        kid=signer.kid, number=number, plate=plate, valid_from=valid_from, valid_until=valid_until
    )
    signature = signer.private_key.sign(payload)
    return base64.b32encode(payload + signature).decode("ascii").rstrip("=")


def decode_token(token: str) -> tuple[TokenClaims, bytes, bytes]:
    """Split a token into claims, the signed bytes and the signature, without verifying."""
    if not isinstance(token, str):
        raise MalformedToken("not text")
    token = token.strip().upper()
    if not _BASE32_CHARS.match(token) or len(token) > 200:
        raise MalformedToken("not a passdesk token")
    try:
        blob = base64.b32decode(token + "=" * (-len(token) % 8))
    except ValueError as exc:
        raise MalformedToken("bad base32") from exc
    plate_size = len(blob) - HEADER_SIZE - SIGNATURE_SIZE
    if not 1 <= plate_size <= MAX_PLATE_BYTES:
        raise MalformedToken("wrong length")
    unused_bits = len(token) * 5 - len(blob) * 8
    if unused_bits >= 5 or _B32_VALUES[token[-1]] & ((1 << unused_bits) - 1):
        raise MalformedToken("non-canonical encoding")  # one blob, one spelling
    payload, signature = blob[:-SIGNATURE_SIZE], blob[-SIGNATURE_SIZE:]
    version, kid, number, valid_from, valid_until = _HEADER.unpack_from(payload)
    if version != TOKEN_VERSION:
        raise MalformedToken(f"unsupported token version {version}")
    number_int = int.from_bytes(number, "big")
    if number_int > MAX_NUMBER:
        raise MalformedToken("pass number out of range")
    try:
        plate = payload[HEADER_SIZE:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedToken("plate is not UTF-8") from exc
    claims = TokenClaims(
        number=f"{number_int:012d}",
        plate=plate,
        valid_from=datetime.datetime.fromtimestamp(valid_from, datetime.UTC),
        valid_until=datetime.datetime.fromtimestamp(valid_until, datetime.UTC),
        kid=kid.hex(),
        version=version,
    )
    return claims, payload, signature


def verify_token(token: str, keys: Keyring, at=None) -> TokenClaims:
    """The claims of a genuine token, or a ``TokenError`` saying why it is not one.

    ``keys``: the server's (``keys.server_keyring()``) or a checkpoint's copy. ``at`` (default
    now) matters only for withdrawn keys: a key withdrawn at T stops verifying from T on.
    """
    claims, payload, signature = decode_token(token)
    info = keys.get(claims.kid)
    if info is None:
        raise UnknownKey(f"unknown key {claims.kid}", kid=claims.kid)
    try:
        info.key.verify(signature, payload)
    except InvalidSignature as exc:
        raise ForgedToken("signature does not match", kid=claims.kid) from exc
    if info.is_withdrawn(_aware(at)):
        raise WithdrawnKey(f"key {claims.kid} was withdrawn", kid=claims.kid)
    return claims


# --- The QR code ------------------------------------------------------


def verification_url(token: str, base_url: str | None = None) -> str:
    """What the QR code holds: the public verification page of this token."""
    if base_url is None:
        from django.conf import settings

        base_url = settings.PASSDESK_PUBLIC_BASE_URL
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{token}"


def token_from_qr_text(text: str) -> str:
    """The token in what a scanner read: the verification URL or a bare token."""
    text = (text or "").strip()
    if VERIFY_PATH in text:
        text = text.rsplit(VERIFY_PATH, 1)[1]
        text = re.split(r"[/?#]", text, maxsplit=1)[0]
    return text.upper()


def qr_segments(token: str, base_url: str | None = None) -> list[str]:
    """The verification URL as two QR segments: segno encodes the prefix in byte mode (it has
    lower case) and the base32 token in alphanumeric mode, which saves a fifth of its bits."""
    url = verification_url(token, base_url)
    return [url[: -len(token)], token]


def make_qr(token: str, base_url: str | None = None):
    """A ``segno`` QR code (error correction M, never boosted) for a token's URL."""
    import segno

    return segno.make_qr(qr_segments(token, base_url), error="m", boost_error=False)
