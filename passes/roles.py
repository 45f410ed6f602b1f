"""Who someone is in passdesk. Staff roles are Django groups carrying permissions; enterprise
applicants are users with a Membership."""

import time

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .errors import WorkflowError
from .models import Enterprise, Membership, Office, sqlrows

REVIEWERS_GROUP = "Reviewers"
OFFICERS_GROUP = "Officers"
INSPECTORS_GROUP = "Inspectors"


def _membership(user) -> Membership | None:
    """The user's membership with its enterprise, in one query, remembered on the user object
    (as ``user.membership`` is): every API call asks who the caller acts for."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not Membership._meta.get_field("user").remote_field.is_cached(user):
        cache_membership(
            user, Membership.objects.select_related("enterprise").filter(user_id=user.pk).first()
        )
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def cache_membership(user, membership: Membership | None) -> None:
    """Remember ``membership`` (None: the user has none) as ``user.membership`` and the user as
    its ``user``, where the ORM's ``select_related`` keeps them: the checks here then ask
    nothing more, and ``user.membership`` raises ``DoesNotExist`` for None as the ORM's would.
    The one place that writes this cache, for every read that brings the membership with other
    rows (the API token's holder, the actors of a request's history)."""
    if membership is not None:
        sqlrows.cache_related(membership, "user", user)
    sqlrows.cache_related(user, "membership", membership)


def cache_permissions(user, permissions) -> None:
    """Keep ``permissions`` (``app_label.codename`` strings) where Django's ModelBackend keeps
    a user's permissions after its first check (``user._perm_cache``, its private name), so
    that ``has_perm`` asks nothing more: the API token lookup reads them in its own statement,
    where ModelBackend would spend two more queries. Superusers are left to ModelBackend: they
    hold every permission, not only the assigned ones."""
    if not user.is_superuser:
        user._perm_cache = set(permissions)


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


# --- Offices ---------------------------------------------------------------------------------
# Staff listed on an office (``Office.staff``) work for that office only: its requests, its
# checkpoints, its pass types. Staff on no office, and superusers, work deployment-wide, so a
# deployment with one office (and staff who were never assigned) behaves as before. Rows whose
# office is empty belong to the first office.

OFFICE_CACHE_SECONDS = 10
_office_cache: dict[int, tuple[float, frozenset]] = {}


@receiver(m2m_changed, sender=Office.staff.through)
def clear_office_cache(**kwargs):
    _office_cache.clear()


def offices_of(user) -> frozenset | None:
    """Ids of the offices ``user`` works for, or None for deployment-wide staff."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    now = time.monotonic()
    hit = _office_cache.get(user.pk)
    if hit is not None and hit[0] > now:
        ids = hit[1]
    else:
        ids = frozenset(user.passdesk_offices.values_list("pk", flat=True))
        _office_cache[user.pk] = (now + OFFICE_CACHE_SECONDS, ids)
    return ids or None


_first_office: list = []


@receiver(post_save, sender=Office)
@receiver(post_delete, sender=Office)
def _forget_first_office(**kwargs):
    _first_office.clear()


def first_office_id():
    """The deployment's first office, whose are the rows naming no office (read once). What
    a user may *see* is ``passes.access``'s: its selectors filter by these offices."""
    if not _first_office:
        _first_office.append(Office.objects.order_by("pk").values_list("pk", flat=True).first())
    return _first_office[0]


def works_for(user, office_id) -> bool:
    """May ``user`` act for the office ``office_id`` (None: the first office)?"""
    ids = offices_of(user)
    if ids is None:
        return True
    return (office_id if office_id is not None else first_office_id()) in ids


def require_office(user, office_id, message=None) -> None:
    """Refuse (``WorkflowError``, ``not_allowed``) staff of another office."""
    if not works_for(user, office_id):
        raise WorkflowError(message or _("This belongs to another office."), code="not_allowed")
