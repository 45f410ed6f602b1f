"""Delivery channels: e-mail, SMS (a gateway, Alibaba Cloud, Tencent Cloud), webhooks, WeChat
template messages and group robots (WeCom, DingTalk, Feishu).

Each channel's ``send(notification)`` either returns normally (delivered), raises
``TemporaryFailure`` (try again later), ``RateLimited`` (try again after ``retry_after``
seconds; the try is not counted against the attempts), ``PermanentFailure`` (retrying cannot
help this message) or ``ConfigurationFailure`` (no message can go until an officer fixes the
settings or a template, then retries). ``kind`` is what the outbox records for officers.
"""


class DeliveryFailure(Exception):
    permanent = False
    kind = "retry"
    retry_after: float | None = None


class TemporaryFailure(DeliveryFailure):
    pass


class RateLimited(TemporaryFailure):
    """The provider (or our own count of its limit) says: not now. Waits, never dies of it."""

    kind = "rate_limited"

    def __init__(self, message, retry_after: float = 60):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(DeliveryFailure):
    permanent = True
    kind = "give_up"


class ConfigurationFailure(PermanentFailure):
    kind = "configuration"


def channel_for(name: str):
    from . import email, robots, sms, webhook, wechat

    return {
        "email": email,
        "sms": sms,
        "webhook": webhook,
        "wechat": wechat,
        "robot": robots,
    }[name]
