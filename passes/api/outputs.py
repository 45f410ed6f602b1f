"""Output serializers: what the API shows. Read-only; an ID number is shown masked only."""

import copy
import threading

from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import roles
from ..models import (
    Announcement,
    AnnouncementAttachment,
    AuditEvent,
    Checkpoint,
    Document,
    Driver,
    Pass,
    PassRequest,
    PassType,
    RequestItem,
    Vehicle,
)
from ..requests import guards, workflow

ENTERPRISE_ACTIONS = ("submit", "resubmit", "withdraw")
REVIEWER_ACTIONS = ("claim", "approve", "return", "reject")


class ErrorDetailOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorOut(serializers.Serializer):
    """Every error response has this shape."""

    error = ErrorDetailOut()


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


# ModelOut.represent's bound serializers, per thread: one is never shared by two requests.
_bound = threading.local()


class ModelOut(serializers.ModelSerializer):
    """A read-only ModelSerializer that works out its fields once per class and language.

    DRF rebuilds a ModelSerializer's fields from the model on every instantiation (model
    introspection, a translated label and help text per field, validators): for the nested
    detail outputs that was about a sixth of an API call's CPU. The built fields are kept per
    class and language, never bound, and copied for each instance, so every instance still
    gets fields of its own to bind: a plain field as a shallow copy (binding only sets its
    name, parent, label and source; DRF's deep copy would construct it again from its
    arguments), a nested serializer as DRF's deep copy (its child must know its new parent).
    """

    _built_fields: dict = {}

    def get_fields(self):
        key = (type(self), translation.get_language())
        built = ModelOut._built_fields.get(key)
        if built is None:
            built = ModelOut._built_fields[key] = super().get_fields()
        return {name: _unbound_copy(field) for name, field in built.items()}

    @classmethod
    def represent(cls, instance, *, many=False):
        """What ``cls(instance, many=many).data`` shows, drawn by a serializer whose fields are
        bound once per thread and language: copying and binding a detail's nested fields for
        every response cost about as much as showing them. For outputs that read no context
        (nothing here keeps state between two rows, so one instance serves every call)."""
        bound = getattr(_bound, "serializers", None)
        if bound is None:
            bound = _bound.serializers = {}
        key = (cls, translation.get_language())
        serializer = bound.get(key)
        if serializer is None:
            serializer = bound[key] = cls()
        if many:
            return [serializer.to_representation(item) for item in instance]
        return serializer.to_representation(instance)


def _unbound_copy(field):
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    return copy.copy(field)


class VehicleOut(ModelOut):
    class Meta:
        model = Vehicle
        fields = ["id", "plate", "vehicle_type", "licence_number", "created_at"]


class DriverOut(ModelOut):
    id_number_masked = serializers.CharField(source="masked_id_number")

    class Meta:
        model = Driver
        fields = ["id", "name", "id_number_masked", "phone", "licence_number", "created_at"]


class PassTypeRef(ModelOut):
    class Meta:
        model = PassType
        fields = ["id", "code", "name"]


class CheckpointRef(ModelOut):
    class Meta:
        model = Checkpoint
        fields = ["id", "code", "name"]


class VehicleRef(ModelOut):
    class Meta:
        model = Vehicle
        fields = ["id", "plate"]


class DriverRef(ModelOut):
    class Meta:
        model = Driver
        fields = ["id", "name"]


class ItemOut(ModelOut):
    vehicle = VehicleRef()
    drivers = DriverRef(many=True)

    class Meta:
        model = RequestItem
        fields = ["id", "vehicle", "drivers"]


def _reverse_or_none(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


class MachineCheckLineOut(serializers.Serializer):
    field = serializers.CharField()
    status = serializers.ChoiceField(choices=["match", "mismatch", "unreadable"])
    read = serializers.CharField(help_text="What the machine read; ID numbers masked.")
    filed = serializers.CharField(help_text="What was filed; ID numbers masked.")
    message = serializers.CharField(source="text")


class MachineCheckOut(serializers.Serializer):
    """What the office's machine read on the scan, against what was filed. Advisory: a person
    decides. ``status`` is pending, read or not_read (with ``reason``)."""

    status = serializers.CharField()
    reason = serializers.CharField()
    outcome = serializers.CharField(help_text="all_match, mismatch, incomplete or empty.")
    summary = serializers.CharField(source="label")
    checks = MachineCheckLineOut(many=True, source="lines")

    def to_representation(self, document):
        """Nested with ``source="*"``: one instance serves every document of a list."""
        from ..documents.ocr.presenting import summarize

        return super().to_representation(summarize(document))


class DocumentOut(ModelOut):
    url = serializers.SerializerMethodField()
    machine_check = MachineCheckOut(source="*", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "page_count",
            "sha256",
            "item",
            "vehicle",
            "driver",
            "tested_at",
            "uploaded_at",
            "url",
            "machine_check",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_url(self, document):
        """Where the file downloads with the same credentials (a token works)."""
        if document.request_id is None:
            return None
        return _reverse_or_none(
            "api:request-document", pk=document.request_id, document_id=document.pk
        )


class OfficeDocumentOut(DocumentOut):
    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_url(self, document):
        """Downloads with the same credentials as the API call (a token works); the view
        records who looked, as the office's file view does."""
        if document.request_id is None:
            return _reverse_or_none("passes:document-file", pk=document.pk)
        return _reverse_or_none(
            "api:review-document", pk=document.request_id, document_id=document.pk
        )


class AuditEventOut(ModelOut):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["action", "from_status", "to_status", "reason", "actor", "data", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event):
        if event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.get_username()


class EnterpriseAuditEventOut(AuditEventOut):
    """What an enterprise sees of its request's history: the office acts as one; which
    reviewer held the file stays inside the office."""

    HIDDEN_DATA = ("reviewer", "previous_reviewer")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event):
        if event.actor is not None and not roles.is_member(event.actor, event.enterprise_id):
            return str(_("Traffic office"))
        return super().get_actor(event)

    def to_representation(self, event):
        data = super().to_representation(event)
        data["data"] = {k: v for k, v in (data["data"] or {}).items() if k not in self.HIDDEN_DATA}
        return data


class PassOut(ModelOut):
    status = serializers.SerializerMethodField()
    drivers = DriverRef(many=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Pass
        fields = [
            "number",
            "plate",
            "status",
            "valid_from",
            "valid_until",
            "issued_at",
            "drivers",
            "pdf_url",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Pass.Status.choices))
    def get_status(self, issued):
        return issued.effective_status()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pdf_url(self, issued):
        return _reverse_or_none("api:request-pass-pdf", pk=issued.request_id, number=issued.number)


class OfficePassOut(PassOut):
    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pdf_url(self, issued):
        return _reverse_or_none("passes:pass-pdf", number=issued.number)


class RequestListOut(ModelOut):
    pass_type = PassTypeRef()
    vehicle_count = serializers.SerializerMethodField()

    class Meta:
        model = PassRequest
        fields = [
            "id",
            "reference",
            "status",
            "pass_type",
            "cargo_category",
            "origin",
            "destination",
            "valid_from",
            "valid_until",
            "vehicle_count",
            "created_at",
            "updated_at",
            "submitted_at",
        ]

    @extend_schema_field(serializers.IntegerField())
    def get_vehicle_count(self, pass_request):
        """Lists count in SQL (``with_vehicle_count``); a detail has its items in hand."""
        return pass_request.vehicle_count()


class RequestDetailOut(RequestListOut):
    checkpoints = CheckpointRef(many=True)
    items = ItemOut(many=True)
    documents = DocumentOut(many=True)
    all_passes_pdf_url = serializers.SerializerMethodField()
    events = EnterpriseAuditEventOut(many=True, source="audit_events")
    passes = PassOut(many=True)
    actions = serializers.SerializerMethodField()
    missing_documents = serializers.SerializerMethodField()

    class Meta(RequestListOut.Meta):
        fields = [
            *RequestListOut.Meta.fields,
            "cargo_description",
            "route_description",
            "checkpoints",
            "items",
            "documents",
            "decision_reason",
            "decided_at",
            "events",
            "passes",
            "all_passes_pdf_url",
            "actions",
            "missing_documents",
        ]

    allowed = ENTERPRISE_ACTIONS

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, pass_request):
        """The transitions the request's state allows for this side (enterprise or reviewer)."""
        return [a for a in workflow.allowed_actions(pass_request) if a in self.allowed]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_all_passes_pdf_url(self, pass_request):
        if not pass_request.passes.all():
            return None
        return _reverse_or_none(self.all_passes_url_name, pk=pass_request.pk)

    all_passes_url_name = "api:request-passes-pdf"

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_documents(self, pass_request):
        if not pass_request.is_editable:
            return []
        return [str(label) for label in guards.missing_documents(pass_request)]


class EnterpriseRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()


class ReviewListOut(RequestListOut):
    enterprise = EnterpriseRef()
    assigned_reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta(RequestListOut.Meta):
        fields = [*RequestListOut.Meta.fields, "enterprise", "assigned_reviewer", "claimed_at"]


class RenewalChangeOut(serializers.Serializer):
    what = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class RenewalComparisonOut(serializers.Serializer):
    """One renewed pass: what stayed as it was and what changed."""

    number = serializers.CharField()
    plate = serializers.CharField()
    unchanged = serializers.ListField(child=serializers.CharField())
    changed = serializers.SerializerMethodField()
    clean = serializers.BooleanField()

    @extend_schema_field(RenewalChangeOut(many=True))
    def get_changed(self, comparison):
        return [
            {"what": what, "before": before, "after": after}
            for what, before, after in comparison.changed
        ]


class ReviewDetailOut(RequestDetailOut):
    enterprise = EnterpriseRef()
    renewal_of = serializers.SerializerMethodField()
    events = AuditEventOut(many=True, source="audit_events")
    documents = OfficeDocumentOut(many=True)
    passes = OfficePassOut(many=True)
    assigned_reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta(RequestDetailOut.Meta):
        fields = [
            *RequestDetailOut.Meta.fields,
            "enterprise",
            "assigned_reviewer",
            "claimed_at",
            "renewal_of",
        ]

    allowed = REVIEWER_ACTIONS

    @extend_schema_field(RenewalComparisonOut(many=True))
    def get_renewal_of(self, pass_request):
        """For a renewal (续期): per renewed pass, what is unchanged and what changed."""
        from ..requests.renewal import compare

        return RenewalComparisonOut(compare(pass_request), many=True).data

    all_passes_url_name = "passes:request-passes-pdf"


class MessageAttachmentOut(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class MessageOut(serializers.Serializer):
    """A message on a request. Office staff are shown as the office, not by name."""

    id = serializers.IntegerField()
    from_office = serializers.BooleanField()
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    attachment = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_author(self, message) -> str:
        if message.from_office:
            return str(_("Traffic office"))
        return message.author.get_full_name() or message.author.get_username()

    def get_attachment(self, message) -> dict | None:
        if not message.file:
            return None
        return MessageAttachmentOut(message).data


class AnnouncementAttachmentOut(ModelOut):
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    class Meta:
        model = AnnouncementAttachment
        fields = ["id", "name", "content_type", "size", "sha256", "url"]

    @extend_schema_field(serializers.CharField())
    def get_url(self, attachment):
        """Downloads with the same credentials as the API call (a token works)."""
        return reverse(
            "api:announcement-file",
            kwargs={"pk": attachment.announcement_id, "attachment_id": attachment.pk},
        )


class AnnouncementOut(ModelOut):
    """An announcement as a member sees it; the fields' names are those of the
    ``announcement.published`` webhook."""

    text = serializers.CharField(source="body", help_text=_("Plain text; links are written out."))
    published_at = serializers.DateTimeField(source="publish_at")
    is_read = serializers.BooleanField(
        help_text=_("You marked it read (POST …/read/) or opened it in the portal.")
    )
    attachments = AnnouncementAttachmentOut(many=True)

    class Meta:
        model = Announcement
        fields = ["id", "title", "text", "published_at", "is_read", "attachments"]
