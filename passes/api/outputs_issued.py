"""Output serializers of the catalogue, issued passes, the keys and trust list that verify them,
bulk fleet creation and renewals (kept apart from ``outputs``, which they build on, so each
module stays readable)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Checkpoint, Pass, PassType
from .outputs import (
    CheckpointRef,
    DriverOut,
    DriverRef,
    EnterpriseRef,
    PassTypeRef,
    RequestDetailOut,
    VehicleOut,
)


class PassTypeOut(serializers.ModelSerializer):
    required_documents = serializers.SerializerMethodField()

    class Meta:
        model = PassType
        fields = [
            "id",
            "code",
            "name",
            "description",
            "max_validity_days",
            "route_bound",
            "required_document_kinds",
            "required_documents",
            "health_proof_max_age_hours",
            "declaration",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_required_documents(self, pass_type):
        """The kinds' labels, in the client's language."""
        return [str(label) for label in pass_type.required_kind_labels()]


class CheckpointOut(serializers.ModelSerializer):
    class Meta:
        model = Checkpoint
        fields = ["id", "code", "name", "location"]


class IssuedPassOut(serializers.ModelSerializer):
    """A pass as a client needs it to print or verify: the signed token and the QR payload."""

    status = serializers.SerializerMethodField()
    drivers = DriverRef(many=True)
    request = serializers.IntegerField(source="request_id")
    pass_type = PassTypeRef(source="request.pass_type")
    route = serializers.CharField()
    checkpoints = CheckpointRef(many=True, source="request.checkpoints")
    route_bound = serializers.BooleanField(
        source="request.pass_type.route_bound",
        help_text=_("Good only at its checkpoints; scanned elsewhere the verdict is off_route."),
    )
    days_left = serializers.SerializerMethodField()
    token = serializers.SerializerMethodField()
    qr_payload = serializers.SerializerMethodField()
    pdf_ready = serializers.BooleanField()
    pdf_url = serializers.SerializerMethodField()
    replaces = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Pass
        fields = [
            "number",
            "plate",
            "status",
            "request",
            "pass_type",
            "route",
            "checkpoints",
            "route_bound",
            "drivers",
            "valid_from",
            "valid_until",
            "days_left",
            "issued_at",
            "revoked_at",
            "revocation_reason",
            "replaces",
            "token",
            "qr_payload",
            "pdf_ready",
            "pdf_url",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Pass.Status.choices))
    def get_status(self, issued):
        return issued.effective_status()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_left(self, issued):
        from ..issuing.listing import days_left

        return days_left(issued)

    @extend_schema_field(serializers.CharField())
    def get_token(self, issued):
        """The Ed25519-signed token (base32); verify it offline with ``/api/v1/keys/``."""
        from ..signing.keys import sign_pass

        return sign_pass(issued, self.context.get("signer"))

    @extend_schema_field(serializers.CharField())
    def get_qr_payload(self, issued):
        """Exactly what the printed QR code holds: the public verification URL of the token."""
        from ..signing.tokens import verification_url

        return verification_url(self.get_token(issued))

    @extend_schema_field(serializers.CharField())
    def get_pdf_url(self, issued):
        return reverse("api:pass-pdf", kwargs={"number": issued.number})


class StaffPassOut(IssuedPassOut):
    enterprise = EnterpriseRef(source="request.enterprise")

    class Meta(IssuedPassOut.Meta):
        fields = [*IssuedPassOut.Meta.fields, "enterprise"]


class BulkRowErrorOut(serializers.Serializer):
    row = serializers.IntegerField(help_text="0-based index in the list sent.")
    message = serializers.CharField()
    value = serializers.CharField(help_text="The plate, or the masked ID number, if readable.")


class VehicleBulkOut(serializers.Serializer):
    created = VehicleOut(many=True)
    errors = BulkRowErrorOut(many=True)


class DriverBulkOut(serializers.Serializer):
    created = DriverOut(many=True)
    errors = BulkRowErrorOut(many=True)


class RenewalsOut(serializers.Serializer):
    requests = RequestDetailOut(many=True)


class ApproveRenewalsOut(serializers.Serializer):
    approved = serializers.ListField(child=serializers.CharField())
    skipped = serializers.DictField(child=serializers.CharField())


# --- The documents an offline checker copies (GET /api/v1/trust/ and /api/v1/trust/keys/) ----


class TrustListOut(serializers.Serializer):
    """Format documented in docs/verification.md and ``passes/signing/trust.py``."""

    format = serializers.CharField(help_text="passdesk-trust-list/1")
    payload = serializers.CharField(
        help_text=_("The trust list as JSON text, exactly as signed: parse it after verifying.")
    )
    signature = serializers.CharField(help_text=_("Ed25519 over the payload's UTF-8, base64."))


class VerificationKeyOut(serializers.Serializer):
    kid = serializers.CharField(help_text=_("8 hex digits, as in the token"))
    algorithm = serializers.CharField(default="Ed25519")
    public_key = serializers.CharField(help_text=_("raw 32-byte public key, base64"))
    state = serializers.ChoiceField(choices=["active", "retired", "withdrawn"])
    created_at = serializers.DateTimeField()
    retired_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    office = serializers.CharField(required=False, help_text=_("A peer's key: its office."))
    region_code = serializers.CharField(required=False, help_text=_("A peer's key: its region."))
    deployment = serializers.CharField(required=False, help_text=_("A peer's key: its deployment."))


class VerificationKeysOut(serializers.Serializer):
    token_version = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    keys = VerificationKeyOut(many=True, help_text=_("This deployment's keys, then its peers'."))
    peer_revoked = serializers.ListField(
        child=serializers.CharField(), help_text=_("Pass numbers the peers revoked.")
    )
