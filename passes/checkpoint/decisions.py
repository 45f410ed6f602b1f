"""What the inspector did with an off-route vehicle: let it through or turned it back.

A scan row is evidence and is never edited, with one exception made here: its decision, written
once, afterwards (the inspector decides after seeing the amber screen, perhaps offline and
uploaded later). The same decision sent again is accepted (uploads are retried); a different
one is refused. Every decision is audited.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import Decision, ScanEvent, Verdict


class DecisionError(Exception):
    def __init__(self, message, code, status=400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def record_decision(*, inspector, nonce: str, decision: str) -> ScanEvent:
    """Store ``decision`` on the inspector's off-route scan with this nonce; returns the scan."""
    if decision not in Decision.values:
        raise DecisionError(_("Unknown decision."), "invalid_decision")
    with transaction.atomic():
        scan = (
            ScanEvent.objects.select_for_update()
            .select_related("checkpoint")
            .filter(inspector=inspector, nonce=nonce)
            .first()
        )
        if scan is None:
            raise DecisionError(_("No scan of yours has this nonce."), "not_found", status=404)
        if scan.verdict != Verdict.OFF_ROUTE:
            raise DecisionError(
                _("Only an off-route scan takes a decision."), "not_off_route", status=409
            )
        if scan.decision:
            if scan.decision != decision:
                raise DecisionError(
                    _("This scan's decision was already recorded."), "already_decided", 409
                )
            return scan
        scan.decision, scan.decided_at = decision, timezone.now()
        # The manager refuses edits on purpose; this one write goes through the base manager.
        ScanEvent._base_manager.filter(pk=scan.pk, decision="").update(
            decision=scan.decision, decided_at=scan.decided_at
        )
        audit.record(
            "scan_decision",
            actor=inspector,
            pass_obj=scan.pass_obj,
            to_status=decision,
            data={"scan": scan.pk, "checkpoint": scan.checkpoint.code, "number": scan.number},
        )
    return scan
