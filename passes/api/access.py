"""Who may call which part of the API. Object-level isolation is done by the querysets: a view
only ever looks objects up among the caller's enterprise's own, so anything else is a 404."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from .. import roles
from ..models import PassRequest


class IsEnterpriseMember(BasePermission):
    message = _("Only people acting for an enterprise can use this.")
    code = "not_a_member"

    def has_permission(self, request, view):
        return roles.enterprise_of(request.user) is not None


class IsReviewer(BasePermission):
    message = _("Only reviewers can use this.")
    code = "not_a_reviewer"

    def has_permission(self, request, view):
        return roles.can_review(request.user)


class EnterpriseScoped:
    """Mixin: ``self.enterprise`` is the enterprise the caller acts for."""

    @property
    def enterprise(self):
        if not hasattr(self, "_enterprise"):
            self._enterprise = roles.enterprise_of(self.request.user)
        return self._enterprise


def scoped_transition(view, change, **kwargs):
    """Run the workflow's ``change`` on the request of the view's URL with the view's queryset
    as its scope (``within``): one statement scopes and locks the request, which is not read
    before; a request outside the scope is a 404, as ``get_object`` answers."""
    try:
        return change(view.kwargs["pk"], by=view.request.user, within=view.get_queryset(), **kwargs)
    except PassRequest.DoesNotExist:
        raise NotFound() from None
