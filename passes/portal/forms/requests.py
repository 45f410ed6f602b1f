"""The new-request wizard's forms and the document upload form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ...models import Checkpoint, DocumentKind, Driver, PassRequest, PassType, Vehicle
from .fleet import SCAN_ACCEPT

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PassTypeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PassTypeForm(forms.Form):
    pass_type = PassTypeChoice(
        label=_("Pass type"),
        queryset=PassType.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
    )


class DetailsForm(forms.Form):
    cargo_category = forms.ChoiceField(
        label=_("Cargo category"), choices=PassRequest.CargoCategory.choices
    )
    cargo_description = forms.CharField(
        label=_("Cargo"),
        max_length=300,
        help_text=_("What the vehicles carry, e.g. 木材原料 20 吨."),
    )
    origin = forms.CharField(label=_("Origin"), max_length=200)
    destination = forms.CharField(label=_("Destination"), max_length=200)
    route_description = forms.CharField(
        label=_("Route"),
        help_text=_("Roads and bridges in order, e.g. 沪昆高速—株洲大桥—京港澳高速."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    checkpoints = forms.ModelMultipleChoiceField(
        label=_("Checkpoints on the route"),
        queryset=Checkpoint.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    valid_from = forms.DateTimeField(label=_("Valid from"), widget=DATETIME_WIDGET)
    valid_until = forms.DateTimeField(label=_("Valid until"), widget=DATETIME_WIDGET)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("The validity window must end after it starts."))
        return cleaned


class AddVehicleForm(forms.Form):
    vehicle = forms.ModelChoiceField(
        label=_("Vehicle"), queryset=Vehicle.objects.none(), empty_label=_("Choose a vehicle")
    )
    drivers = forms.ModelMultipleChoiceField(
        label=_("Drivers"),
        queryset=Driver.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One or two drivers who will drive this vehicle."),
    )

    def __init__(self, *args, enterprise, exclude_vehicles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = Vehicle.objects.filter(enterprise=enterprise).exclude(
            pk__in=list(exclude_vehicles)
        )
        self.fields["drivers"].queryset = Driver.objects.filter(enterprise=enterprise)
        self.fields["drivers"].label_from_instance = lambda d: f"{d.name} · {d.masked_id_number}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A list of uploaded files, each checked like a single one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [super(MultipleFileField, self).clean(one, initial) for one in data]
            if not files and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return files
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    """Several scans of one kind for one vehicle, driver or the request. The page's script
    sends the files one by one; without scripts the form posts all of them at once."""

    kind = forms.ChoiceField(label=_("Kind of document"), choices=DocumentKind.choices)
    target = forms.ChoiceField(label=_("Belongs to"))
    tested_at = forms.DateTimeField(
        label=_("Test time"),
        required=False,
        help_text=_("For nucleic-acid test reports: when the sample was taken."),
        widget=DATETIME_WIDGET,
    )
    file = MultipleFileField(
        label=_("Scans"),
        help_text=_("PDF, JPEG, PNG or TIFF, at most 10 MB each. You can choose several."),
        widget=MultipleFileInput(attrs={"accept": SCAN_ACCEPT}),
    )
    replaces = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = targets
        # Required for a test report only: marked as such, and checked in the browser before
        # any file is sent (the service checks it again).
        self.fields["tested_at"].widget.attrs.update(
            {
                "data-required-when": "id_kind=nucleic_acid_test",
                "data-required-message": _("Give the test time before uploading a test report."),
            }
        )
