"""Signed trust lists: which offices of a deployment issue passes, and with which keys.

A deployment publishes its trust list at ``GET /api/v1/trust/``; peers that pinned the
fingerprint of its trust-list key pull it and then verify that deployment's passes offline, as
EU DCC verifiers do with the keys from their gateway. Like ``tokens``, this module needs no
Django, so ``python -m passes.verify --trust`` can use it on a checkpoint laptop.

The signed document (JSON)::

    {"format": "passdesk-trust-list/1",
     "payload": "<the trust list, as JSON text>",
     "signature": "<Ed25519 signature over the UTF-8 bytes of payload, base64>"}

The payload is carried as text so that what was signed is exactly what is verified (no JSON
canonicalisation). The trust list itself::

    {"deployment": {"name": "...", "url": "https://pass.example.cn"},
     "sequence": 1764400000123,           # grows with every list: a lower one is a rollback
     "issued_at": "2026-11-29T08:00:00Z", "expires_at": "2026-12-06T08:00:00Z",
     "signing_key": {"algorithm": "Ed25519", "public_key": "<base64>", "fingerprint": "<hex>"},
     "offices": [{"name": "...", "region_code": "430200",
                  "revocations_url": "https://pass.example.cn/api/v1/revocations/",
                  "keys": [{"kid", "algorithm", "public_key", "state",
                            "created_at", "retired_at", "withdrawn_at"}, ...]}]}

Checks, in order (``verify_trust_list``): the shape; the signing key's SHA-256 fingerprint is
the one pinned out of band (``unpinned_key``); the signature (``bad_signature``); the list has
not expired (``expired``); its sequence is not lower than the last one accepted
(``rolled_back``). The token names its issuer through its key id: a key id maps to exactly one
office of one trust list, and that office's passes carry its region code as their first six
digits (``issuer_for`` refuses a key that signs outside its region).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .tokens import Keyring, PublicKeyInfo, parse_time, raw_public_key

FORMAT = "passdesk-trust-list/1"
MAX_DOCUMENT_BYTES = 1024 * 1024


class TrustListError(Exception):
    """The trust list must not be used. ``reason`` is a stable code."""

    reason = "invalid"


class MalformedTrustList(TrustListError):
    reason = "malformed"


class UnpinnedKey(TrustListError):
    reason = "unpinned_key"


class BadSignature(TrustListError):
    reason = "bad_signature"


class ExpiredTrustList(TrustListError):
    reason = "expired"


class RolledBack(TrustListError):
    reason = "rolled_back"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """What operators compare out of band: SHA-256 of the raw 32-byte key, 64 hex digits."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()


def grouped_fingerprint(value: str) -> str:
    """``ab12cd34...`` in groups of four, easier to read aloud over the phone."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def normalize_fingerprint(text: str) -> str:
    """A fingerprint as people copy it (``grouped_fingerprint``'s groups, colons between bytes,
    upper case, a full-width space from a Chinese input method) as the 64 lower-case hex digits
    it is compared and stored as."""
    return "".join(text.split()).replace(":", "").lower()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sign_trust_list(payload: dict, private_key: Ed25519PrivateKey) -> dict:
    """The signed document for ``payload`` (its ``signing_key`` entry is filled in here)."""
    public = private_key.public_key()
    payload = {
        **payload,
        "signing_key": {
            "algorithm": "Ed25519",
            "public_key": _b64(raw_public_key(public)),
            "fingerprint": fingerprint(public),
        },
    }
    for name in ("issued_at", "expires_at"):
        if isinstance(payload.get(name), datetime.datetime):
            payload[name] = _iso(payload[name])
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    signature = private_key.sign(text.encode("utf-8"))
    return {"format": FORMAT, "payload": text, "signature": _b64(signature)}


@dataclass(frozen=True)
class TrustedOffice:
    name: str
    region_code: str
    revocations_url: str
    keys: tuple[PublicKeyInfo, ...] = ()


@dataclass
class TrustList:
    deployment: str
    url: str
    sequence: int
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    fingerprint: str
    offices: list[TrustedOffice] = field(default_factory=list)

    def keyring(self) -> Keyring:
        ring = Keyring()
        for office in self.offices:
            for info in office.keys:
                ring.add(info)
        return ring

    def office_of(self, kid: str) -> TrustedOffice | None:
        for office in self.offices:
            if any(info.kid == kid for info in office.keys):
                return office
        return None


def _now(at):
    return at if at is not None else datetime.datetime.now(datetime.UTC)


def verify_trust_list(
    document, *, pinned: str | set[str], min_sequence: int = 0, at=None
) -> TrustList:
    """The trust list in ``document`` if every check passes, else a ``TrustListError``.

    ``pinned``: the fingerprint(s) exchanged out of band; ``min_sequence``: the sequence of the
    last list accepted from this peer (0 for the first pull).
    """
    pins = {pinned} if isinstance(pinned, str) else set(pinned)
    pins = {normalize_fingerprint(pin) for pin in pins}
    try:
        if document.get("format") != FORMAT:
            raise MalformedTrustList(f"not a {FORMAT} document")
        text = document["payload"]
        signature = base64.b64decode(document["signature"], validate=True)
        payload = json.loads(text)
        key_entry = payload["signing_key"]
        public = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(key_entry["public_key"], validate=True)
        )
    except TrustListError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedTrustList(f"malformed trust list: {exc}") from exc
    actual = fingerprint(public)
    if actual not in pins:
        raise UnpinnedKey(f"signed by key {actual}, which is not pinned")
    try:
        public.verify(signature, text.encode("utf-8"))
    except InvalidSignature as exc:
        raise BadSignature("the signature does not match the trust list") from exc
    trust = _parse(payload, actual)
    now = _now(at)
    if trust.expires_at <= now:
        raise ExpiredTrustList(f"the trust list expired at {_iso(trust.expires_at)}")
    if trust.sequence < min_sequence:
        raise RolledBack(
            f"sequence {trust.sequence} is older than the last accepted {min_sequence}"
        )
    return trust


def _parse(payload: dict, actual_fingerprint: str) -> TrustList:
    try:
        offices = []
        for entry in payload["offices"]:
            region = str(entry["region_code"])
            if not (len(region) == 6 and region.isdigit()):
                raise ValueError(f"bad region code {region!r}")
            ring = Keyring.from_json({"keys": entry.get("keys", [])})
            offices.append(
                TrustedOffice(
                    name=str(entry["name"]),
                    region_code=region,
                    revocations_url=str(entry.get("revocations_url") or ""),
                    keys=tuple(ring.keys.values()),
                )
            )
        issued_at = parse_time(payload["issued_at"])
        expires_at = parse_time(payload["expires_at"])
        sequence = payload["sequence"]
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
            raise ValueError("sequence must be a non-negative integer")
        if issued_at is None or expires_at is None:
            raise ValueError("issued_at and expires_at are required")
        deployment = payload.get("deployment") or {}
        return TrustList(
            deployment=str(deployment.get("name", "")),
            url=str(deployment.get("url", "")),
            sequence=sequence,
            issued_at=issued_at,
            expires_at=expires_at,
            fingerprint=actual_fingerprint,
            offices=offices,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedTrustList(f"malformed trust list: {exc}") from exc


@dataclass(frozen=True)
class Issuer:
    """Who issued a peer's pass, for the verdict."""

    office: str
    region_code: str
    deployment: str

    def as_dict(self) -> dict:
        return {
            "office": self.office,
            "region_code": self.region_code,
            "deployment": self.deployment,
        }


def issuer_for(trust: TrustList, kid: str, number: str) -> Issuer | None:
    """The issuing office of a token signed with ``kid`` for pass ``number``, or None when the
    key is not in the list or signs outside its office's region code."""
    office = trust.office_of(kid)
    if office is None or not number.startswith(office.region_code):
        return None
    return Issuer(office=office.name, region_code=office.region_code, deployment=trust.deployment)
