"""The client's address behind a trusted reverse proxy.

Behind nginx every request comes from the proxy's address, so per-address limits (sign-ups,
the public verify page, django-axes) would count all clients as one. When ``REMOTE_ADDR`` is one
of ``TRUSTED_PROXIES`` (addresses or networks), the client is the right-most address in
``X-Forwarded-For`` that is not itself a trusted proxy: that entry was written by our proxy,
everything left of it is the client's to invent. From anyone else the header is ignored.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, trusted) -> str:
    networks = _networks(tuple(trusted))
    if not networks or not _trusted(remote_addr, networks):
        return remote_addr
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr
    return remote_addr


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        trusted = settings.TRUSTED_PROXIES
        if trusted:
            meta = request.META
            meta["REMOTE_ADDR"] = client_address(
                meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), trusted
            )
        return self.get_response(request)
