"""Template context every portal page needs: who the user acts for and where they may go."""

from django.conf import settings

from .. import roles


def portal(request):
    user = getattr(request, "user", None)
    enterprise = roles.enterprise_of(user) if user is not None else None
    return {
        "portal_enterprise": enterprise,
        "portal_announcement": _newest_unread(user, enterprise),
        "is_inspector": bool(user and roles.can_scan(user)),
        "office_title": settings.PASSDESK_OFFICE_TITLE,
    }


def _newest_unread(user, enterprise):
    """The newest announcement for the member's enterprise if they have not opened it yet (the
    banner); one query."""
    if enterprise is None:
        return None
    from ..messaging.audience import for_member

    newest = for_member(enterprise, user).only("pk", "title", "publish_at").first()
    return newest if newest is not None and not newest.is_read else None
