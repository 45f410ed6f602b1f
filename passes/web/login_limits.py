"""A per-address limit on failed sign-ins, next to django-axes's per-username-and-address
lockout: thirty usernames tried from one address (password spraying) lock that address out of
every login door (portal, admin, API token) for the window.

Failures are counted from Django's ``user_login_failed`` signal; the check is an
authentication backend listed first, which flags the request the way django-axes does, so the
same lockout answer (429, the portal's page or the API's error shape) follows. Off when
``AXES_ENABLED`` is off, like the rest of the lockout machinery."""

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from .. import ratelimit


def _enabled() -> bool:
    return settings.AXES_ENABLED and settings.PASSDESK_LOGIN_FAILURES_PER_ADDRESS > 0


def _key(request) -> str:
    return f"login-failures:{ratelimit.client_address(request)}"


def _django_request(request):
    return getattr(request, "_request", request)  # DRF's Request wraps Django's


def address_locked_out(request) -> bool:
    window = settings.PASSDESK_LOGIN_FAILURE_WINDOW
    return ratelimit.count(_key(request), window) >= settings.PASSDESK_LOGIN_FAILURES_PER_ADDRESS


class AddressLimitBackend:
    """Refuses every sign-in from an address over its failure limit (never authenticates)."""

    def authenticate(self, request, **credentials):
        if request is None or not _enabled():
            return None
        request = _django_request(request)
        if address_locked_out(request):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout response
            request.axes_credentials = credentials
            raise PermissionDenied
        return None

    # No get_user: sessions are never tied to this backend (Django picks the first backend
    # that can load a user, ModelBackend).


@receiver(user_login_failed, dispatch_uid="passes.web.login_limits.count_failure")
def count_failure(sender, credentials=None, request=None, **kwargs):
    if request is None or not _enabled():
        return
    request = _django_request(request)
    ratelimit.hit(
        _key(request),
        settings.PASSDESK_LOGIN_FAILURES_PER_ADDRESS,
        settings.PASSDESK_LOGIN_FAILURE_WINDOW,
    )
