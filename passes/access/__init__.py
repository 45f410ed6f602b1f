"""Who may see what: the one access policy.

``scope`` says who someone is (nobody, a member of one enterprise, staff of some offices or of
the whole deployment, a superuser); ``selectors`` turns that into one filter per model
(``visible_requests(user)``, ``visible(queryset, user)``...), which every API queryset, admin
page, file view, export and list goes through; ``routes`` is how every URL declares which
policy answers it (``tests/test_access_routes.py`` walks them all). Out of scope is a 404.
"""

from .routes import PUBLIC, SELF, policy, policy_of, public
from .scope import Scope, scope_of
from .selectors import (
    POLICIES,
    can_download_passes,
    visible,
    visible_announcements,
    visible_audit_events,
    visible_checkpoints,
    visible_documents,
    visible_drivers,
    visible_enterprises,
    visible_messages,
    visible_offices,
    visible_pass_types,
    visible_passes,
    visible_requests,
    visible_scans,
    visible_vehicles,
)

__all__ = [
    "POLICIES",
    "PUBLIC",
    "SELF",
    "Scope",
    "can_download_passes",
    "policy",
    "policy_of",
    "public",
    "scope_of",
    "visible",
    "visible_announcements",
    "visible_audit_events",
    "visible_checkpoints",
    "visible_documents",
    "visible_drivers",
    "visible_enterprises",
    "visible_messages",
    "visible_offices",
    "visible_pass_types",
    "visible_passes",
    "visible_requests",
    "visible_scans",
    "visible_vehicles",
]
