"""Per-address limits for the public verify page and the revocation feed."""

from ..ratelimit import client_address, hit


def allow(request, scope: str, per_minute: int) -> bool:
    """Count this request; False once the client has made ``per_minute`` in the last minute."""
    return hit(f"{scope}:{client_address(request)}", per_minute, 60)
