"""Input and output serializers of the scan API (input validates, output renders)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import roles
from ..models import Decision, Pass, Verdict
from ..signing.passlist import is_well_formed_number, normalize_number
from . import plates
from .services import active_checkpoint
from .summary import pass_summary
from .verdicts import SEVERITY, reason_choices, severity_choices, verdict_choices

MALFORMED_NUMBER = _("A pass number has 12 digits.")


class ScanInputSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4096,
        help_text=_("What the QR code holds: the verification URL or the bare token."),
    )
    number = serializers.CharField(required=False, allow_blank=True, max_length=32)
    plate = serializers.CharField(required=False, allow_blank=True, max_length=16)
    checkpoint = serializers.CharField(
        max_length=40, help_text=_("The checkpoint's code or numeric id.")
    )
    nonce = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,64}$",
        help_text=_("A random id the device makes per scan (e.g. a UUID); replays are ignored."),
        error_messages={
            "invalid": _("Use 8 to 64 letters, digits, hyphens or underscores (e.g. a UUID).")
        },
    )
    scanned_at = serializers.DateTimeField(
        help_text=_("The device's time of the scan (ISO 8601; without an offset, Beijing time).")
    )

    def validate_checkpoint(self, value):
        value = value.strip()
        checkpoint = active_checkpoint(value)
        if checkpoint is None:
            raise serializers.ValidationError(
                _("No active checkpoint “%(value)s”.") % {"value": value}, code="unknown_checkpoint"
            )
        return checkpoint

    def validate(self, attrs):
        attrs = scan_rules(attrs)
        request = self.context.get("request")
        if request is not None:
            check_office(request.user, attrs["checkpoint"])
        return attrs


def scan_rules(attrs: dict) -> dict:
    """The scan input's cross-field rules, for ``ScanInputSerializer.validate`` and the lean path
    (``fastscan``, which runs the serializer's own fields through ``run_validation``): a code,
    or a well-formed number with a plate; blanks become None."""
    code = (attrs.get("code") or "").strip()
    number = (attrs.get("number") or "").strip()
    plate = (attrs.get("plate") or "").strip()
    if not code and not (number and plate):
        raise serializers.ValidationError(
            _("Send the scanned code, or the pass number and the plate."),
            code="code_or_number_required",
        )
    if not code and not is_well_formed_number(normalize_number(number)):
        raise serializers.ValidationError({"number": [MALFORMED_NUMBER]}, code="malformed_number")
    attrs["code"], attrs["number"], attrs["plate"] = code or None, number or None, plate or None
    return attrs


def check_office(user, checkpoint) -> None:
    """An inspector scans at their own offices' checkpoints only."""
    if not roles.works_for(user, checkpoint.office_id):
        raise serializers.ValidationError(
            {"checkpoint": [_("This checkpoint belongs to another office.")]},
            code="other_office",
        )


class DecisionInputSerializer(serializers.Serializer):
    nonce = serializers.RegexField(r"^[A-Za-z0-9_-]{8,64}$", help_text=_("The scan's nonce."))
    decision = serializers.ChoiceField(choices=Decision.choices)


class DecisionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    nonce = serializers.CharField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    decision_label = serializers.CharField()
    decided_at = serializers.DateTimeField()


def decision_output(scan) -> dict:
    return {
        "id": scan.pk,
        "nonce": scan.nonce,
        "decision": scan.decision,
        "decision_label": str(Decision(scan.decision).label) if scan.decision else "",
        "decided_at": _time(scan.decided_at),
    }


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def verdict_data(verdict: str, details: dict | None = None) -> dict:
    return {
        "code": verdict,
        "label": str(Verdict(verdict).label),
        "severity": SEVERITY[verdict],
        "reason": (details or {}).get("reason", ""),
    }


def scan_output(scan, pass_obj) -> dict:
    """The answer an inspector's device shows: verdict first, then what to compare."""
    return {
        "id": scan.pk,
        "nonce": scan.nonce,
        "verdict": verdict_data(scan.verdict, scan.details),
        "scanned_at": _time(scan.scanned_at),
        "received_at": _time(scan.received_at),
        "is_late": scan.is_late,
        "checkpoint": {"code": scan.checkpoint.code, "name": scan.checkpoint.name},
        "number": scan.number,
        "plate": scan.plate,
        "decision": scan.decision,
        "pass": pass_summary(pass_obj) if pass_obj is not None else None,
        "peer_pass": (scan.details or {}).get("peer_pass"),
    }


# --- The scan answer, described for the API schema (``scan_output`` builds it) ---------------


class VerdictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=verdict_choices(), help_text=_("The verdict."))
    label = serializers.CharField(help_text=_("The verdict in the client's language."))
    severity = serializers.ChoiceField(
        choices=severity_choices(), help_text=_("What the inspector must do.")
    )
    reason = serializers.ChoiceField(
        choices=reason_choices(),
        allow_blank=True,
        help_text=_("Why a code is forged or unknown; empty for the other verdicts."),
    )


class ScanCheckpointSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ScanDriverSerializer(serializers.Serializer):
    name = serializers.CharField()
    id_number = serializers.CharField(help_text=_("Masked."))


class PassSummarySerializer(serializers.Serializer):
    """Describes ``summary.pass_summary``: what the inspector compares with the truck."""

    number = serializers.CharField()
    plate = serializers.CharField()
    plate_colour = serializers.ChoiceField(choices=list(plates.COLOURS))
    vehicle_type = serializers.CharField(help_text=_("The vehicle type's label."))
    enterprise = serializers.CharField()
    pass_type = serializers.CharField()
    cargo = serializers.CharField()
    origin = serializers.CharField()
    destination = serializers.CharField()
    route = serializers.CharField()
    checkpoints = ScanCheckpointSerializer(many=True)
    route_bound = serializers.BooleanField(
        help_text=_("Good only at its checkpoints; elsewhere the verdict is off_route.")
    )
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Pass.Status.choices)
    status_label = serializers.CharField()
    drivers = ScanDriverSerializer(many=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.CharField()


class PeerPassSerializer(serializers.Serializer):
    office = serializers.CharField()
    region_code = serializers.CharField()
    deployment = serializers.CharField()
    number = serializers.CharField()
    plate = serializers.CharField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()


# Built with type() because "pass" is a keyword.
ScanOutputSerializer = type(
    "ScanOutputSerializer",
    (serializers.Serializer,),
    {
        "id": serializers.IntegerField(),
        "nonce": serializers.CharField(),
        "verdict": VerdictSerializer(),
        "scanned_at": serializers.DateTimeField(),
        "received_at": serializers.DateTimeField(),
        "is_late": serializers.BooleanField(),
        "checkpoint": ScanCheckpointSerializer(),
        "number": serializers.CharField(),
        "plate": serializers.CharField(help_text=_("The plate typed by the inspector, if any.")),
        "decision": serializers.ChoiceField(
            choices=Decision.choices,
            allow_blank=True,
            help_text=_("What the inspector did with an off-route vehicle; empty until then."),
        ),
        "pass": PassSummarySerializer(allow_null=True, help_text=_("null when forged or unknown")),
        "peer_pass": PeerPassSerializer(
            allow_null=True,
            help_text=_("A trusted peer office's pass: its issuing office and signed claims."),
        ),
    },
)


class RevocationEntrySerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=["revoked", "expired"])
    reason = serializers.ChoiceField(choices=["revoked", "replaced", "expired"])
    at = serializers.CharField(help_text=_("When the status changed (UTC, ISO 8601)."))


class RevocationFeedSerializer(serializers.Serializer):
    """Describes ``feed.revocations_since`` for the schema."""

    revoked = RevocationEntrySerializer(many=True)
    until = serializers.CharField(help_text=_("Pass it as ?since= next time."))
    more = serializers.BooleanField(help_text=_("More entries follow: ask again at once."))
