"""Template context every portal page needs: who the user acts for and where they may go."""

from django.conf import settings

from .. import roles


def portal(request):
    user = getattr(request, "user", None)
    enterprise = roles.enterprise_of(user) if user is not None else None
    return {
        "portal_enterprise": enterprise,
        "is_inspector": bool(user and roles.can_scan(user)),
        "office_title": settings.PASSDESK_OFFICE_TITLE,
    }
