"""``POST /api/v1/auth/token/``: a token for a username and password.

The credentials go through ``django.contrib.auth.authenticate(request=...)`` with the plain
Django request, so django-axes counts failures and locks out exactly as for the portal's login
form; the ``auth`` throttle scope limits attempts per address on top.
"""

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from . import credentials, inputs, outputs
from .errors import InvalidCredentials, LockedOut
from .throttles import AtomicScopedRateThrottle


class ObtainTokenView(APIView):
    access_policy = access.PUBLIC
    access_reason = "sign-in for an API token (throttled)"
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AtomicScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        summary="Get an API token",
        request=inputs.TokenIn,
        responses={200: outputs.TokenOut, 400: outputs.ErrorOut, 429: outputs.ErrorOut},
        auth=[],
    )
    def post(self, request):
        serializer = inputs.TokenIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        django_request = request._request  # axes flags the lockout on the request it is given
        user = authenticate(
            request=django_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                raise LockedOut()
            raise InvalidCredentials()
        # A token is a sign-in: axes resets the failure count, Django records last_login.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token = credentials.issue_token(user)
        return Response({"token": token.key})

    @extend_schema(
        summary="Revoke the API token this request is made with (sign out)",
        request=None,
        responses={204: None, 401: outputs.ErrorOut},
    )
    def delete(self, request):
        credentials.revoke_tokens(request.user, reason="revoked_by_user")
        return Response(status=204)

    def _deleting(self) -> bool:
        return getattr(getattr(self, "request", None), "method", "") == "DELETE"

    def get_authenticators(self):
        if self._deleting():
            return [credentials.ExpiringTokenAuthentication()]
        return super().get_authenticators()

    def get_permissions(self):
        if self._deleting():
            return [IsAuthenticated()]
        return super().get_permissions()
