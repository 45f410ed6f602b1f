"""The server's signing keys: creating, rotating, withdrawing, loading and publishing them.

Private keys are PEM files (PKCS#8, mode 0600, encrypted when ``PASSDESK_SIGNING_KEY_PASSPHRASE``
is set) named ``<kid>.pem`` in ``PASSDESK_SIGNING_KEY_DIR``, or a single key given in
``PASSDESK_SIGNING_PRIVATE_KEY``. The database keeps only public metadata (``SigningKey``), so
the web processes, the workers and /api/v1/keys/ agree on which keys verify.

- create: a new key that signs from now on (the newest usable key signs);
- rotate: create a new key and retire the others (they stop signing and keep verifying, so
  passes already printed stay good until they expire);
- withdraw: a key is no longer trusted (compromised); passes it signed fail verification.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import threading
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import Office, SigningKey
from ..models.sqlrows import column, table
from .tokens import Keyring, PublicKeyInfo, Signer, key_id_for, raw_public_key, sign_claims

logger = logging.getLogger(__name__)


class SigningKeyError(Exception):
    """No key can sign, or a key operation is not possible. The message is for people."""


# --- Loading private keys ------------------------------------------------------------------


def key_dir() -> Path:
    return Path(settings.PASSDESK_SIGNING_KEY_DIR)


def _passphrase() -> bytes | None:
    value = settings.PASSDESK_SIGNING_KEY_PASSPHRASE
    return value.encode("utf-8") if value else None


def parse_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode("ascii"), password=_passphrase())
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(_("The signing key is not an Ed25519 key."))
        return key
    seed = base64.b64decode(text, validate=True)
    return Ed25519PrivateKey.from_private_bytes(seed)


def environment_key() -> Ed25519PrivateKey | None:
    text = settings.PASSDESK_SIGNING_PRIVATE_KEY
    return parse_private_key(text) if text else None


def _key_path(kid: str) -> Path:
    return key_dir() / f"{kid}.pem"


_private_cache: dict[tuple[str, str], Ed25519PrivateKey] = {}
_keyring_cache: dict[str, tuple[tuple, Keyring]] = {}
_lock = threading.Lock()


def clear_cache(*, announce: bool = True) -> None:
    """Forget this process's copies; after a key change (``announce``) tell the others too."""
    with _lock:
        _private_cache.clear()
        _keyring_cache.clear()
    if announce:
        announce_key_change()


def load_private_key(kid: str) -> Ed25519PrivateKey | None:
    """The private key of ``kid`` from the environment or the key directory, if present."""
    cache_key = (str(key_dir()), kid)
    with _lock:
        if cache_key in _private_cache:
            return _private_cache[cache_key]
    key = None
    from_env = environment_key()
    if from_env is not None and key_id_for(from_env.public_key()) == kid:
        key = from_env
    else:
        path = _key_path(kid)
        if path.exists():
            key = parse_private_key(path.read_text("ascii"))
    if key is not None:
        with _lock:
            _private_cache[cache_key] = key
    return key


def _write_private_key(kid: str, key: Ed25519PrivateKey) -> Path:
    return write_private_pem(_key_path(kid), key)


def write_private_pem(path: Path, key: Ed25519PrivateKey) -> Path:
    """Write a private key into the key directory under the rules every private key follows
    (the trust-list key too): encrypted outside DEBUG, never over an existing file, 0600."""
    passphrase = _passphrase()
    if not passphrase and not settings.DEBUG:
        raise SigningKeyError(
            _(
                "Set PASSDESK_SIGNING_KEY_PASSPHRASE: outside DEBUG a private signing key is "
                "only written to disk encrypted."
            )
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    # O_EXCL: never overwrite a key; 0600 from the first byte, whatever the umask.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


# --- Key operations ------------------------------------------------------------------------


def _public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(raw_public_key(key.public_key())).decode("ascii")


def office_keys(office_id=None):
    """Signing keys of an office (None: all); keys with no office belong to the first office."""
    if office_id is None:
        return SigningKey.objects.all()
    scope = Q(office_id=office_id)
    if Office.objects.order_by("pk").values_list("pk", flat=True).first() == office_id:
        scope |= Q(office__isnull=True)
    return SigningKey.objects.filter(scope)


def create_key(*, by=None, retire_others=False, office=None) -> SigningKey:
    """Generate a key, write its private half to the key directory and record its public half.
    With ``retire_others`` (rotation) every other active key of the same office stops signing.
    ``office``: the office whose passes it signs (None: the first office)."""
    for _attempt in range(5):
        private = Ed25519PrivateKey.generate()
        kid = key_id_for(private.public_key())
        if not SigningKey.objects.filter(kid=kid).exists() and not _key_path(kid).exists():
            break
    else:  # pragma: no cover - 32-bit ids colliding five times running
        raise SigningKeyError("could not find a free key id")
    _write_private_key(kid, private)
    with transaction.atomic():
        now = timezone.now()
        retired = []
        if retire_others:
            retired = list(
                office_keys(getattr(office, "pk", None))
                .filter(retired_at__isnull=True)
                .values_list("kid", flat=True)
            )
            SigningKey.objects.filter(kid__in=retired).update(retired_at=now)
        record = SigningKey.objects.create(
            kid=kid, public_key=_public_b64(private), created_at=now, office=office
        )
        audit.record(
            "signing_key.rotate" if retire_others else "signing_key.create",
            actor=by,
            data={"kid": kid, "retired": retired, "office": getattr(office, "region_code", "")},
        )
    clear_cache()
    return record


def rotate_key(*, by=None, office=None) -> SigningKey:
    return create_key(by=by, retire_others=True, office=office)


def withdraw_key(kid: str, *, reason: str, by=None) -> SigningKey:
    reason = (reason or "").strip()
    if not reason:
        raise SigningKeyError(_("A reason is required."))
    with transaction.atomic():
        try:
            record = SigningKey.objects.select_for_update().get(kid=kid)
        except SigningKey.DoesNotExist:
            raise SigningKeyError(_("No signing key %(kid)s.") % {"kid": kid}) from None
        if record.withdrawn_at:
            raise SigningKeyError(_("Key %(kid)s is already withdrawn.") % {"kid": kid})
        now = timezone.now()
        record.withdrawn_at = now
        record.retired_at = record.retired_at or now
        record.withdrawal_reason = reason
        record.save(update_fields=["withdrawn_at", "retired_at", "withdrawal_reason"])
        audit.record("signing_key.withdraw", actor=by, reason=reason, data={"kid": kid})
        transaction.on_commit(lambda: destroy_private_key(kid), robust=True)
    clear_cache()
    return record


def destroy_private_key(kid: str) -> bool:
    """Overwrite and remove the private half of a withdrawn key: nothing can sign with it any
    more, whatever happens to the disk later. A key given in the environment cannot be removed
    from here; it is only refused (and the operator told to remove it)."""
    path = _key_path(kid)
    with _lock:
        _private_cache.pop((str(key_dir()), kid), None)
    if not path.exists():
        return False
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # best effort on journalling or copy-on-write disks
        handle.write(os.urandom(size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    return True


def _register_environment_key(private: Ed25519PrivateKey) -> SigningKey:
    """The key in the environment signs; a new one retires the keys before it."""
    kid = key_id_for(private.public_key())
    record = SigningKey.objects.filter(kid=kid).first()
    if record is not None:
        return record
    with transaction.atomic():
        now = timezone.now()
        retired = list(
            SigningKey.objects.filter(retired_at__isnull=True).values_list("kid", flat=True)
        )
        SigningKey.objects.filter(kid__in=retired).update(retired_at=now)
        record = SigningKey.objects.create(kid=kid, public_key=_public_b64(private), created_at=now)
        audit.record("signing_key.register", data={"kid": kid, "retired": retired})
    clear_cache()
    return record


def current_key(office_id=None) -> SigningKey | None:
    """The key that signs now: the environment's, or the newest active key (of the office
    ``office_id``, when given) whose private half is in the key directory."""
    private = environment_key()
    if private is not None:
        record = _register_environment_key(private)
        return None if record.withdrawn_at or record.retired_at else record
    usable = office_keys(office_id).filter(retired_at__isnull=True, withdrawn_at__isnull=True)
    for record in usable:
        if load_private_key(record.kid) is not None:
            return record
    return None


def ensure_signing_key() -> SigningKey:
    """A usable signing key, created if there is none (the demo command calls this)."""
    return current_key() or create_key()


def current_signer(office_id=None) -> Signer:
    record = current_key(office_id)
    if record is None and settings.PASSDESK_SIGNING_AUTO_CREATE:
        record = create_key(office=Office.objects.filter(pk=office_id).first())
    if record is None:
        raise SigningKeyError(
            _(
                "No signing key is available: run “python manage.py passdesk_keys create” or "
                "set PASSDESK_SIGNING_PRIVATE_KEY."
            )
        )
    return Signer(kid=record.kid, private_key=load_private_key(record.kid))


# --- Publishing ----------------------------------------------------------------------------


def _info(record: SigningKey) -> PublicKeyInfo:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return PublicKeyInfo(
        kid=record.kid,
        key=Ed25519PublicKey.from_public_bytes(base64.b64decode(record.public_key)),
        created_at=record.created_at,
        retired_at=record.retired_at,
        withdrawn_at=record.withdrawn_at,
    )


VERSION_CACHE_KEY = "passdesk:signing-keys:version"


def _shared_cache():
    """Django's cache when every process shares it (Redis via CACHE_URL); None for the
    per-process memory cache, which another process's change never reaches."""
    cache = caches["default"]
    return None if isinstance(cache, LocMemCache | DummyCache) else cache


def table_version() -> tuple:
    """A fingerprint of the key table that changes with every create, retire and withdraw:
    one aggregate over a table of a handful of rows. Plain SQL (``models.sqlrows``): it runs
    on every scan without a shared cache, and building the same aggregate through the ORM
    costs more than the query itself. ``table_version_orm`` is its ORM twin."""
    with connection.cursor() as cursor:
        cursor.execute(_version_sql())
        return tuple(cursor.fetchone())


@cache
def _version_sql() -> str:
    latest = ", ".join(
        f"MAX({column(SigningKey, name)})" for name in ("created_at", "retired_at", "withdrawn_at")
    )
    return f"SELECT COUNT(*), {latest} FROM {table(SigningKey)}"  # noqa: S608 - quoted model identifiers


def table_version_orm() -> tuple:
    """``table_version`` through the ORM: the reference its SQL is held to."""
    found = SigningKey.objects.aggregate(
        count=Count("pk"),
        created=Max("created_at"),
        retired=Max("retired_at"),
        withdrawn=Max("withdrawn_at"),
    )
    return (found["count"], found["created"], found["retired"], found["withdrawn"])


def keys_version() -> tuple:
    """What the parsed key ring is checked against on every verification: a version number in
    the shared cache (one cache read), bumped by every key change once it commits; without a
    shared cache, or while it is unreachable, the key table's fingerprint (one query)."""
    shared = _shared_cache()
    if shared is not None:
        try:
            version = shared.get(VERSION_CACHE_KEY)
            if version is None:  # evicted or never set: start a new one, everyone rebuilds
                shared.add(VERSION_CACHE_KEY, secrets.token_hex(8), timeout=None)
                version = shared.get(VERSION_CACHE_KEY)
            if version is not None:
                return ("cache", version)
        except Exception:  # noqa: BLE001 - the cache is down: the database decides
            logger.warning("signing keys: shared cache unreachable, checking the table")
    return ("table", *table_version())


def _bump_version() -> None:
    shared = _shared_cache()
    if shared is None:
        return
    try:
        shared.set(VERSION_CACHE_KEY, secrets.token_hex(8), timeout=None)
    except Exception:  # noqa: BLE001
        logger.error("signing keys: could not announce a key change through the cache")


def announce_key_change() -> None:
    """Every process rebuilds its key ring at its next verification (after the commit)."""
    if _shared_cache() is not None:  # otherwise the table itself is the version
        transaction.on_commit(_bump_version, robust=True)


@receiver(post_save, sender=SigningKey, dispatch_uid="passes.signing.keys.announce")
def _announce_saved_key(sender, **kwargs):
    announce_key_change()


def server_keyring() -> Keyring:
    """Every known public key. The parsed ring is kept per process and rebuilt as soon as the
    key table's version changes, so a withdrawal made by any process (the admin, the
    ``passdesk_keys`` command on another machine) counts at once everywhere."""
    alias = settings.DATABASES["default"]["NAME"]
    cache_key = str(alias)
    version = keys_version()
    with _lock:
        cached = _keyring_cache.get(cache_key)
        if cached and cached[0] == version:
            return cached[1]
    ring = Keyring()
    for record in SigningKey.objects.all():
        ring.add(_info(record))
    with _lock:
        _keyring_cache[cache_key] = (version, ring)
    return ring


def iso_or_none(value):
    """A time as ISO 8601 (None stays None), as the published key documents write it."""
    return value.isoformat() if value else None


def public_keys_document() -> dict:
    """What /api/v1/keys/ serves and ``passdesk_keys export-public`` writes: the input of
    ``python -m passes.verify --keys``."""
    keys = []
    for record in SigningKey.objects.order_by("created_at", "id"):
        keys.append(
            {
                "kid": record.kid,
                "algorithm": "Ed25519",
                "public_key": record.public_key,
                "state": record.state,
                "created_at": iso_or_none(record.created_at),
                "retired_at": iso_or_none(record.retired_at),
                "withdrawn_at": iso_or_none(record.withdrawn_at),
            }
        )
    return {"token_version": 1, "generated_at": iso_or_none(timezone.now()), "keys": keys}


def sign_pass(pass_obj, signer: Signer | None = None) -> str:
    """The token for a pass, signed with the current key (deterministic for a given key)."""
    if signer is None:
        signer = current_signer()
    return sign_claims(
        signer,
        number=pass_obj.number,
        plate=pass_obj.plate,
        valid_from=pass_obj.valid_from,
        valid_until=pass_obj.valid_until,
    )
