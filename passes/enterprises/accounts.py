"""Enterprise accounts: sign-up and the owner's staff list.

A person signs in with the phone number or e-mail address they registered with; it is their
username. Sign-up creates the person, the enterprise (pending verification), the owner membership
and the business-licence scan in one transaction: if the scan is refused nothing is kept, and the
portal shows the form again with the reason.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import audit, roles
from ..documents.errors import UploadRejected
from ..models import DocumentKind, Enterprise, Membership
from ..validators import normalize_mobile, validate_mobile

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(Exception):
    """A refused account change, with a translated message and a stable code."""

    def __init__(self, message, code="account_error", field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self):
        return str(self.message)


def normalize_login(value: str) -> str:
    """Phone numbers lose spaces and +86; e-mail addresses are compared in lower case."""
    value = (value or "").strip()
    if "@" in value:
        return value.lower()
    return normalize_mobile(value)


def validate_login(value: str) -> str:
    """Return the normalised login or raise ValidationError saying what is wrong."""
    login = normalize_login(value)
    if "@" in login:
        if not _EMAIL.match(login):
            raise ValidationError(_("Enter a valid e-mail address."), code="email_format")
    else:
        try:
            validate_mobile(login)
        except ValidationError:
            raise ValidationError(
                _("Enter an 11-digit mobile number or an e-mail address."), code="login_format"
            ) from None
    if get_user_model().objects.filter(username__iexact=login).exists():
        raise _login_taken()
    return login


def _login_taken():
    return ValidationError(
        _("An account with this phone number or e-mail address already exists."),
        code="login_taken",
    )


def _unsaved_user(login, password, full_name):
    """The new person, password checked (ValidationError for a weak one), not yet saved."""
    User = get_user_model()
    user = User(username=login, email=login if "@" in login else "")
    user.first_name = (full_name or "")[:150]
    validate_password(password, user)
    user.set_password(password)
    return user


def _insert(instance, field, error) -> None:
    """Save a new row whose uniqueness was checked before: a concurrent request may have
    inserted the same value since, and the database's unique constraint is the judge. That
    loser gets the same field error as the early check, not a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise ValidationError({field: error() if callable(error) else error}) from None


@dataclass
class SignUp:
    login: str
    password: str
    full_name: str
    enterprise_name: str
    credit_code: str
    address: str
    contact_name: str
    contact_phone: str


def _field_error(field, error):
    return ValidationError({field: error.messages if hasattr(error, "messages") else [error]})


def _credit_code_taken():
    return _(
        "An enterprise with this unified social credit code is already registered. "
        "Ask its owner to add you as staff."
    )


def sign_up(data: SignUp, *, licence_file):
    """Create the owner, the pending enterprise and its business-licence scan, or nothing.

    Raises ``ValidationError`` whose keys are the sign-up form's field names (``login``,
    ``password1``, ``credit_code``, ``licence``...); the transaction is rolled back, so a retry
    starts clean.
    """
    from ..documents.services import attach_document

    try:
        login = validate_login(data.login)
    except ValidationError as error:
        raise _field_error("login", error) from None
    credit_code = (data.credit_code or "").strip().upper()
    if Enterprise.objects.filter(credit_code=credit_code).exists():
        raise ValidationError({"credit_code": _credit_code_taken()})
    with transaction.atomic():
        try:
            user = _unsaved_user(login, data.password, data.full_name)
        except ValidationError as error:
            raise _field_error("password1", error) from None
        _insert(user, "login", _login_taken)
        enterprise = Enterprise(
            name=data.enterprise_name.strip(),
            credit_code=credit_code,
            address=data.address.strip(),
            contact_name=data.contact_name.strip(),
            contact_phone=normalize_mobile(data.contact_phone),
            verification_status=Enterprise.Verification.PENDING,
        )
        try:
            enterprise.full_clean()
        except ValidationError as error:
            renamed = {"name": "enterprise_name"}
            raise ValidationError(
                {renamed.get(field, field): errors for field, errors in error.error_dict.items()}
            ) from None
        _insert(enterprise, "credit_code", _credit_code_taken)
        Membership.objects.create(user=user, enterprise=enterprise, role=Membership.Role.OWNER)
        try:
            attach_document(
                enterprise=enterprise,
                kind=DocumentKind.BUSINESS_LICENCE,
                uploaded_file=licence_file,
                by=user,
            )
        except UploadRejected as error:
            raise ValidationError({"licence": [str(error.message)]}, code=error.code) from None
        audit.record(
            "enterprise.register",
            actor=user,
            enterprise=enterprise,
            to_status=enterprise.verification_status,
            data={"owner": user.get_username()},
        )
    return user


# --- Staff ------------------------------------------------------------------------------------


def _require_owner(by, enterprise):
    if not roles.is_owner(by, enterprise):
        raise AccountError(
            _("Only the enterprise's owner can manage staff accounts."), code="not_owner"
        )


def members(enterprise):
    return (
        Membership.objects.filter(enterprise=enterprise)
        .select_related("user")
        .order_by("role", "user__first_name", "user__username")
    )


def add_staff(enterprise, *, by, login, password, full_name):
    """An owner creates a staff account for a colleague, who then signs in with ``login``."""
    _require_owner(by, enterprise)
    login = validate_login(login)
    with transaction.atomic():
        user = _unsaved_user(login, password, full_name)
        _insert(user, "login", _login_taken)
        membership = Membership.objects.create(
            user=user, enterprise=enterprise, role=Membership.Role.STAFF
        )
        audit.record(
            "enterprise.staff_add",
            actor=by,
            enterprise=enterprise,
            data={"user": user.get_username()},
        )
    return membership


def remove_staff(enterprise, *, by, membership_id):
    """Remove a staff member: the membership goes and the account can no longer sign in.

    Owners are not removed this way, so an enterprise never loses its last owner by accident.
    """
    _require_owner(by, enterprise)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(enterprise=enterprise, pk=membership_id)
            .first()
        )
        if membership is None:
            raise Membership.DoesNotExist
        if membership.role == Membership.Role.OWNER:
            raise AccountError(_("Owners cannot be removed here."), code="owner_not_removable")
        user = membership.user
        membership.delete()
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit.record(
            "enterprise.staff_remove",
            actor=by,
            enterprise=enterprise,
            data={"user": user.get_username()},
        )
    return user
