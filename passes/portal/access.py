"""Who may use a portal page. Every object is looked up inside the member's enterprise, so
another enterprise's ids answer 404, exactly like ids that do not exist."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .. import roles


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
    """The object with ``lookup`` that belongs to the member's enterprise, or 404."""
    manager = getattr(queryset_or_model, "objects", queryset_or_model)
    return get_object_or_404(manager.filter(enterprise=request.enterprise), **lookup)
