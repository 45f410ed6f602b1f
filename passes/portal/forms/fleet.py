"""Vehicle, driver, standing-document and import forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ...models import DocumentKind, Driver, Vehicle
from ...models.imports import ImportJob
from ...validators import normalize_id_number, normalize_mobile, normalize_plate

SCAN_ACCEPT = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,application/pdf,image/*"


class VehicleForm(forms.ModelForm):
    # Longer than the stored value: "湘B·12345" and spaces are accepted, then normalised.
    plate = forms.CharField(
        label=_("Plate"),
        max_length=20,
        help_text=_("For example 湘B12345 or 湘BD12345; 湘B·12345 is accepted too."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )

    class Meta:
        model = Vehicle
        fields = ["plate", "vehicle_type", "licence_number"]

    def clean_plate(self):
        return normalize_plate(self.cleaned_data["plate"])


class DriverForm(forms.ModelForm):
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=24,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )

    class Meta:
        model = Driver
        fields = ["name", "id_number", "phone", "licence_number"]
        labels = {"name": _("Name")}  # a person's name: 姓名, not the model's 名称

    def clean_id_number(self):
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_phone(self):
        return normalize_mobile(self.cleaned_data["phone"])


class StandingDocumentForm(forms.Form):
    """A standing document of a vehicle or driver, reused on every request it joins."""

    kind = forms.ChoiceField(label=_("Kind of document"))
    tested_at = forms.DateTimeField(
        label=_("Test time"),
        required=False,
        help_text=_("When the sample was taken, as printed on the report."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    file = forms.FileField(
        label=_("Scan"),
        help_text=_("PDF, JPEG, PNG or TIFF, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, DocumentKind(k).label) for k in kinds]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == DocumentKind.NUCLEIC_ACID_TEST and not cleaned.get("tested_at"):
            self.add_error("tested_at", _("Give the time the test sample was taken."))
        return cleaned


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file lists"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("CSV or XLSX with a header row, at most 5,000 rows. Use the templates below."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
