"""This deployment's trust list: its offices and their public keys, signed with the long-lived
trust-list key (``manage.py passdesk_keys trust-create``; fingerprint with
``passdesk_keys trust-fingerprint``, to be read to peers out of band).

The key is ``PASSDESK_TRUST_PRIVATE_KEY`` (PEM or base64 seed) or ``trust-list.pem`` in the
signing key directory; ``ensure_keys`` (``passdesk_keys ensure``, the demo, compose's ``migrate``
step) creates it with the first signing key, so the list is served from the first start.

The sequence is the issue time in milliseconds: it grows with every list without any stored
counter, so a peer recognises an older list replayed to it.
"""

import datetime
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import Office, SigningKey
from ..signing import keys as signing_keys
from ..signing import trust as trust_format

TRUST_KEY_FILE = "trust-list.pem"


class TrustKeyError(Exception):
    """No trust-list key, or it cannot be created. The message is for people."""


def _key_path():
    return signing_keys.key_dir() / TRUST_KEY_FILE


def trust_private_key() -> Ed25519PrivateKey | None:
    text = settings.PASSDESK_TRUST_PRIVATE_KEY
    if text:
        return signing_keys.parse_private_key(text)
    path = _key_path()
    if path.exists():
        return signing_keys.parse_private_key(path.read_text("ascii"))
    return None


def require_trust_key() -> Ed25519PrivateKey:
    key = trust_private_key()
    if key is None:
        raise TrustKeyError(
            _(
                "No trust-list key: run “python manage.py passdesk_keys trust-create” or set "
                "PASSDESK_TRUST_PRIVATE_KEY."
            )
        )
    return key


def create_trust_key(*, by=None) -> str:
    """Create the trust-list key (once: it is meant to live for years); its fingerprint."""
    if trust_private_key() is not None:
        raise TrustKeyError(_("A trust-list key already exists."))
    key = Ed25519PrivateKey.generate()
    signing_keys.write_private_pem(_key_path(), key)
    value = trust_format.fingerprint(key.public_key())
    audit.record("trust_key.create", actor=by, data={"fingerprint": value})
    return value


def ensure_trust_key(*, by=None) -> tuple[str, bool]:
    """The trust-list key's fingerprint, the key created first if there is none (so a fresh
    deployment publishes its trust list from the first start); whether it was created."""
    if trust_private_key() is None:
        try:
            return create_trust_key(by=by), True
        except FileExistsError:  # another process wrote it since we looked
            pass
    return trust_fingerprint(), False


@dataclass(frozen=True)
class DeploymentKeys:
    signing: SigningKey
    signing_created: bool
    trust_fingerprint: str
    trust_created: bool


def ensure_keys(*, by=None) -> DeploymentKeys:
    """What a deployment needs to sign passes and its trust list, created where missing and
    left alone where present: the first start of the demo and compose's ``migrate`` step
    (``passdesk_keys ensure``) call this, and calling it again creates nothing. The signing key
    comes first, so a missing passphrase stops it before any key is written."""
    signing = signing_keys.current_key()
    signing_created = signing is None
    if signing_created:
        signing = signing_keys.create_key(by=by)
    fingerprint, trust_created = ensure_trust_key(by=by)
    return DeploymentKeys(signing, signing_created, fingerprint, trust_created)


def trust_fingerprint() -> str:
    return trust_format.fingerprint(require_trust_key().public_key())


def _base_url() -> str:
    return settings.PASSDESK_PUBLIC_BASE_URL.rstrip("/")


def _key_entry(record: SigningKey) -> dict:
    iso = signing_keys.iso_or_none
    return {
        "kid": record.kid,
        "algorithm": "Ed25519",
        "public_key": record.public_key,
        "state": record.state,
        "created_at": iso(record.created_at),
        "retired_at": iso(record.retired_at),
        "withdrawn_at": iso(record.withdrawn_at),
    }


def trust_list_payload(now=None) -> dict:
    """The unsigned trust list: every office with every key it ever used (withdrawn ones too,
    so peers stop trusting them)."""
    now = now or timezone.now()
    revocations_url = _base_url() + reverse("api:revocation-feed")
    offices = []
    first = Office.objects.order_by("pk").first()
    for office in Office.objects.order_by("pk"):
        records = signing_keys.office_keys(office.pk).order_by("created_at", "id")
        offices.append(
            {
                "name": office.name,
                "region_code": office.region_code,
                "revocations_url": revocations_url,
                "keys": [_key_entry(record) for record in records],
            }
        )
    validity = datetime.timedelta(hours=settings.PASSDESK_TRUST_LIST_VALIDITY_HOURS)
    return {
        "deployment": {
            "name": first.name if first else settings.PASSDESK_OFFICE_TITLE,
            "url": _base_url(),
        },
        "sequence": int(now.timestamp() * 1000),
        "issued_at": now,
        "expires_at": now + validity,
        "offices": offices,
    }


def signed_trust_list(now=None) -> dict:
    """What GET /api/v1/trust/ serves."""
    return trust_format.sign_trust_list(trust_list_payload(now), require_trust_key())
