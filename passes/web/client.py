"""Which address a request comes from, decided once for every limit (DRF throttles,
django-axes, the portal's and checkpoint's rate limits, the public verify page).

``X-Forwarded-For`` is believed only when the connection comes from a proxy listed in
``PASSDESK_TRUSTED_PROXIES`` (addresses or networks). The header is then read from the right,
skipping our own proxies; the first address that is not one of them is the client. A header
from anyone else is a client's invention and is dropped, so nothing downstream can read it.
"""

import functools
import ipaddress

from django.conf import settings

PEER_META_KEY = "PASSDESK_PEER_ADDR"


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    networks = _networks(tuple(settings.PASSDESK_TRUSTED_PROXIES))
    parsed = _parse(address or "")
    return parsed is not None and any(parsed in network for network in networks)


def client_ip(meta) -> str:
    """The client's address for a WSGI environ / ``request.META``."""
    peer = meta.get("REMOTE_ADDR", "") or ""
    if not is_trusted_proxy(peer):
        return peer
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _parse(hop) is None:
            break  # garbage in the chain: nothing left of it can be believed
        if not is_trusted_proxy(hop):
            return str(_parse(hop))
    return peer


class ClientAddressMiddleware:
    """First in the chain: ``REMOTE_ADDR`` becomes the client's address, the connection's peer
    is kept under ``PASSDESK_PEER_ADDR``, and ``X-Forwarded-For`` is removed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        meta[PEER_META_KEY] = meta.get("REMOTE_ADDR", "")
        meta["REMOTE_ADDR"] = client_ip(meta)
        meta.pop("HTTP_X_FORWARDED_FOR", None)
        return self.get_response(request)


def axes_client_ip(request) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the same address the middleware settled on."""
    return request.META.get("REMOTE_ADDR", "")
