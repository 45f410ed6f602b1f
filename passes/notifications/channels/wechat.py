"""WeChat template messages to people (and drivers) who bound their WeChat to passdesk.

The row's ``address`` is the openid, its ``template`` the kind and parameters; the template id
and its field names are the officer's ``MessageTemplate`` for WeChat. The token, the call and
WeChat's error codes are ``notifications.wechat``'s.
"""

from . import ConfigurationFailure


def send(notification) -> None:
    from ...models import MessageTemplate, Notification
    from .. import wechat

    payload = notification.template or {}
    kind = payload.get("kind")
    template = MessageTemplate.objects.filter(
        provider=MessageTemplate.Provider.WECHAT, kind=kind, is_active=True
    ).first()
    if template is None:
        raise ConfigurationFailure(
            f"No active WeChat template is registered for '{kind}': add its template ID and "
            "field names under Message templates, then retry."
        )
    msgid = wechat.send_template(
        notification.address, template, payload.get("params") or {}, payload.get("url", "")
    )
    if msgid:
        Notification.objects.filter(pk=notification.pk).update(provider_ref=msgid[:100])
