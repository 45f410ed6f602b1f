"""The scan endpoint's token lookup: the API's one-statement lookup (``api.tokens.token_holder``:
token, holder and, on PostgreSQL, the holder's permissions) plus "may scan"."""

from ..api.tokens import token_holder


def token_user(key: str):
    """The user holding this API token, with ``passdesk_can_scan`` set, or None (no such
    token, or it has expired). Active or not: the caller decides. On PostgreSQL the permission
    check reads what the lookup brought (no further query)."""
    found = token_holder(key)
    if found is None:
        return None
    user, _token, fresh = found
    if not fresh:
        return None
    user.passdesk_can_scan = user.has_perm("passes.scan_pass")
    return user
