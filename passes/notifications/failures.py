"""What a delivery can come to short of success: the failures every channel and provider
client raises (``channels``, the WeChat account in ``wechat``), and the wait until a provider's
daily limit resets. Their own module, below both, so the account client and the channels do not
import each other.
"""

import datetime

from django.utils import timezone


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


def seconds_until_tomorrow(now=None) -> int:
    """Until just after local midnight, when a provider's daily limit starts again."""
    now = timezone.localtime(now)
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=0, minute=1, second=0)
    return int((tomorrow - now).total_seconds())
