"""Registering and managing an enterprise's webhook endpoints (owners only, audited)."""

from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, roles
from ..models import WebhookDelivery, WebhookEndpoint
from ..models.notifications import new_webhook_secret
from .channels.netguard import UnsafeURL, check_url

MAX_ENDPOINTS = 5


class WebhookError(Exception):
    def __init__(self, message, code="webhook_error"):
        super().__init__(message)
        self.message = message
        self.code = code


def _require_owner(user, enterprise):
    if not roles.is_owner(user, enterprise):
        raise WebhookError(
            _("Only the owners of %(enterprise)s can manage its webhooks.")
            % {"enterprise": enterprise},
            code="not_allowed",
        )


def endpoints_for(enterprise):
    return WebhookEndpoint.objects.filter(enterprise=enterprise)


def recent_deliveries(endpoint, limit=50):
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("notification")[:limit]


def create_endpoint(enterprise, *, url, by, description="") -> WebhookEndpoint:
    """Vet the URL (HTTPS, public addresses only: SSRF) and register it with a new secret."""
    _require_owner(by, enterprise)
    try:
        check_url(url)
    except UnsafeURL as error:
        raise WebhookError(error.message, code="unsafe_url") from error
    with transaction.atomic():
        if endpoints_for(enterprise).count() >= MAX_ENDPOINTS:
            raise WebhookError(
                _("An enterprise can register at most %(count)d webhook endpoints.")
                % {"count": MAX_ENDPOINTS},
                code="too_many_endpoints",
            )
        endpoint = WebhookEndpoint.objects.create(
            enterprise=enterprise, url=url.strip(), description=description, created_by=by
        )
        audit.record("webhook.create", actor=by, enterprise=enterprise, data={"url": endpoint.url})
    return endpoint


def rotate_secret(endpoint, *, by) -> WebhookEndpoint:
    _require_owner(by, endpoint.enterprise)
    with transaction.atomic():
        endpoint.secret = new_webhook_secret()
        endpoint.save(update_fields=["secret"])
        audit.record(
            "webhook.rotate_secret",
            actor=by,
            enterprise=endpoint.enterprise,
            data={"url": endpoint.url},
        )
    return endpoint


def set_active(endpoint, *, active: bool, by) -> WebhookEndpoint:
    _require_owner(by, endpoint.enterprise)
    with transaction.atomic():
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
        audit.record(
            "webhook.enable" if active else "webhook.disable",
            actor=by,
            enterprise=endpoint.enterprise,
            data={"url": endpoint.url},
        )
    return endpoint


def delete_endpoint(endpoint, *, by) -> None:
    _require_owner(by, endpoint.enterprise)
    with transaction.atomic():
        audit.record(
            "webhook.delete",
            actor=by,
            enterprise=endpoint.enterprise,
            data={"url": endpoint.url},
        )
        endpoint.delete()
