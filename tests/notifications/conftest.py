"""The provider fakes (``passes.demo.fakes``) on loopback, and the settings that point the
channels at them."""

import pytest

from passes.demo.fakes import FakeProviders


@pytest.fixture
def fakes():
    server = FakeProviders()
    yield server
    server.stop()


@pytest.fixture
def alibaba_sms(fakes, settings):
    settings.PASSDESK_SMS_BACKEND = "alibaba"
    settings.PASSDESK_SMS_ACCESS_KEY_ID = "LTAI-fake-id"
    settings.PASSDESK_SMS_ACCESS_KEY_SECRET = "fake-alibaba-secret"
    settings.PASSDESK_SMS_SIGN_NAME = "通行证"
    settings.PASSDESK_SMS_ENDPOINT = fakes.host
    settings.PASSDESK_SMS_PROTOCOL = "http"
    settings.PASSDESK_SMS_TIMEOUT = 5
    return fakes


@pytest.fixture
def tencent_sms(fakes, settings):
    settings.PASSDESK_SMS_BACKEND = "tencent"
    settings.PASSDESK_SMS_ACCESS_KEY_ID = "AKID-fake-id"
    settings.PASSDESK_SMS_ACCESS_KEY_SECRET = "fake-tencent-key"
    settings.PASSDESK_SMS_SIGN_NAME = "通行证"
    settings.PASSDESK_SMS_SDK_APP_ID = "1400000001"
    settings.PASSDESK_SMS_ENDPOINT = fakes.host
    settings.PASSDESK_SMS_PROTOCOL = "http"
    settings.PASSDESK_SMS_TIMEOUT = 5
    return fakes


@pytest.fixture
def wechat_account(fakes, settings):
    settings.PASSDESK_WECHAT_APP_ID = "wx-fake-app"
    settings.PASSDESK_WECHAT_APP_SECRET = "fake-wechat-secret"
    settings.PASSDESK_WECHAT_API_BASE = fakes.base_url
    settings.PASSDESK_WECHAT_OAUTH_BASE = fakes.base_url
    settings.PASSDESK_WECHAT_TIMEOUT = 5
    from django.core.cache import cache

    cache.delete("passdesk:wechat:token:wx-fake-app")
    return fakes


@pytest.fixture
def robot_hosts(fakes, settings):
    for platform in ("WECOM", "DINGTALK", "FEISHU"):
        setattr(settings, f"PASSDESK_{platform}_ROBOT_HOSTS", ["127.0.0.1"])
    settings.PASSDESK_ROBOT_ALLOW_PRIVATE = True
    settings.PASSDESK_ROBOT_REQUIRE_HTTPS = False
    return fakes
