"""Who someone is in passdesk. Staff roles are Django groups carrying permissions; enterprise
applicants are users with a Membership."""

from django.utils.translation import gettext as _

from .errors import WorkflowError
from .models import Enterprise, Membership

REVIEWERS_GROUP = "Reviewers"
OFFICERS_GROUP = "Officers"
INSPECTORS_GROUP = "Inspectors"


def _membership(user) -> Membership | None:
    """The user's membership with its enterprise, in one query, remembered on the user object
    (as ``user.membership`` is): every API call asks who the caller acts for."""
    if not getattr(user, "is_authenticated", False):
        return None
    relation = Membership._meta.get_field("user").remote_field
    if not relation.is_cached(user):
        found = Membership.objects.select_related("enterprise").filter(user_id=user.pk).first()
        if found is not None:
            found.user = user
        relation.set_cached_value(user, found)  # None: ``user.membership`` raises, as before
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def enterprise_of(user) -> Enterprise | None:
    """The enterprise a user acts for, or None for staff and strangers."""
    membership = _membership(user)
    return membership.enterprise if membership is not None else None


def is_member(user, enterprise) -> bool:
    membership = _membership(user)
    return membership is not None and membership.enterprise_id == getattr(
        enterprise, "pk", enterprise
    )


def require_member(user, enterprise, message=None) -> None:
    """Refuse (``WorkflowError``, code ``not_allowed``) anyone who is not an active member of
    ``enterprise``: the one check every enterprise-side service makes before changing data."""
    active = getattr(user, "is_authenticated", False) and user.is_active
    if not (active and is_member(user, enterprise)):
        raise WorkflowError(
            message
            or _("Only members of %(enterprise)s can do this.") % {"enterprise": enterprise},
            code="not_allowed",
        )


def is_owner(user, enterprise) -> bool:
    return is_member(user, enterprise) and user.membership.role == Membership.Role.OWNER


def can_review(user) -> bool:
    return user.is_authenticated and user.has_perm("passes.review_passrequest")


def can_assign(user) -> bool:
    """Officers (科长) may reassign requests and act on requests claimed by others."""
    return user.is_authenticated and user.has_perm("passes.assign_passrequest")


def can_revoke(user) -> bool:
    return user.is_authenticated and user.has_perm("passes.revoke_pass")


def can_verify_enterprises(user) -> bool:
    return user.is_authenticated and user.has_perm("passes.verify_enterprise")


def can_scan(user) -> bool:
    return user.is_authenticated and user.has_perm("passes.scan_pass")


def can_see_enterprise_data(user, enterprise) -> bool:
    """Members of the enterprise, reviewers and officers may see its requests and files."""
    return is_member(user, enterprise) or can_review(user)
