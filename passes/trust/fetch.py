"""Fetching a peer's JSON (trust list, revocation feed) behind the SSRF guard.

The peer's URL is typed by an officer, and the worker fetches it from inside the office network:
every address must be public unless ``PASSDESK_TRUST_ALLOW_PRIVATE`` is set (loopback peers in
tests and development), and the request goes to the very address that was checked.
"""

import ipaddress
import json

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from ..notifications.channels.netguard import UnsafeURL, check_url


class FetchError(Exception):
    """The peer could not be reached or answered nonsense. The message is for officers."""


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def get_json(url: str, *, max_bytes: int):
    try:
        target = check_url(
            url,
            allow_private=settings.PASSDESK_TRUST_ALLOW_PRIVATE,
            require_https=settings.PASSDESK_TRUST_REQUIRE_HTTPS,
        )
    except UnsafeURL as error:
        raise FetchError(error.message) from error
    host_literal = f"[{target.address}]" if ":" in target.address else target.address
    address_url = f"{target.scheme}://{host_literal}:{target.port}{target.path}"
    named = _is_name(target.host)
    host = target.host if named or ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    headers = {
        "Host": host if target.port == default_port else f"{host}:{target.port}",
        "Accept": "application/json",
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" and named else {}
    try:
        with (
            httpx.Client(
                timeout=settings.PASSDESK_TRUST_TIMEOUT, follow_redirects=False, trust_env=False
            ) as client,
            client.stream("GET", address_url, headers=headers, extensions=extensions) as response,
        ):
            if response.status_code != 200:
                raise FetchError(
                    _("%(url)s answered HTTP %(status)s.")
                    % {"url": url, "status": response.status_code}
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(_("%(url)s sent too much data.") % {"url": url})
    except httpx.HTTPError as error:
        raise FetchError(
            _("%(url)s could not be reached: %(error)s") % {"url": url, "error": error}
        ) from error
    try:
        return json.loads(bytes(body))
    except ValueError as error:
        raise FetchError(_("%(url)s did not send JSON.") % {"url": url}) from error
