"""GET /api/v1/keys/: the public keys that verify pass tokens, for offline checkpoint devices
(``python -m passes.verify --keys``). Public: a public key is no secret."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import signing_keys


class PublicKeysView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Public keys that verify pass tokens",
        description=(
            "Ed25519 public keys (raw 32 bytes, base64) with their key ids and state: active "
            "keys sign, retired keys only verify, withdrawn keys no longer verify from "
            "`withdrawn_at` on. The token format is documented in `passes/signing.py`."
        ),
        responses={200: dict},
    )
    def get(self, request):
        response = Response(signing_keys.public_keys_document())
        response["Cache-Control"] = "public, max-age=300"
        return response


public_keys = PublicKeysView.as_view()
