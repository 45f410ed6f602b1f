"""API tokens: DRF's ``Token`` (the contract clients already use: ``Authorization: Token <key>``
from ``POST /api/v1/auth/token/``), with a lifetime and revocation.

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

from .. import audit
from ..models import Enterprise, Membership, sqlrows


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


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


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
    user_pk = f"u.{_q(User._meta.pk.column)}"
    membership, enterprise = Membership._meta, Enterprise._meta
    selected = ", ".join(
        [sqlrows.columns(User, "u"), sqlrows.columns(Membership, "m")]
        + [sqlrows.columns(Enterprise, "e")]
    )
    joins = (
        f" LEFT JOIN {_q(membership.db_table)} m"
        f" ON m.{_q(membership.get_field('user').column)} = {user_pk}"
        f" LEFT JOIN {_q(enterprise.db_table)} e"
        f" ON e.{_q(enterprise.pk.column)} = m.{_q(membership.get_field('enterprise').column)}"
    )
    token_user = _q(Token._meta.get_field("user").column)
    permissions = ""
    if vendor == "postgresql":
        user_perms = User.user_permissions.through._meta
        user_groups = User.groups.through._meta
        group_perms = Group.permissions.through._meta

        def column(meta, name):
            return _q(meta.get_field(name).column)

        content_type = _q(ContentType._meta.db_table)
        permissions = (
            f", ARRAY(SELECT ct.{_q('app_label')} || '.' || p.{_q('codename')} "  # noqa: S608 - quoted model identifiers only
            f"FROM {_q(Permission._meta.db_table)} p "
            f"JOIN {content_type} ct ON ct.{_q('id')} = p.{_q('content_type_id')} "
            f"WHERE p.{_q('id')} IN ("
            f"SELECT up.{column(user_perms, 'permission')} FROM {_q(user_perms.db_table)} up "
            f"WHERE up.{column(user_perms, 'user')} = {user_pk} "
            f"UNION SELECT gp.{column(group_perms, 'permission')} "
            f"FROM {_q(user_groups.db_table)} ug JOIN {_q(group_perms.db_table)} gp "
            f"ON gp.{column(group_perms, 'group')} = ug.{column(user_groups, 'group')} "
            f"WHERE ug.{column(user_groups, 'user')} = {user_pk}))"
        )
    return (
        f"SELECT {selected}, (t.{_q('created')} >= %s){permissions} "  # noqa: S608 - quoted model identifiers; values are parameters
        f"FROM {_q(Token._meta.db_table)} t JOIN {_q(User._meta.db_table)} u "
        f"ON {user_pk} = t.{token_user}{joins} WHERE t.{_q(Token._meta.pk.column)} = %s"
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
        membership.enterprise = enterprise
        membership.user = user
    # Where ``roles`` looks for it (None: ``user.membership`` raises, as the ORM's would).
    Membership._meta.get_field("user").remote_field.set_cached_value(user, membership)
    fresh = bool(row[position])
    permissions = row[position + 1] if len(row) > position + 1 else None
    if permissions is not None and not user.is_superuser:
        # ModelBackend's own per-user cache (superusers are left to it: they hold every
        # permission, not only the assigned ones).
        user._perm_cache = set(permissions)
    token = Token.from_db(connection.alias, ["key", "user_id"], [key, user.pk])
    token.user = user
    return user, token, fresh


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


@receiver(pre_save, sender=get_user_model(), dispatch_uid="passes.api.tokens.password_change")
def _revoke_on_password_change(sender, instance, update_fields=None, **kwargs):
    """A new password ends every API session made with the old one."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        revoke_tokens(instance, reason="password_change")
