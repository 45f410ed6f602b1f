"""Delivery channels: e-mail, SMS and webhooks.

Each channel's ``send(notification)`` either returns normally (delivered), raises
``TemporaryFailure`` (try again later) or ``PermanentFailure`` (retrying cannot help).
"""


class DeliveryFailure(Exception):
    permanent = False


class TemporaryFailure(DeliveryFailure):
    pass


class PermanentFailure(DeliveryFailure):
    permanent = True


def channel_for(name: str):
    from . import email, sms, webhook

    return {"email": email, "sms": sms, "webhook": webhook}[name]
