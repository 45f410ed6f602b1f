"""Who someone is, for the access policy: computed from ``roles`` (membership, offices,
permissions) in at most a few cached lookups, so the selectors stay one filter each."""

from dataclasses import dataclass

from .. import roles

NOBODY = "nobody"  # anonymous, inactive, or signed in with no enterprise and no staff role
MEMBER = "member"  # acts for one enterprise
STAFF = "staff"  # reviewers, officers, inspectors (of some offices, or deployment-wide)
ALL = "all"  # superusers


@dataclass(frozen=True)
class Scope:
    kind: str
    enterprise_id: int | None = None
    # Staff: the offices they work for; None = the whole deployment (staff on no office).
    offices: frozenset | None = None
    # Staff whose offices include the first one also own rows that name no office.
    first_office: bool = False
    reviews: bool = False  # may review or assign requests (sees filed requests and files)
    scans: bool = False  # checkpoint inspector
    user_id: int | None = None

    @property
    def office_scoped(self) -> bool:
        return self.kind == STAFF and self.offices is not None


def scope_of(user) -> Scope:
    """The scope of ``user`` (a ``Scope`` passes through, so selectors take either)."""
    if isinstance(user, Scope):
        return user
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(NOBODY)
    if user.is_superuser:
        return Scope(ALL, user_id=user.pk)
    enterprise = roles.enterprise_of(user)
    if enterprise is not None:
        return Scope(MEMBER, enterprise_id=enterprise.pk, user_id=user.pk)
    reviews = roles.can_review(user) or roles.can_assign(user)
    scans = roles.can_scan(user)
    if not (user.is_staff or reviews or scans):
        return Scope(NOBODY, user_id=user.pk)
    offices = roles.offices_of(user)
    return Scope(
        STAFF,
        offices=offices,
        first_office=offices is not None and roles.first_office_id() in offices,
        reviews=reviews,
        scans=scans,
        user_id=user.pk,
    )
