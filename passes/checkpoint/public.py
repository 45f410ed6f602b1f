"""The public check of a pass: what anyone holding a printed pass may learn about it.

Nothing is recorded (no inspector, no checkpoint). A typed number only answers together with
the right plate, so numbers cannot be walked to harvest passes; what is shown is masked.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from ..models import Verdict
from ..signing.tokens import group_number
from . import services, verdicts
from .summary import pass_summary


@dataclass
class PublicResult:
    verdict: str
    genuine: bool
    summary: dict | None = None
    reason: str = ""
    valid_from: datetime.datetime | None = None
    valid_until: datetime.datetime | None = None
    issuer: dict | None = None  # a trusted peer office's pass: who issued it
    revoked_at: datetime.datetime | None = None  # when the office revoked it (shown)

    @property
    def severity(self) -> str:
        return verdicts.SEVERITY[self.verdict]

    @property
    def label(self) -> str:
        return str(Verdict(self.verdict).label)


def check_token(text: str) -> PublicResult:
    outcome = services.evaluate(at=timezone.now(), code=text or "-")
    peer_pass = outcome.details.get("peer_pass")
    if peer_pass and outcome.verdict != Verdict.FORGED:
        return _peer(outcome.verdict, peer_pass)
    if outcome.verdict == Verdict.FORGED or outcome.pass_obj is None:
        return PublicResult(
            outcome.verdict, genuine=False, reason=outcome.details.get("reason", "")
        )
    return _genuine(outcome)


def check_number(number: str, plate: str) -> PublicResult:
    outcome = services.evaluate(at=timezone.now(), number=number, plate=plate)
    if outcome.pass_obj is None or outcome.verdict == Verdict.PLATE_MISMATCH:
        # Same answer for "no such number" and "wrong plate": nothing to learn by guessing.
        return PublicResult(Verdict.UNKNOWN, genuine=False, reason="no_match")
    return _genuine(outcome)


def _peer(verdict, peer_pass) -> PublicResult:
    """A peer office's pass: what its signed token says, and who issued it."""
    return PublicResult(
        verdict,
        genuine=True,
        summary={"plate": peer_pass["plate"], "number": group_number(peer_pass["number"])},
        valid_from=datetime.datetime.fromisoformat(peer_pass["valid_from"]),
        valid_until=datetime.datetime.fromisoformat(peer_pass["valid_until"]),
        issuer=peer_pass,
    )


def _genuine(outcome) -> PublicResult:
    pass_obj = outcome.pass_obj
    return PublicResult(
        outcome.verdict,
        genuine=True,
        summary=pass_summary(pass_obj, public=True),
        valid_from=pass_obj.valid_from,
        valid_until=pass_obj.valid_until,
        revoked_at=pass_obj.revoked_at if outcome.verdict == Verdict.REVOKED else None,
    )
