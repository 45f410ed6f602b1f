"""API tokens: DRF's ``Token`` (the contract clients already use: ``Authorization: Token <key>``
from ``POST /api/v1/auth/token/``), with a lifetime and revocation.

A token older than ``PASSDESK_API_TOKEN_LIFETIME_DAYS`` is refused (and deleted); asking for
a token again gives a fresh one. A token is revoked by its holder (``DELETE`` on the token
endpoint, or the button on the portal's account page) and whenever the password changes.

django-rest-knox was considered: it stores digests instead of keys and allows one token per
device, but it changes the token format and storage that the checkpoint's one-statement token
lookup (``checkpoint/tokens.py``) and every existing client rely on; expiry and revocation
are what the threat needs, and they fit in the existing table.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from .. import audit


def lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.PASSDESK_API_TOKEN_LIFETIME_DAYS)


def oldest_valid_creation() -> datetime.datetime:
    """Tokens created before this moment have expired."""
    return timezone.now() - lifetime()


def expires_at(token) -> datetime.datetime:
    return token.created + lifetime()


def is_expired(token) -> bool:
    return token.created < oldest_valid_creation()


def issue_token(user) -> Token:
    """The user's token, a new one if theirs has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and is_expired(token):
        token.delete()
        token = None
    if token is None:
        token, _created = Token.objects.get_or_create(user=user)
    return token


def revoke_tokens(user, *, by=None, reason: str) -> int:
    """Delete the user's API token; clients must sign in again. Returns how many went."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        audit.record("api.token_revoke", actor=by or user, data={"user": user.pk, "reason": reason})
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that refuses expired tokens."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            token.delete()
            raise AuthenticationFailed(_("The API token has expired; request a new one."))
        return user, token


@receiver(pre_save, sender=get_user_model(), dispatch_uid="passes.api.tokens.password_change")
def _revoke_on_password_change(sender, instance, update_fields=None, **kwargs):
    """A new password ends every API session made with the old one."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        revoke_tokens(instance, reason="password_change")
