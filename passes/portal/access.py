"""Who may use a portal page. Every object is looked up through the access policy
(``passes.access``: for a member, inside the member's enterprise), so another enterprise's ids
answer 404, exactly like ids that do not exist."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .. import access, roles


def member_required(view):
    """Signed in and acting for an enterprise; the view gets ``request.enterprise``."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        enterprise = roles.enterprise_of(request.user)
        if enterprise is None:
            raise Http404("not an enterprise member")
        request.enterprise = enterprise
        return view(request, *args, **kwargs)

    return wrapper


def owned(request, queryset_or_model, **lookup):
    """The object with ``lookup`` among those the member may see, or 404."""
    queryset = getattr(queryset_or_model, "objects", queryset_or_model).all()
    return get_object_or_404(access.visible(queryset, request.user), **lookup)
