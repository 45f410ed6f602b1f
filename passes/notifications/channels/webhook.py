"""Webhook deliveries: a signed JSON POST to an enterprise's HTTPS endpoint.

The signature header is ``X-Passdesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`` computed
with the endpoint's secret over ``"<t>.<raw body>"``; receivers verify it with the function in
``docs/webhooks.md`` and reject old timestamps to stop replays.
"""

import hashlib
import hmac
import ipaddress
import time

import httpx
from django.conf import settings
from django.utils import timezone

from . import PermanentFailure, TemporaryFailure
from .netguard import UnsafeURL, check_url

SIGNATURE_HEADER = "X-Passdesk-Signature"
RESPONSE_KEEP_CHARS = 2000


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post(target, body: bytes, headers: dict, timeout: float) -> httpx.Response:
    """POST to the checked address itself; the host name goes in Host, SNI and the certificate
    check. Redirects are not followed."""
    host_literal = f"[{target.address}]" if ":" in target.address else target.address
    url = f"{target.scheme}://{host_literal}:{target.port}{target.path}"
    default_port = 443 if target.scheme == "https" else 80
    named = _is_name(target.host)
    host = target.host if named else f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default_port else f"{host}:{target.port}"
    # SNI and the certificate check use the name typed, not the address connected to.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" and named else {}
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=_verify()
    ) as client:
        return client.post(
            url,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def _verify():
    bundle = settings.PASSDESK_WEBHOOK_CA_BUNDLE
    if bundle:
        import ssl

        return ssl.create_default_context(cafile=bundle)
    return True


def send(notification) -> None:
    from ...models import WebhookDelivery

    endpoint = notification.webhook_endpoint
    if endpoint is None or not endpoint.is_active:
        raise PermanentFailure("The webhook endpoint was removed or disabled.")
    body = notification.body_text.encode("utf-8")
    timestamp = int(time.time())
    signature = sign(endpoint.secret, timestamp, body)
    delivery = WebhookDelivery(
        endpoint=endpoint,
        notification=notification,
        attempt=notification.attempts,
        request_body=notification.body_text,
        signature_header=signature,
    )
    started = time.monotonic()
    try:
        target = check_url(endpoint.url)
        response = post(
            target,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "passdesk-webhooks/1",
                SIGNATURE_HEADER: signature,
                "X-Passdesk-Event": notification.event,
                "X-Passdesk-Delivery": str(notification.event_uid),
            },
            timeout=settings.PASSDESK_WEBHOOK_TIMEOUT,
        )
    except UnsafeURL as error:
        delivery.error = str(error.message)
        _save(delivery, started)
        raise PermanentFailure(delivery.error) from error
    except httpx.HTTPError as error:
        delivery.error = f"{type(error).__name__}: {error}"[:1000]
        _save(delivery, started)
        raise TemporaryFailure(delivery.error) from error
    delivery.response_status = response.status_code
    delivery.response_body = response.text[:RESPONSE_KEEP_CHARS]
    _save(delivery, started)
    if not 200 <= response.status_code < 300:
        raise TemporaryFailure(f"HTTP {response.status_code}")


def _save(delivery, started):
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.created_at = timezone.now()
    delivery.save()
