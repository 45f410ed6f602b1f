"""Sign-up, login and staff forms."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ...enterprises import accounts
from ...validators import normalize_mobile, validate_credit_code, validate_mobile


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number, e-mail or user name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_username(self):
        return accounts.normalize_login(self.cleaned_data["username"])


class _PasswordPair(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_login(self):
        try:
            return accounts.validate_login(self.cleaned_data["login"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages, code=error.code) from None

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class SignUpForm(_PasswordPair):
    full_name = forms.CharField(
        label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    login = forms.CharField(
        label=_("Mobile number or e-mail"),
        max_length=150,
        help_text=_("You will sign in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    enterprise_name = forms.CharField(
        label=_("Enterprise name"),
        max_length=200,
        help_text=_("As printed on the business licence."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters, on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(
        label=_("Contact mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    licence = forms.FileField(
        label=_("Business licence scan"),
        help_text=_("PDF, JPEG, PNG or TIFF, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.tif,.tiff"}),
    )

    field_order = [
        "full_name",
        "login",
        "password1",
        "password2",
        "enterprise_name",
        "credit_code",
        "address",
        "contact_name",
        "contact_phone",
        "licence",
    ]

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        validate_credit_code(code)
        return code

    def clean_contact_phone(self):
        phone = normalize_mobile(self.cleaned_data["contact_phone"])
        validate_mobile(phone)
        return phone

    def to_signup(self):
        data = self.cleaned_data
        return accounts.SignUp(
            login=data["login"],
            password=data["password1"],
            full_name=data["full_name"],
            enterprise_name=data["enterprise_name"],
            credit_code=data["credit_code"],
            address=data["address"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
        )


class StaffForm(_PasswordPair):
    full_name = forms.CharField(label=_("Name"), max_length=50)
    login = forms.CharField(
        label=_("Mobile number or e-mail"),
        max_length=150,
        help_text=_("Your colleague signs in with it."),
    )
    field_order = ["full_name", "login", "password1", "password2"]
