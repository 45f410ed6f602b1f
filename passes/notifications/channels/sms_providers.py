"""SMS through the providers an office contracts: Alibaba Cloud (Dysmsapi) and Tencent Cloud
(SMS v20210111), with their official SDKs.

Both send only templates approved in their consoles, under a registered signature: free text
is refused. So these backends send ``notification.template`` (the kind and its parameters,
``notifications.kinds``) with the code an officer recorded for that kind (``MessageTemplate``),
and refuse a row without one as a configuration problem. The provider's answer decides what the
outbox does (``OUTCOMES``): retry later, wait out a rate limit, give this message up, or stop
and ask an officer to fix the configuration. ``PASSDESK_SMS_ENDPOINT`` and
``PASSDESK_SMS_PROTOCOL`` point the SDK elsewhere (a regional endpoint, a local fake).
"""

import json
import logging

from django.conf import settings

from ..failures import seconds_until_tomorrow
from . import ConfigurationFailure, PermanentFailure, RateLimited, TemporaryFailure
from .sms import SmsBackend

logger = logging.getLogger("passes.sms")

RETRY, GIVE_UP, CONFIGURATION = "retry", "give_up", "configuration"
MINUTE, HOUR, DAY = 60, 3600, "day"

# Provider code -> what to do: RETRY, GIVE_UP, CONFIGURATION, or a rate limit's wait in seconds
# (DAY: until just after midnight, when daily quotas reset). A code not listed is retried
# within the outbox's attempts. A code ending in "*" covers every code with that prefix.
ALIBABA_OUTCOMES = {
    "isv.BUSINESS_LIMIT_CONTROL": MINUTE,  # per-number limit; the message says which window
    "isv.DAY_LIMIT_CONTROL": DAY,
    "Throttling*": 10,
    "isv.MOBILE_NUMBER_ILLEGAL": GIVE_UP,
    "isv.MOBILE_COUNT_OVER_LIMIT": GIVE_UP,
    "isv.SMS_SIGNATURE_ILLEGAL": CONFIGURATION,
    "isv.SMS_SIGN_ILLEGAL": CONFIGURATION,
    "isv.SIGN_NAME_ILLEGAL": CONFIGURATION,
    "isv.SMS_TEMPLATE_ILLEGAL": CONFIGURATION,
    "isv.TEMPLATE_MISSING_PARAMETERS": CONFIGURATION,
    "isv.TEMPLATE_PARAMS_ILLEGAL": CONFIGURATION,
    "isv.PARAM_LENGTH_LIMIT": CONFIGURATION,
    "isv.INVALID_JSON_PARAM": CONFIGURATION,
    "isv.BLACK_KEY_CONTROL_LIMIT": CONFIGURATION,
    "isv.SMS_CONTENT_ILLEGAL": CONFIGURATION,
    "isv.OUT_OF_SERVICE": CONFIGURATION,
    "isv.AMOUNT_NOT_ENOUGH": CONFIGURATION,
    "isv.ACCOUNT_NOT_EXISTS": CONFIGURATION,
    "isv.ACCOUNT_ABNORMAL": CONFIGURATION,
    "isv.DENY_IP_RANGE": CONFIGURATION,
    "isp.RAM_PERMISSION_DENY": CONFIGURATION,
    "InvalidAccessKeyId*": CONFIGURATION,
    "SignatureDoesNotMatch": CONFIGURATION,
    "IncompleteSignature": CONFIGURATION,
    "Forbidden*": CONFIGURATION,
    "isp.SYSTEM_ERROR": RETRY,
    "isp.GATEWAY_ERROR": RETRY,
    "ServiceUnavailable": RETRY,
    "InternalError": RETRY,
}
TENCENT_OUTCOMES = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30,
    "LimitExceeded.PhoneNumberOneHourLimit": HOUR,
    "LimitExceeded.PhoneNumberDailyLimit": DAY,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": DAY,
    "LimitExceeded.DailyLimit": DAY,
    "LimitExceeded.AppDailyLimit": DAY,
    "LimitExceeded*": MINUTE,
    "RequestLimitExceeded*": 2,
    "InvalidParameterValue.IncorrectPhoneNumber": GIVE_UP,
    "FailedOperation.PhoneNumberInBlacklist": GIVE_UP,
    "FailedOperation.PhoneNumberParseFail": GIVE_UP,
    "UnsupportedOperation.UnsupportedRegion": GIVE_UP,
    "FailedOperation.SignatureIncorrectOrUnapproved": CONFIGURATION,
    "FailedOperation.TemplateIncorrectOrUnapproved": CONFIGURATION,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": CONFIGURATION,
    "FailedOperation.TemplateUnapprovedOrNotExist": CONFIGURATION,
    "FailedOperation.InsufficientBalanceInSmsPackage": CONFIGURATION,
    "FailedOperation.ContainSensitiveWord": CONFIGURATION,
    "InvalidParameterValue.TemplateParameterFormatError": CONFIGURATION,
    "InvalidParameterValue.TemplateParameterLengthLimit": CONFIGURATION,
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": CONFIGURATION,
    "InvalidParameterValue.SdkAppIdNotExist": CONFIGURATION,
    "UnauthorizedOperation*": CONFIGURATION,
    "AuthFailure*": CONFIGURATION,
    "InternalError.RequestTimeException": CONFIGURATION,  # our clock is >10 min off theirs
    "InternalError*": RETRY,
    "ClientNetworkError": RETRY,
    "ServerNetworkError": RETRY,
}
OUTCOMES = {"alibaba": ALIBABA_OUTCOMES, "tencent": TENCENT_OUTCOMES}
NAMES = {"alibaba": "Alibaba Cloud", "tencent": "Tencent Cloud"}


def outcome(provider: str, code: str, message: str = ""):
    """RETRY, GIVE_UP, CONFIGURATION or seconds to wait, for a provider's answer code."""
    table = OUTCOMES[provider]
    found = table.get(code)
    if found is None:
        prefixes = [key for key in table if key.endswith("*") and code.startswith(key[:-1])]
        found = table[max(prefixes, key=len)] if prefixes else RETRY
    if provider == "alibaba" and code == "isv.BUSINESS_LIMIT_CONTROL":
        # 触发分钟级流控 / 小时级 / 天级: the window that was hit.
        found = DAY if "天" in message else HOUR if "小时" in message else MINUTE
    return found


def fail(provider: str, code: str, message: str) -> None:
    """Raise the outbox's failure for a provider's answer."""
    what = outcome(provider, code, message)
    text = f"{NAMES[provider]} {code}: {message}"[:1000]
    if what == GIVE_UP:
        raise PermanentFailure(text)
    if what == CONFIGURATION:
        raise ConfigurationFailure(text)
    if what == RETRY:
        raise TemporaryFailure(text)
    wait = seconds_until_tomorrow() if what == DAY else what
    raise RateLimited(f"{text} (rate limited: waiting {wait} s)", retry_after=wait)


def _require(*names):
    missing = [name for name in names if not getattr(settings, name)]
    if missing:
        raise ConfigurationFailure(f"Set {', '.join(missing)} to send SMS through the provider.")


class TemplateSmsBackend(SmsBackend):
    """Sends a kind's approved template; never free text."""

    provider = ""

    def send(self, phone, text):
        raise ConfigurationFailure(
            f"{NAMES[self.provider]} sends approved templates only, not free text."
        )

    def send_notification(self, notification) -> str:
        from ...models import MessageTemplate

        payload = notification.template or {}
        kind = payload.get("kind")
        if not kind:
            raise ConfigurationFailure(
                "This message has no template kind; only the logging or gateway SMS backend "
                "can send it."
            )
        template = MessageTemplate.objects.filter(
            provider=self.provider, kind=kind, is_active=True
        ).first()
        if template is None:
            raise ConfigurationFailure(
                f"No active {NAMES[self.provider]} template is registered for '{kind}': add its "
                "template code under Message templates, then retry."
            )
        return self.send_template(notification.address, template, payload.get("params") or {})

    def send_template(self, phone: str, template, params: dict) -> str:
        raise NotImplementedError


class AlibabaSmsBackend(TemplateSmsBackend):
    """Alibaba Cloud SMS (``alibabacloud-dysmsapi20170525``): SendSms with the signature name,
    the template code and the parameters as a JSON object, signed ACS3-HMAC-SHA256."""

    provider = "alibaba"

    def client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        _require("PASSDESK_SMS_ACCESS_KEY_ID", "PASSDESK_SMS_ACCESS_KEY_SECRET")
        timeout_ms = int(settings.PASSDESK_SMS_TIMEOUT * 1000)
        return Client(
            Config(
                access_key_id=settings.PASSDESK_SMS_ACCESS_KEY_ID,
                access_key_secret=settings.PASSDESK_SMS_ACCESS_KEY_SECRET,
                region_id=settings.PASSDESK_SMS_REGION or "cn-hangzhou",
                endpoint=settings.PASSDESK_SMS_ENDPOINT or None,
                protocol=settings.PASSDESK_SMS_PROTOCOL,
                connect_timeout=timeout_ms,
                read_timeout=timeout_ms,
            )
        )

    def send_template(self, phone, template, params):
        from alibabacloud_dysmsapi20170525 import models
        from Tea.exceptions import TeaException

        _require("PASSDESK_SMS_SIGN_NAME")
        field_map = template.field_map or {}
        # field_map: {"provider's variable": "our parameter"}; unnamed parameters keep names.
        renamed = {ours: theirs for theirs, ours in field_map.items()}
        values = {renamed.get(name, name): value for name, value in params.items()}
        request = models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=settings.PASSDESK_SMS_SIGN_NAME,
            template_code=template.template_code,
            template_param=json.dumps(values, ensure_ascii=False) if values else None,
        )
        try:
            response = self.client().send_sms(request)
        except TeaException as error:
            code, data = getattr(error, "code", None), getattr(error, "data", None)
            if not code or not isinstance(data, dict) or "statusCode" not in data:
                # No answer at all (refused, timed out): the SDK's UnretryableException.
                raise TemporaryFailure(f"Alibaba Cloud unreachable: {error}"[:1000]) from error
            fail(self.provider, str(code), str(data.get("Message") or error))
        body = response.body
        if body.code != "OK":
            fail(self.provider, body.code or "", body.message or "")
        return body.biz_id or ""


class TencentSmsBackend(TemplateSmsBackend):
    """Tencent Cloud SMS (``tencentcloud-sdk-python-sms``, API 2021-01-11): SendSms with the
    SDK app id, the signature, the template id and the parameters in the template's order,
    signed TC3-HMAC-SHA256."""

    provider = "tencent"

    def client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        _require("PASSDESK_SMS_ACCESS_KEY_ID", "PASSDESK_SMS_ACCESS_KEY_SECRET")
        http = HttpProfile(
            endpoint=settings.PASSDESK_SMS_ENDPOINT or None,
            protocol=settings.PASSDESK_SMS_PROTOCOL,
            reqTimeout=int(settings.PASSDESK_SMS_TIMEOUT),
        )
        return sms_client.SmsClient(
            credential.Credential(
                settings.PASSDESK_SMS_ACCESS_KEY_ID, settings.PASSDESK_SMS_ACCESS_KEY_SECRET
            ),
            settings.PASSDESK_SMS_REGION or "ap-guangzhou",
            ClientProfile(httpProfile=http),
        )

    def send_template(self, phone, template, params):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        from ..kinds import KINDS

        _require("PASSDESK_SMS_SIGN_NAME", "PASSDESK_SMS_SDK_APP_ID")
        # Tencent's variables are positional ({1}, {2}): the kind's order, unless the
        # template's field_map says {"1": "plate", "2": "number"}.
        order = list(KINDS[template.kind].params) if template.kind in KINDS else list(params)
        if template.field_map:
            order = [template.field_map[key] for key in sorted(template.field_map, key=int)]
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [phone if phone.startswith("+") else f"+86{phone}"]
        request.SmsSdkAppId = str(settings.PASSDESK_SMS_SDK_APP_ID)
        request.SignName = settings.PASSDESK_SMS_SIGN_NAME
        request.TemplateId = template.template_code
        request.TemplateParamSet = [str(params.get(name, "")) for name in order]
        try:
            response = self.client().SendSms(request)
        except TencentCloudSDKException as error:
            fail(self.provider, error.get_code() or "", error.get_message() or "")
        statuses = response.SendStatusSet or []
        if not statuses:
            raise TemporaryFailure("Tencent Cloud answered without a send status.")
        status = statuses[0]
        if status.Code != "Ok":
            fail(self.provider, status.Code or "", status.Message or "")
        return status.SerialNo or ""
