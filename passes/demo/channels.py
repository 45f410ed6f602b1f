"""The demo's channels: the provider fakes (``fakes``) started inside the demo process and every
channel pointed at them, so announcements and notices really travel (SMS through the Alibaba
Cloud SDK, WeChat template messages, WeCom/DingTalk/Feishu robots) and the fakes' page shows
what arrived. Only ``manage.py demo`` (when it serves) calls this: it sets process settings."""

from django.conf import settings

from ..models import ChatRobot, MessageTemplate
from ..notifications import kinds
from .fakes import FakeProviders

ROBOTS = (
    ("wecom", "演示 · 物流企业一群（企业微信）", False),
    ("dingtalk", "演示 · 审批科工作群（钉钉）", True),
    ("feishu", "演示 · 物流企业二群（飞书）", False),
)


def start(port: int = 0) -> FakeProviders:
    fakes = FakeProviders(port)
    configure(fakes)
    return fakes


def configure(fakes: FakeProviders, target=settings) -> None:
    """Point the SMS, WeChat and robot settings at ``fakes``; record a template for every kind
    (on both sides) and one robot per platform."""
    values = {
        "PASSDESK_SMS_BACKEND": "alibaba",
        "PASSDESK_SMS_ACCESS_KEY_ID": "LTAI-fake-id",
        "PASSDESK_SMS_ACCESS_KEY_SECRET": fakes.state.alibaba_keys["LTAI-fake-id"],
        "PASSDESK_SMS_SIGN_NAME": "通行证",
        "PASSDESK_SMS_ENDPOINT": fakes.host,
        "PASSDESK_SMS_PROTOCOL": "http",
        "PASSDESK_WECHAT_APP_ID": "wx-fake-app",
        "PASSDESK_WECHAT_APP_SECRET": fakes.state.wechat_apps["wx-fake-app"],
        "PASSDESK_WECHAT_API_BASE": fakes.base_url,
        "PASSDESK_WECHAT_OAUTH_BASE": fakes.base_url,
        "PASSDESK_WECOM_ROBOT_HOSTS": ["127.0.0.1"],
        "PASSDESK_DINGTALK_ROBOT_HOSTS": ["127.0.0.1"],
        "PASSDESK_FEISHU_ROBOT_HOSTS": ["127.0.0.1"],
        "PASSDESK_ROBOT_ALLOW_PRIVATE": True,
        "PASSDESK_ROBOT_REQUIRE_HTTPS": False,
    }
    for name, value in values.items():
        setattr(target, name, value)
    for number, kind in enumerate(kinds.KINDS.values(), start=1):
        code = f"SMS_9{number:05d}"
        MessageTemplate.objects.update_or_create(
            provider="alibaba", kind=kind.name, defaults={"template_code": code}
        )
        fakes.state.alibaba_templates[code] = list(kind.params)
        field_map = {f"keyword{i}": param for i, param in enumerate(kind.params, start=1)}
        MessageTemplate.objects.update_or_create(
            provider="wechat",
            kind=kind.name,
            defaults={"template_code": f"TPL_{kind.name.upper()}", "field_map": field_map},
        )
        fakes.state.wechat_templates[f"TPL_{kind.name.upper()}"] = list(field_map)
    for platform, name, staff in ROBOTS:
        url, secret = fakes.add_robot(platform)
        ChatRobot.objects.update_or_create(
            name=name,
            defaults={
                "platform": platform,
                "webhook_url": url,
                "secret": secret if platform != "wecom" else "",
                "post_announcements": not staff,
                "post_passes_issued": staff,
                "is_active": True,
            },
        )
