"""GET /api/v1/keys/: the public keys that verify pass tokens, for offline checkpoint devices
(``python -m passes.verify --keys``). Public: a public key is no secret."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from . import keys as signing_keys

_KEY = inline_serializer(
    "PublicSigningKey",
    {
        "kid": serializers.CharField(help_text="8 hex digits, as in the token"),
        "algorithm": serializers.CharField(default="Ed25519"),
        "public_key": serializers.CharField(help_text="raw 32-byte public key, base64"),
        "state": serializers.ChoiceField(choices=["active", "retired", "withdrawn"]),
        "created_at": serializers.DateTimeField(),
        "retired_at": serializers.DateTimeField(allow_null=True),
        "withdrawn_at": serializers.DateTimeField(allow_null=True),
    },
)
_KEYS = inline_serializer(
    "PublicSigningKeys",
    {
        "token_version": serializers.IntegerField(),
        "generated_at": serializers.DateTimeField(),
        "keys": _KEY.__class__(many=True),
    },
)


class PublicKeysView(APIView):
    access_policy = access.PUBLIC
    access_reason = "the public keys that verify pass tokens"
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Public keys that verify pass tokens",
        description=(
            "Ed25519 public keys (raw 32 bytes, base64) with their key ids and state: active "
            "keys sign, retired keys only verify, withdrawn keys no longer verify from "
            "`withdrawn_at` on. The token format is documented in `passes/signing/tokens.py`."
        ),
        responses={200: _KEYS},
    )
    def get(self, request):
        response = Response(signing_keys.public_keys_document())
        response["Cache-Control"] = "public, max-age=300"
        return response


public_keys = PublicKeysView.as_view()
