"""Delivery channels: e-mail, SMS (a gateway, Alibaba Cloud, Tencent Cloud), webhooks, WeChat
template messages and group robots (WeCom, DingTalk, Feishu).

Each channel's ``send(notification)`` either returns normally (delivered), raises
``TemporaryFailure`` (try again later), ``RateLimited`` (try again after ``retry_after``
seconds; the try is not counted against the attempts), ``PermanentFailure`` (retrying cannot
help this message) or ``ConfigurationFailure`` (no message can go until an officer fixes the
settings or a template, then retries). ``kind`` is what the outbox records for officers.
"""

# The failures live below the channels (``notifications.failures``) so that the WeChat account
# client raises them without importing the channels; every channel names them from here.
from ..failures import (
    ConfigurationFailure,
    DeliveryFailure,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
)

__all__ = [
    "ConfigurationFailure",
    "DeliveryFailure",
    "PermanentFailure",
    "RateLimited",
    "TemporaryFailure",
    "channel_for",
]


def channel_for(name: str):
    from . import email, robots, sms, webhook, wechat

    return {
        "email": email,
        "sms": sms,
        "webhook": webhook,
        "wechat": wechat,
        "robot": robots,
    }[name]
