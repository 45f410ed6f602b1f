"""What a person sees of a reading: a status line and one sentence per check, mismatches
first. ID numbers in the checks are masked already; nothing here is logged."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ...models import DocumentReading
from .checks import FIELD_LABELS, MATCH, MISMATCH, REASONS, describe
from .services import WAITING_FOR_STORAGE, effective_status

NOT_READ_REASONS = {
    "not_requested": _("never sent for machine reading"),
    "stale": _("the reading did not finish in time (the OCR worker may be down)"),
    "queue_unavailable": _("the reading could not be queued"),
    "timeout": _("the reading took too long"),
    "unavailable": _("the OCR engine is not available"),
    "unreadable": _("the scan could not be opened for reading"),
    "too_heavy": _("opening the scan needed more memory or time than a scan may use"),
    "file_unavailable": _("the stored scan could not be fetched (the file store was away)"),
    "no_text": _("no text was found on the scan"),
}


@dataclass
class CheckLine:
    status: str
    text: str
    field: str = ""
    read: str = ""
    filed: str = ""
    reason: str = ""

    @property
    def field_label(self):
        return FIELD_LABELS.get(self.field, self.field)

    @property
    def reason_text(self):
        return REASONS.get(self.reason, "")


@dataclass
class ReadingSummary:
    status: str  # pending / read / not_read
    reason: str = ""
    reason_text: str = ""
    outcome: str = ""
    lines: list = field(default_factory=list)

    @property
    def pending(self):
        return self.status == DocumentReading.Status.PENDING

    @property
    def mismatches(self):
        return [line for line in self.lines if line.status == MISMATCH]

    @property
    def all_match(self):
        return self.outcome == DocumentReading.Outcome.ALL_MATCH

    @property
    def label(self):
        if self.status == DocumentReading.Status.PENDING:
            if self.reason == WAITING_FOR_STORAGE:
                return _("Machine check: waiting for the file store, will try again…")
            return _("Machine check: being read…")
        if self.status == DocumentReading.Status.NOT_READ:
            return _("Not machine-read: %(reason)s") % {"reason": self.reason_text}
        if self.outcome == DocumentReading.Outcome.ALL_MATCH:
            return _("Machine check: all match")
        if self.outcome == DocumentReading.Outcome.MISMATCH:
            return _("Machine check: mismatch")
        if self.outcome == DocumentReading.Outcome.INCOMPLETE:
            return _("Machine check: partly read")
        return _("Machine-read (nothing to check)")


def summarize(document) -> ReadingSummary:
    reading = getattr(document, "reading", None) if _has_reading(document) else None
    status, reason = effective_status(reading)
    summary = ReadingSummary(status=status, reason=reason)
    if status == DocumentReading.Status.NOT_READ:
        summary.reason_text = str(NOT_READ_REASONS.get(reason, reason))
        return summary
    if status != DocumentReading.Status.READ:
        return summary
    summary.outcome = reading.outcome
    kind = document.get_kind_display()
    summary.lines = [
        CheckLine(
            status=check["status"],
            text=describe(check, kind),
            field=check["field"],
            read=check.get("read") or "",
            filed=check.get("filed") or "",
            reason=check.get("reason") or "",
        )
        for check in reading.checks
    ]
    return summary


def _has_reading(document) -> bool:
    try:
        document.reading  # noqa: B018 - a reverse one-to-one raises when there is none
    except DocumentReading.DoesNotExist:
        return False
    return True


def matched_boxes(document) -> list[dict]:
    """Boxes (fractions of the page) of the lines a check used, with the check's status:
    drawn over the scan on the review page."""
    if not _has_reading(document) or document.reading.status != DocumentReading.Status.READ:
        return []
    statuses = {check["field"]: check["status"] for check in document.reading.checks}
    by_field = {check["field"]: check for check in document.reading.checks}
    boxes = []
    for line in document.reading.lines:
        fields = line.get("fields") or []
        if not fields or not line.get("box"):
            continue
        worst = min(
            (statuses.get(name, MATCH) for name in fields),
            key=lambda status: {MISMATCH: 0, "unreadable": 1, MATCH: 2}[status],
        )
        xs = [point[0] for point in line["box"]]
        ys = [point[1] for point in line["box"]]
        boxes.append(
            {
                "page": line.get("page", 1),
                "left": round(min(xs) * 100, 2),
                "top": round(min(ys) * 100, 2),
                "width": round((max(xs) - min(xs)) * 100, 2),
                "height": round((max(ys) - min(ys)) * 100, 2),
                "status": worst,
                "fields": fields,
                # What was read and what was filed, so the box itself says why it is red.
                "notes": [_box_note(by_field[name]) for name in fields if name in by_field],
            }
        )
    return boxes


def _box_note(check: dict) -> str:
    values = {
        "field": FIELD_LABELS.get(check["field"], check["field"]),
        "read": check.get("read") or "—",
        "filed": check.get("filed") or "—",
    }
    if check["status"] == MATCH:
        return str(_("%(field)s: read %(read)s, as filed") % values)
    note = str(_("%(field)s: read %(read)s, filed %(filed)s") % values)
    reason = REASONS.get(check.get("reason"))
    return f"{note} ({reason})" if reason else note
