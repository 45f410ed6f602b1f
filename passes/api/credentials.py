"""API credentials: DRF's ``Token`` (the contract clients already use: ``Authorization: Token
<key>`` from ``POST /api/v1/auth/token/``), with a lifetime and revocation. (The signed tokens
in a pass's QR code are another thing: ``signing.tokens``.)

A token older than ``PASSDESK_API_TOKEN_LIFETIME_DAYS`` is refused (and deleted); asking for
a token again gives a fresh one. A token is revoked by its holder (``DELETE`` on the token
endpoint, or the button on the portal's account page) and whenever the password changes.

django-rest-knox was considered: it stores digests instead of keys and allows one token per
device, but it changes the token format and storage that the one-statement token lookup
(``token_holder`` below, also the scan endpoint's) and every existing client rely on; expiry
and revocation are what the threat needs, and they fit in the existing table.
"""

import datetime
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from .. import audit, roles
from ..models import Enterprise, Membership, sqlrows
from ..models.sqlrows import column, columns, quote, table


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


# The row the token lookup reads: the holder, the holder's membership and its enterprise (NULLs
# for staff), then whether the token is fresh and, on PostgreSQL, the holder's permissions.
_HOLDER_MODELS = (get_user_model(), Membership, Enterprise)


@cache
def _holder_sql(vendor: str) -> str:
    """The token's user, the user's membership with its enterprise (nearly every API call asks
    who the caller acts for), whether the token is still fresh; on PostgreSQL also the user's
    permissions (direct and through groups) as ``app_label.codename``, which ModelBackend
    would otherwise fetch with two more queries on the request's first permission check."""
    User = get_user_model()  # noqa: N806 - Django's idiom
    user_pk = f"u.{quote(User._meta.pk.column)}"
    pk = quote("id")
    permissions = ""
    if vendor == "postgresql":
        user_perms, user_groups = User.user_permissions.through, User.groups.through
        group_perms = Group.permissions.through
        permissions = (
            f", ARRAY(SELECT ct.{quote('app_label')} || '.' || p.{quote('codename')} "  # noqa: S608 - quoted model identifiers only
            f"FROM {table(Permission)} p JOIN {table(ContentType)} ct "
            f"ON ct.{pk} = p.{column(Permission, 'content_type')} WHERE p.{pk} IN ("
            f"SELECT up.{column(user_perms, 'permission')} FROM {table(user_perms)} up "
            f"WHERE up.{column(user_perms, 'user')} = {user_pk} "
            f"UNION SELECT gp.{column(group_perms, 'permission')} "
            f"FROM {table(user_groups)} ug JOIN {table(group_perms)} gp "
            f"ON gp.{column(group_perms, 'group')} = ug.{column(user_groups, 'group')} "
            f"WHERE ug.{column(user_groups, 'user')} = {user_pk}))"
        )
    return (
        f"SELECT {columns(User, 'u')}, {columns(Membership, 'm')}, {columns(Enterprise, 'e')}, "  # noqa: S608 - quoted model identifiers; values are parameters
        f"(t.{column(Token, 'created')} >= %s){permissions} "
        f"FROM {table(Token)} t JOIN {table(User)} u ON {user_pk} = t.{column(Token, 'user')} "
        f"LEFT JOIN {table(Membership)} m ON m.{column(Membership, 'user')} = {user_pk} "
        f"LEFT JOIN {table(Enterprise)} e ON e.{pk} = m.{column(Membership, 'enterprise')} "
        f"WHERE t.{column(Token, 'key')} = %s"
    )


def token_holder(key: str):
    """``(user, token, fresh)`` for an API token key, or None: one plain statement instead of
    the ORM's token query, the membership query and (for staff) ModelBackend's two permission
    queries, on every API call. ``fresh`` is False once the token has outlived
    ``PASSDESK_API_TOKEN_LIFETIME_DAYS``."""
    cutoff = connection.ops.adapt_datetimefield_value(oldest_valid_creation())
    with connection.cursor() as cursor:
        cursor.execute(_holder_sql(connection.vendor), [cutoff, key])
        row = cursor.fetchone()
    if row is None:
        return None
    (user, membership, enterprise), position = sqlrows.from_row(row, _HOLDER_MODELS)
    if membership is not None:
        sqlrows.cache_related(membership, "enterprise", enterprise)
    roles.cache_membership(user, membership)
    fresh = bool(row[position])
    if len(row) > position + 1 and row[position + 1] is not None:
        roles.cache_permissions(user, row[position + 1])
    token = Token.from_db(connection.alias, ["key", "user_id"], [key, user.pk])
    token.user = user
    return user, token, fresh


def token_holder_orm(key: str):
    """``token_holder`` through the ORM: the reference its plain SQL is held to (the holder's
    permissions come from ModelBackend's own queries when first asked)."""
    token = Token.objects.select_related("user__membership__enterprise").filter(key=key).first()
    if token is None:
        return None
    return token.user, token, token.created >= oldest_valid_creation()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that refuses expired tokens, in one statement."""

    def authenticate_credentials(self, key):
        found = token_holder(key)
        if found is None:
            raise AuthenticationFailed(_("Invalid token."))
        user, token, fresh = found
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if not fresh:
            token.delete()
            raise AuthenticationFailed(_("The API token has expired; request a new one."))
        return user, token


@receiver(pre_save, sender=get_user_model(), dispatch_uid="passes.api.credentials.password_change")
def _revoke_on_password_change(sender, instance, update_fields=None, **kwargs):
    """A new password ends every API session made with the old one."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        revoke_tokens(instance, reason="password_change")
