"""The signed-in person's own API token: when it expires, and a button to revoke it."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from ... import access
from ...api import credentials
from ..access import member_required


def token_status(user) -> dict | None:
    """For the enterprise page: the token's dates, or None when the user has none."""
    token = Token.objects.filter(user=user).first()
    if token is None:
        return None
    return {
        "created": token.created,
        "expires": credentials.expires_at(token),
        "expired": credentials.is_expired(token),
    }


@access.policy(access.SELF)
@require_POST
@member_required
def revoke_token(request):
    if credentials.revoke_tokens(request.user, reason="revoked_by_user"):
        messages.success(
            request, _("Your API token was revoked. Programs using it must sign in again.")
        )
    return redirect("passes:enterprise")
