"""GET /api/v1/trust/ (this deployment's signed trust list) and GET /api/v1/trust/keys/ (the
keys the inspector page copies for offline checks: this deployment's and its peers')."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from ..signing import keys as signing_keys
from . import peers, publish


@require_GET
def trust_list(request):
    """Public, like the keys: a trust list holds public keys and office names only."""
    try:
        document = publish.signed_trust_list()
    except publish.TrustKeyError as error:
        return JsonResponse({"detail": str(error), "code": "no_trust_key"}, status=503)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def verification_keys(request):
    """/api/v1/keys/'s document plus the peers' keys (each naming its office) and the numbers
    the peers revoked: everything an offline checker needs."""
    document = signing_keys.public_keys_document()
    document["keys"] = document["keys"] + peers.peer_keys_entries()
    document["peer_revoked"] = peers.peer_revoked_numbers()
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response
