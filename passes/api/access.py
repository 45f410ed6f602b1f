"""Who may call which part of the API. Object-level isolation is done by the querysets: a view
only ever looks objects up among the caller's enterprise's own, so anything else is a 404."""

from contextlib import contextmanager

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


@contextmanager
def within_scope():
    """Around a transition handed the view's queryset as its scope (``within``): a request
    outside it is a 404, as ``get_object`` answers, and the request is not read before the
    transition locks it."""
    try:
        yield
    except PassRequest.DoesNotExist:
        raise NotFound() from None
