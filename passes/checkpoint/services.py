"""Recording a checkpoint scan and deciding its verdict.

Two ways in: the QR code's signed token (the signature first, with the published keys, then the
record) or a pass number and plate typed by hand. Every scan is kept, forged and unknown ones
too. The device's nonce makes an upload idempotent: the same nonce from the same inspector
returns the first scan, even when two uploads race (a unique constraint decides).
"""

import datetime
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from ..models import Checkpoint, Pass, ScanEvent, Verdict, sqlrows
from ..models.scans import RAW_CODE_MAX_LENGTH
from ..signing import tokens as signing
from ..signing.keys import server_keyring
from ..signing.passlist import is_well_formed_number, normalize_number
from ..trust import peers
from ..validators import normalize_plate
from .summary import PassView, load_pass
from .verdicts import (
    NO_SUCH_PASS,
    OUTSIDE_ISSUER_REGION,
    PLATE_DIFFERS_FROM_RECORD,
    SIGNED_BUT_NOT_ON_RECORD,
)

# A device clock this far ahead of the server is not trusted to judge validity.
CLOCK_AHEAD_TOLERANCE = datetime.timedelta(minutes=5)


@dataclass
class Outcome:
    verdict: str
    pass_obj: PassView | None = None
    number: str = ""
    details: dict = field(default_factory=dict)


# Active checkpoints by code or id, per process for a few seconds: the scan endpoint's busiest
# lookup on a table that changes a few times a year. Saving or deleting one clears it here; other
# processes see the change within CHECKPOINT_CACHE_SECONDS.
CHECKPOINT_CACHE_SECONDS = 10
_checkpoint_cache: dict[str, tuple[float, Checkpoint]] = {}


def active_checkpoint(value: str) -> Checkpoint | None:
    """The active checkpoint with this code (or numeric id), or None."""
    now = time.monotonic()
    hit = _checkpoint_cache.get(value)
    if hit is not None and hit[0] > now:
        return hit[1]
    lookup = {"pk": int(value)} if value.isdigit() else {"code": value}
    checkpoint = Checkpoint.objects.filter(is_active=True, **lookup).first()
    if checkpoint is not None:
        _checkpoint_cache[value] = (now + CHECKPOINT_CACHE_SECONDS, checkpoint)
    return checkpoint


@receiver([post_save, post_delete], sender=Checkpoint)
def _forget_checkpoints(**kwargs):
    _checkpoint_cache.clear()


def _find_pass(number: str) -> PassView | None:
    if not is_well_formed_number(number):
        return None
    return load_pass(number=number)


def _judge(
    pass_obj: PassView, at: datetime.datetime, plate: str | None, checkpoint: str | None
) -> str:
    """The verdict on a pass on record, with the same precedence as the offline verifier:
    revoked, plate mismatch, not yet valid, expired, off route, valid. The window comes from
    the record (an amendment may have narrowed it) and is compared with the time of the scan,
    so an offline scan uploaded later is judged as it was when the truck stood at the bridge.
    ``checkpoint`` is the code of the checkpoint where it is seen."""
    claims = signing.TokenClaims(
        number=pass_obj.number,
        plate=pass_obj.plate,
        valid_from=pass_obj.valid_from,
        valid_until=pass_obj.valid_until,
        kid="",
    )
    revoked = {pass_obj.number} if pass_obj.status == Pass.Status.REVOKED else ()
    return str(
        signing.verdict_for(
            claims,
            at=at,
            revoked_numbers=revoked,
            plate=plate or None,
            checkpoint=checkpoint,
            route=pass_obj.route_codes,
        )
    )


def evaluate(*, at, code=None, number=None, plate=None, checkpoint=None) -> Outcome:
    """Decide a verdict without saving anything. ``checkpoint`` is the code of the checkpoint
    where the pass is seen (None: no route check, e.g. the public page)."""
    typed_plate = normalize_plate(plate) if plate else ""
    details = {}
    if code:
        try:
            token = signing.token_from_qr_text(code)
            own = server_keyring()  # one key-version check per scan
            claims = signing.verify_token(token, peers.verification_keyring(own))
        except signing.TokenError as error:
            details = {"reason": error.reason}
            if error.kid:
                details["kid"] = error.kid
            return Outcome(Verdict.FORGED, details=details)
        number = claims.number
        details["kid"] = claims.kid
        issued_by_peer = peers.peer_issuer(claims.kid, number, own)
        if issued_by_peer is not None:
            return _peer_outcome(claims, issued_by_peer, at, typed_plate, details)
        pass_obj = _find_pass(number)
        if pass_obj is None:
            # Genuinely signed, but not on record (a database restored from an old backup?).
            return Outcome(
                Verdict.UNKNOWN,
                number=number,
                details={**details, "reason": SIGNED_BUT_NOT_ON_RECORD},
            )
        if claims.plate != pass_obj.plate:
            return Outcome(
                Verdict.FORGED,
                pass_obj=pass_obj,
                number=number,
                details={**details, "reason": PLATE_DIFFERS_FROM_RECORD},
            )
    else:
        number = normalize_number(number)
        pass_obj = _find_pass(number)
        if pass_obj is None:
            return Outcome(Verdict.UNKNOWN, number=number, details={"reason": NO_SUCH_PASS})
    verdict = _judge(pass_obj, at, typed_plate, checkpoint)
    if verdict == Verdict.REVOKED and pass_obj.revoked_at and pass_obj.revoked_at > at:
        details["revoked_after_scan"] = True
    return Outcome(verdict, pass_obj=pass_obj, number=number, details=details)


def _peer_outcome(claims, issued_by_peer, at, plate, details) -> Outcome:
    """A pass of a peer deployment's office: judged offline from its signed claims and the
    peer's revocations as of the last pull; there is no record here. Its route is its issuing
    office's business: at this deployment's checkpoints it is judged on its window and plate
    (docs/verification.md)."""
    peer_id, issuer = issued_by_peer
    number = claims.number
    if issuer is None:  # a peer key signing outside its office's region code
        return Outcome(
            Verdict.FORGED, number=number, details={**details, "reason": OUTSIDE_ISSUER_REGION}
        )
    revoked = {number} if peers.is_revoked_by_peer(peer_id, number) else ()
    verdict = signing.verdict_for(claims, at=at, revoked_numbers=revoked, plate=plate or None)
    peer_pass = {
        **issuer.as_dict(),
        "number": number,
        "plate": claims.plate,
        "valid_from": timezone.localtime(claims.valid_from).isoformat(),
        "valid_until": timezone.localtime(claims.valid_until).isoformat(),
    }
    return Outcome(str(verdict), number=number, details={**details, "peer_pass": peer_pass})


def _late_threshold() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PASSDESK_SCAN_LATE_AFTER_SECONDS)


def record_scan(
    *, inspector, checkpoint, nonce, scanned_at, code=None, number=None, plate=None
) -> tuple[ScanEvent, bool]:
    """Judge and keep one scan. Returns ``(scan, created)``; a replayed nonce returns the scan
    recorded the first time and ``created=False``.

    ``scanned_at`` is the device's time (aware). A scan uploaded more than
    ``PASSDESK_SCAN_LATE_AFTER_SECONDS`` after it was made is marked late and still judged at
    the time it was made. A device clock ahead of the server is not believed: such a scan is
    judged at the time it arrived, and the difference is noted.
    """
    if timezone.is_naive(scanned_at):
        scanned_at = timezone.make_aware(scanned_at)
    received_at = timezone.now()
    judged_at = scanned_at
    clock_note = {}
    if scanned_at > received_at + CLOCK_AHEAD_TOLERANCE:
        judged_at = received_at
        clock_note = {"clock_ahead_seconds": int((scanned_at - received_at).total_seconds())}

    outcome = evaluate(
        at=judged_at, code=code, number=number, plate=plate, checkpoint=checkpoint.code
    )
    scan = ScanEvent(
        pass_obj_id=outcome.pass_obj.pk if outcome.pass_obj else None,
        code=(code or "")[:RAW_CODE_MAX_LENGTH],
        number=(outcome.number or normalize_number(number or ""))[:32],
        plate=(normalize_plate(plate) if plate else "")[:16],
        checkpoint=checkpoint,
        inspector=inspector,
        nonce=nonce,
        scanned_at=scanned_at,
        received_at=received_at,
        is_late=received_at - scanned_at > _late_threshold(),
        verdict=outcome.verdict,
        details={**outcome.details, **clock_note},
    )
    scan.loaded_pass = outcome.pass_obj  # what the answer shows, without another query
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint keeps the caller's transaction usable
                _insert(scan)
        else:
            _insert(scan)  # autocommit: one INSERT, no BEGIN/COMMIT round trips
    except IntegrityError:
        first = _first_with_nonce(inspector, nonce)
        if first is None:
            raise
        return first, False
    return scan, True


_INSERTED = (
    "pass_obj",
    "code",
    "number",
    "plate",
    "checkpoint",
    "inspector",
    "nonce",
    "scanned_at",
    "received_at",
    "is_late",
    "verdict",
    "details",
    "decision",
)


def _insert(scan: ScanEvent) -> None:
    """One prepared INSERT (``sqlrows.insert``): the ORM's save() cost more Python than the
    statement on the busiest endpoint, and nobody listens to a scan's save signals."""
    sqlrows.insert(scan, _INSERTED)


def _first_with_nonce(inspector, nonce) -> ScanEvent | None:
    return (
        ScanEvent.objects.select_related("checkpoint")
        .filter(inspector=inspector, nonce=nonce)
        .first()
    )


def scan_pass(scan: ScanEvent) -> PassView | None:
    """The scan's pass, loaded with what its summary needs (for replays)."""
    if scan.pass_obj_id is None:
        return None
    return load_pass(pk=scan.pass_obj_id)
