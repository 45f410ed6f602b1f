"""SMS through a small backend interface.

``PASSDESK_SMS_BACKEND`` names the backend: ``logging`` (default) writes messages to the log;
``gateway`` POSTs JSON to a gateway configured by ``PASSDESK_SMS_GATEWAY_URL``,
``PASSDESK_SMS_GATEWAY_TOKEN`` and ``PASSDESK_SMS_GATEWAY_TEMPLATE`` (a JSON object whose string
values may contain ``{phone}`` and ``{text}``); ``alibaba`` and ``tencent`` send the providers'
approved templates through their SDKs (``sms_providers``). A dotted class path works too.
Free-text backends send the rendered text; template backends the row's ``template``.
"""

import json
import logging

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from . import PermanentFailure, TemporaryFailure

logger = logging.getLogger("passes.sms")

# One SMS segment in UCS-2, the encoding any Chinese text needs.
MAX_LENGTH = 70
DEFAULT_TEMPLATE = '{"mobile": "{phone}", "content": "{text}"}'


def fit(text: str, limit: int = MAX_LENGTH) -> str:
    """Collapse whitespace and cut to one segment (the templates are written to fit)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError

    def send_notification(self, notification) -> str:
        """Send one outbox row; returns the provider's message id, if it gives one."""
        self.send(notification.address, fit(notification.body_text))
        return ""


class LoggingSmsBackend(SmsBackend):
    """Writes the message to the ``passes.sms`` log; the default for the demo and tests."""

    sent: list = []  # the last messages, for the demo and tests (bounded)

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)
        LoggingSmsBackend.sent = [*LoggingSmsBackend.sent[-99:], (phone, text)]


class HttpGatewaySmsBackend(SmsBackend):
    def __init__(self):
        self.url = settings.PASSDESK_SMS_GATEWAY_URL
        self.token = settings.PASSDESK_SMS_GATEWAY_TOKEN
        self.template = json.loads(settings.PASSDESK_SMS_GATEWAY_TEMPLATE or DEFAULT_TEMPLATE)
        self.timeout = settings.PASSDESK_SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise PermanentFailure("PASSDESK_SMS_GATEWAY_URL is not set.")

    def payload(self, phone, text):
        def fill(value):
            if isinstance(value, str):
                return value.replace("{phone}", phone).replace("{text}", text)
            if isinstance(value, dict):
                return {key: fill(item) for key, item in value.items()}
            if isinstance(value, list):
                return [fill(item) for item in value]
            return value

        return fill(self.template)

    def send(self, phone, text):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.post(
                self.url,
                json=self.payload(phone, text),
                headers=headers,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"SMS gateway: {type(error).__name__}: {error}") from error
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise TemporaryFailure(f"SMS gateway: HTTP {response.status_code}")
        if response.status_code >= 300:
            raise PermanentFailure(
                f"SMS gateway refused: HTTP {response.status_code} {response.text[:200]}"
            )


BACKENDS = {
    "logging": "passes.notifications.channels.sms.LoggingSmsBackend",
    "gateway": "passes.notifications.channels.sms.HttpGatewaySmsBackend",
    "alibaba": "passes.notifications.channels.sms_providers.AlibabaSmsBackend",
    "tencent": "passes.notifications.channels.sms_providers.TencentSmsBackend",
}


def get_backend() -> SmsBackend:
    path = settings.PASSDESK_SMS_BACKEND or "logging"
    return import_string(BACKENDS.get(path, path))()


def send(notification) -> None:
    from ...models import Notification

    reference = get_backend().send_notification(notification)
    if reference:
        Notification.objects.filter(pk=notification.pk).update(provider_ref=reference[:100])
