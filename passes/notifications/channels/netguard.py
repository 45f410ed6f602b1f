"""Server-side request forgery guard for outgoing webhooks.

An enterprise types a URL; passdesk's workers then connect to it from inside the office network.
Every address the host name resolves to must be public: loopback, private, link-local, multicast,
reserved, unspecified and shared (CGNAT) ranges are refused, also when hidden in an IPv6 form
(IPv4-mapped ``::ffff:10.0.0.1``, 6to4, Teredo, NAT64). The check runs at registration and again
at every delivery, and the delivery connects to the very address that was checked, so a DNS
answer that changes in between (rebinding) cannot redirect it.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(Exception):
    """The URL may not be called. ``message`` is translated for the person who typed it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as typed (IDNA-encoded), used for the Host header, SNI and the certificate
    port: int
    path: str  # path and query
    address: str  # the checked IP address to connect to


def _embedded_ipv4(address: ipaddress.IPv6Address):
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(value) -> bool:
    """True only for a globally routable unicast address."""
    address = ipaddress.ip_address(value)
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public_address(inner):
            return False
    if address in SHARED:
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
    )


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host name %(host)s does not resolve.") % {"host": host}) from error
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise UnsafeURL(_("The host name %(host)s does not resolve.") % {"host": host})
    return addresses


def check_url(url: str, *, resolve=None, allow_private=None, require_https=None) -> Target:
    """Parse, resolve and vet ``url``; return where to connect. Raises ``UnsafeURL``.
    ``allow_private`` and ``require_https`` default to the webhook settings."""
    if allow_private is None:
        allow_private = settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE
    if require_https is None:
        require_https = settings.PASSDESK_WEBHOOK_REQUIRE_HTTPS
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(_("This is not a valid URL.")) from error
    allowed_schemes = {"https"} if require_https else {"https", "http"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeURL(_("The webhook URL must start with https://."))
    if parts.username or parts.password:
        raise UnsafeURL(_("The webhook URL must not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("This is not a valid URL."))
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UnsafeURL(_("This is not a valid URL.")) from error
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = (resolve or _resolve)(host, port)
    if not allow_private:
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise UnsafeURL(
                _(
                    "%(host)s resolves to %(address)s, a loopback, private, link-local or "
                    "reserved address; webhooks may only call public addresses."
                )
                % {"host": host, "address": refused[0]}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])
