"""Who may scan: the scan endpoints' token authentication, used by DRF's views and by the lean
path (``fastscan``) alike, and its description for the API schema. The permission itself is
``roles.can_scan``."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from .. import roles
from ..api.credentials import token_holder


class ScanTokenAuthentication(TokenAuthentication):
    """DRF's token authentication on the API's one-statement lookup
    (``api.credentials.token_holder``): on PostgreSQL it brings the holder's permissions too,
    so "may this user scan?" asks nothing more on the busiest endpoint. An expired token is
    refused as an unknown one and left in place (the token endpoint replaces it). Same tokens,
    same errors, same header as the rest of the API."""

    model = Token

    def authenticate_credentials(self, key):
        found = token_holder(key)
        if found is None or not found[2]:
            raise AuthenticationFailed(_("Invalid token."))
        user, token, _fresh = found
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, token


class ScanTokenScheme(OpenApiAuthenticationExtension):
    """The schema shows the scan endpoint's token as what it is: the usual API token."""

    target_class = ScanTokenAuthentication
    name = "scanTokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.keyword
        )


class CanScan(BasePermission):
    """Inspectors: the ``passes.scan_pass`` permission (group Inspectors)."""

    def has_permission(self, request, view):
        return roles.can_scan(request.user)
