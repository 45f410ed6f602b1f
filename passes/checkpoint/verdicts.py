"""What a scan's verdict means and what the inspector must do about it: the one home of the
severity of each verdict and of the reason codes, read by the scan API (and its published
schema), the inspector's page and the public page alike, so none of them can disagree."""

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import Verdict
from ..signing.tokens import TokenError


class Severity(models.TextChoices):
    """What the inspector must do: go (green), check (amber), stop (red)."""

    OK = "ok", _("Go: the pass is good here (green).")
    WARN = "warn", _("Check: the pass is genuine but not good here and now (amber).")
    BAD = "bad", _("Stop: the pass is forged, unknown, revoked or for another vehicle (red).")


SEVERITY = {
    Verdict.VALID: Severity.OK.value,
    Verdict.EXPIRED: Severity.WARN.value,
    Verdict.NOT_YET_VALID: Severity.WARN.value,
    Verdict.REVOKED: Severity.BAD.value,
    Verdict.FORGED: Severity.BAD.value,
    Verdict.UNKNOWN: Severity.BAD.value,
    Verdict.PLATE_MISMATCH: Severity.BAD.value,
    Verdict.OFF_ROUTE: Severity.WARN.value,
}

# What each verdict tells a client, for the published schema (its labels are the short form).
VERDICT_MEANINGS = {
    Verdict.VALID: _("The pass is genuine, active and within its validity window here."),
    Verdict.EXPIRED: _("The pass is genuine but its validity window has ended."),
    Verdict.NOT_YET_VALID: _("The pass is genuine but its validity window has not begun."),
    Verdict.REVOKED: _("The office revoked the pass (or replaced it with a newer one)."),
    Verdict.FORGED: _("The code is not a genuine pass: see the reason."),
    Verdict.UNKNOWN: _("No pass on record has this number: see the reason."),
    Verdict.PLATE_MISMATCH: _("The plate typed at the checkpoint is not the plate on the pass."),
    Verdict.OFF_ROUTE: _(
        "A good pass bound to its route (see the pass type's route_bound), scanned at a "
        "checkpoint that is not on it: record the decision with scans/decision/."
    ),
}

# Reasons a scan gives with a forged or unknown verdict, beyond the token check's own.
SIGNED_BUT_NOT_ON_RECORD = "signed_but_not_on_record"
PLATE_DIFFERS_FROM_RECORD = "plate_differs_from_record"
NO_SUCH_PASS = "no_such_pass"
OUTSIDE_ISSUER_REGION = "outside_issuer_region"

REASONS = {
    "malformed": _("Not a pass code."),
    "unknown_key": _("Signed with a key this office does not know."),
    "forged": _("The signature does not match: the code was altered."),
    "withdrawn_key": _("Signed with a withdrawn key."),
    PLATE_DIFFERS_FROM_RECORD: _("The plate in the code differs from the record."),
    NO_SUCH_PASS: _("No pass has this number."),
    SIGNED_BUT_NOT_ON_RECORD: _("Genuine signature, but the pass is not on record."),
    OUTSIDE_ISSUER_REGION: _("Signed by a peer office's key for a pass number outside its region."),
}


def token_reasons() -> set[str]:
    """The reason codes the token check can raise (one per ``TokenError`` kind)."""
    found, pending = set(), list(TokenError.__subclasses__())
    while pending:
        kind = pending.pop()
        found.add(kind.reason)
        pending.extend(kind.__subclasses__())
    return found


# Choices for the published schema (``ENUM_NAME_OVERRIDES`` names them): labels stay lazy, so
# the schema is written in the language the client asked for.


def verdict_choices() -> list[tuple[str, str]]:
    """Each verdict with its label and what it means."""
    return [
        (verdict.value, format_lazy("{}: {}", verdict.label, VERDICT_MEANINGS[verdict]))
        for verdict in Verdict
    ]


def severity_choices() -> list[tuple[str, str]]:
    return list(Severity.choices)


def reason_choices() -> list[tuple[str, str]]:
    return list(REASONS.items())
