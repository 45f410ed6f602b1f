"""GET /api/v1/trust/ (this deployment's signed trust list) and GET /api/v1/trust/keys/ (the
keys the inspector page copies for offline checks: this deployment's and its peers').

Public, like ``/api/v1/keys/``: a trust list holds public keys and office names only. They sit
with the API (not in ``trust/``) so that they answer in its error shape and are in its schema.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..signing import keys as signing_keys
from ..trust import peers, publish
from . import outputs, outputs_issued
from .errors import ApiError

NO_TRUST_KEY = {503: outputs.ErrorOut}


class _Public(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]  # peers and phones read JSON; no browsable page


class TrustListView(_Public):
    access_policy = access.PUBLIC
    access_reason = "the signed trust list, published for peers"

    @extend_schema(
        summary="This deployment's signed trust list",
        description=(
            "Its offices, their public keys and revocation feeds, signed with the trust-list key "
            "(docs/verification.md). A peer pins the key's fingerprint. 503 (`no_trust_key`) "
            "until the deployment has a trust-list key."
        ),
        responses={200: outputs_issued.TrustListOut, **NO_TRUST_KEY},
    )
    def get(self, request):
        try:
            document = publish.signed_trust_list()
        except publish.TrustKeyError as error:
            raise ApiError(
                str(error), code="no_trust_key", status_code=status.HTTP_503_SERVICE_UNAVAILABLE
            ) from None
        response = Response(document)
        response["Cache-Control"] = "public, max-age=60"
        return response


class VerificationKeysView(_Public):
    access_policy = access.PUBLIC
    access_reason = "public keys for offline checks"

    @extend_schema(
        summary="Keys and peer revocations for offline checks",
        description=(
            "`/api/v1/keys/`'s document plus the trusted peers' keys (each naming its office) "
            "and the pass numbers the peers revoked: everything an offline checker needs."
        ),
        responses={200: outputs_issued.VerificationKeysOut},
    )
    def get(self, request):
        document = signing_keys.public_keys_document()
        document["keys"] = document["keys"] + peers.peer_keys_entries()
        document["peer_revoked"] = peers.peer_revoked_numbers()
        response = Response(document)
        response["Cache-Control"] = "public, max-age=60"
        return response
