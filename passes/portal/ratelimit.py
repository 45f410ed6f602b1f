"""Small sliding-window limits for the portal's open doors: sign-up (per address) and uploads
(per user). Login attempts are counted by django-axes; these cover what axes does not."""

from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..ratelimit import client_address, hit


def limit_posts(scope: str, *, per: str):
    """Refuse POSTs beyond ``PASSDESK_PORTAL_RATE_LIMITS[scope]`` = (count, seconds) with 429."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            count, window = settings.PASSDESK_PORTAL_RATE_LIMITS[scope]
            who = request.user.pk if per == "user" else client_address(request)
            if request.method == "POST" and not hit(f"portal:{scope}:{who}", count, window):
                message = _("Too many attempts in a short time. Please wait a few minutes.")
                if "application/json" in request.headers.get("Accept", ""):
                    return JsonResponse(
                        {"ok": False, "code": "rate_limited", "message": message}, status=429
                    )
                return render(
                    request, "passes/portal/locked_out.html", {"message": message}, status=429
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
