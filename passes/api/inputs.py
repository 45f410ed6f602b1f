"""Input serializers: they check the shape and types of what clients send. The business rules
(whose vehicle it is, whether a plate is valid, which state allows what) live in the services
these values are handed to, so the portal gets the very same answers."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import DocumentKind, PassRequest, Vehicle
from ..requests.filing import MAX_DRIVERS_PER_ITEM, MAX_ITEMS

# Ids beyond a signed 64-bit integer cannot exist; refusing them early keeps the database
# drivers from overflowing.
MAX_ID = 2**63 - 1


def IdField(**kwargs):  # noqa: N802 - reads like a field class
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class VehicleIn(serializers.Serializer):
    plate = serializers.CharField(max_length=20, help_text=_("湘B12345; 湘B·12345 is accepted."))
    vehicle_type = serializers.ChoiceField(choices=Vehicle.VehicleType.choices, required=False)
    licence_number = serializers.CharField(max_length=40, required=False, allow_blank=True)


class DriverIn(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=30, help_text=_("18-character resident ID."))
    phone = serializers.CharField(max_length=20)
    licence_number = serializers.CharField(max_length=40, required=False, allow_blank=True)


class ItemIn(serializers.Serializer):
    vehicle = IdField(help_text=_("Id of one of your vehicles."))
    drivers = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=MAX_DRIVERS_PER_ITEM,
        help_text=_("Driver ids."),
    )


class RequestIn(serializers.Serializer):
    pass_type = IdField()
    cargo_category = serializers.ChoiceField(
        choices=PassRequest.CargoCategory.choices, required=False
    )
    cargo_description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    origin = serializers.CharField(max_length=200, required=False, allow_blank=True)
    destination = serializers.CharField(max_length=200, required=False, allow_blank=True)
    route_description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    checkpoints = serializers.ListField(child=IdField(), required=False, max_length=50)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    items = serializers.ListField(child=ItemIn(), required=False, max_length=MAX_ITEMS)


class DocumentIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    item = IdField(required=False, help_text=_("Id of the request item (vehicle) it is for."))
    driver = IdField(required=False, help_text=_("Id of the driver it is for."))
    tested_at = serializers.DateTimeField(
        required=False, help_text=_("When the nucleic-acid test sample was taken.")
    )


class RequestFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=PassRequest.Status.choices, required=False)
    pass_type = serializers.CharField(
        max_length=40, required=False, help_text=_("Pass type id or code.")
    )
    created_after = serializers.DateField(required=False, help_text=_("On or after this date."))
    created_before = serializers.DateField(required=False, help_text=_("On or before this date."))
    valid_on = serializers.DateField(
        required=False, help_text=_("Requests whose validity window covers this date.")
    )


class AnnouncementFilterIn(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=None, allow_null=True, help_text=_("Only those you have not read.")
    )


class QueueFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (PassRequest.Status.SUBMITTED, PassRequest.Status.SUBMITTED.label),
            (PassRequest.Status.IN_REVIEW, PassRequest.Status.IN_REVIEW.label),
        ],
        required=False,
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text=_("Only the requests I have claimed.")
    )


class ApproveIn(serializers.Serializer):
    valid_from = serializers.DateTimeField(required=False)
    valid_until = serializers.DateTimeField(required=False)
    acknowledge_flags = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Approve although a reviewer flagged documents of the request: your own "
            "acknowledgement. Without it, a request with flagged documents is refused with "
            "409 flags_not_acknowledged."
        ),
    )


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ReturnIn(ReasonIn):
    documents = serializers.DictField(
        child=serializers.CharField(max_length=1000),
        required=False,
        help_text=_("A reason per document id."),
    )


class MessageIn(serializers.Serializer):
    body = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, help_text="PDF, JPEG, PNG or TIFF.")


# --- Issued passes, renewal, bulk fleet ----------------------------------------------------------

PASS_NUMBER = r"^[0-9]{12}$"


class PassFilterIn(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["active", "expiring", "expired", "revoked"],
        required=False,
        help_text=_("expiring: valid now and ending within 3 days."),
    )
    plate = serializers.CharField(max_length=20, required=False)
    number = serializers.CharField(max_length=12, required=False)
    enterprise = IdField(required=False, help_text=_("Staff only: one enterprise's passes."))
    valid_on = serializers.DateField(required=False)


class PassNumbersIn(serializers.Serializer):
    passes = serializers.ListField(
        child=serializers.RegexField(PASS_NUMBER, max_length=12),
        min_length=1,
        max_length=50,
        help_text=_("Pass numbers (12 digits)."),
    )


class RenewIn(PassNumbersIn):
    declaration_accepted = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Accept the pass type's declaration (承诺), if it has one."),
    )
    submit = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_("Submit at once when nothing new is needed (otherwise it stays a draft)."),
    )


class AmendDriversIn(ReasonIn):
    drivers = serializers.ListField(
        child=IdField(), min_length=1, max_length=MAX_DRIVERS_PER_ITEM, help_text=_("Driver ids.")
    )


class SubmitIn(serializers.Serializer):
    declaration_accepted = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Accept the pass type's declaration (承诺), if it has one."),
    )


class ApproveRenewalsIn(serializers.Serializer):
    requests = serializers.ListField(child=IdField(), min_length=1, max_length=100)


class VehicleBulkIn(serializers.Serializer):
    vehicles = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=500)


class DriverBulkIn(serializers.Serializer):
    drivers = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=500)
