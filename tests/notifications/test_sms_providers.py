"""SMS through Alibaba Cloud's and Tencent Cloud's SDKs, against local fakes that check what the
SDK sends (its signature, the signature name, the template code, the parameters) and answer
with the providers' documented bodies: a pass-issued notice and an announcement each arrive as
the exact request; an outage or a rate limit loses nothing; a configuration problem stops and
says so."""

import datetime

import pytest
from django.utils import timezone

from passes.messaging import announcements
from passes.models import Announcement, MessageTemplate, Notification
from passes.notifications import kinds, outbox
from passes.notifications.channels import sms_providers
from tests.factories.notifications import PreferenceFactory, approved_request

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def sms_rows(**filters):
    return Notification.objects.filter(channel="sms", **filters)


def register(fakes, provider, kind, code):
    """The officer's record of an approved template, and the provider's side of it."""
    MessageTemplate.objects.create(provider=provider, kind=kind, template_code=code)
    params = list(kinds.KINDS[kind].params)
    if provider == "alibaba":
        fakes.state.alibaba_templates[code] = params
    else:
        fakes.state.tencent_templates[code] = len(params)


def approve_with_sms(applicant, reviewer, capture):
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    with capture(execute=True):
        pass_request, passes = approved_request(applicant, reviewer)
    return pass_request, passes


def publish(officer, capture, title="复工复产通行证办理指引"):
    with capture(execute=True):
        return announcements.publish(
            Announcement(title=title, body="请按指引准备材料。"), by=officer
        )


def make_due(row):
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


# --- Alibaba Cloud ------------------------------------------------------------------------------


def test_alibaba_pass_issued_notice_is_the_exact_signed_request(
    alibaba_sms, applicant, reviewer, django_capture_on_commit_callbacks
):
    register(alibaba_sms, "alibaba", "request_approved", "SMS_100001")
    pass_request, _passes = approve_with_sms(
        applicant, reviewer, django_capture_on_commit_callbacks
    )
    [sent] = [r for r in alibaba_sms.of("alibaba") if r.data["template_code"] == "SMS_100001"]
    assert sent.data == {
        "action": "SendSms",
        "phone": PHONE,
        "sign_name": "通行证",
        "template_code": "SMS_100001",
        "params": {"reference": pass_request.reference, "count": "1"},
        "signature_verified": True,
    }
    assert sent.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI-fake-id,")
    row = sms_rows(event="request.approved").get()
    assert row.status == Notification.Status.SENT
    assert row.provider_ref == sent.answer["BizId"]
    # The submission's receipt has no template registered: nothing went out, and it says so.
    receipt = sms_rows(event="request.submitted").get()
    assert receipt.status == Notification.Status.DEAD
    assert receipt.failure == Notification.Failure.CONFIGURATION
    assert "request_submitted" in receipt.last_error
    assert not [r for r in alibaba_sms.of("alibaba") if r.data["template_code"] != "SMS_100001"]


def test_alibaba_announcement(alibaba_sms, applicant, officer, django_capture_on_commit_callbacks):
    register(alibaba_sms, "alibaba", "announcement", "SMS_100002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    publish(officer, django_capture_on_commit_callbacks)
    [sent] = alibaba_sms.of("alibaba")
    assert sent.ok
    assert sent.data["template_code"] == "SMS_100002"
    assert sent.data["params"] == {"title": "复工复产通行证办理指引"}
    assert sent.data["signature_verified"] is True
    assert sms_rows(event="announcement.published").get().status == Notification.Status.SENT


def test_a_wrong_secret_fails_the_fakes_signature_check_and_asks_for_configuration(
    alibaba_sms, settings, applicant, officer, django_capture_on_commit_callbacks
):
    settings.PASSDESK_SMS_ACCESS_KEY_SECRET = "not-the-secret"
    register(alibaba_sms, "alibaba", "announcement", "SMS_100002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    publish(officer, django_capture_on_commit_callbacks)
    [refused] = alibaba_sms.of("alibaba")
    assert refused.status == 400
    assert refused.answer["Code"] == "SignatureDoesNotMatch"
    row = sms_rows().get()
    assert row.status == Notification.Status.DEAD
    assert row.failure == Notification.Failure.CONFIGURATION
    assert "SignatureDoesNotMatch" in row.last_error


def test_an_outage_is_retried_and_nothing_is_lost(
    alibaba_sms, applicant, officer, django_capture_on_commit_callbacks
):
    register(alibaba_sms, "alibaba", "announcement", "SMS_100002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    alibaba_sms.script(
        "alibaba",
        (503, {"Code": "ServiceUnavailable", "Message": "temporary failure", "RequestId": "x"}),
    )
    publish(officer, django_capture_on_commit_callbacks)
    row = sms_rows().get()
    assert row.status == Notification.Status.FAILED
    assert row.failure == Notification.Failure.RETRY
    assert row.attempts == 1
    make_due(row)
    assert outbox.deliver(row.pk) == "sent"
    assert [r.ok for r in alibaba_sms.of("alibaba")] == [False, True]


def test_unreachable_provider_is_retried(
    alibaba_sms, settings, applicant, officer, django_capture_on_commit_callbacks
):
    register(alibaba_sms, "alibaba", "announcement", "SMS_100002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    settings.PASSDESK_SMS_ENDPOINT = "127.0.0.1:9"  # nothing listens
    publish(officer, django_capture_on_commit_callbacks)
    row = sms_rows().get()
    assert (row.status, row.failure) == (Notification.Status.FAILED, "retry")
    settings.PASSDESK_SMS_ENDPOINT = alibaba_sms.host
    make_due(row)
    assert outbox.deliver(row.pk) == "sent"


def test_a_rate_limit_waits_without_spending_attempts(
    alibaba_sms, settings, applicant, officer, django_capture_on_commit_callbacks
):
    settings.PASSDESK_NOTIFY_MAX_ATTEMPTS = 1  # a counted failure would be the last
    register(alibaba_sms, "alibaba", "announcement", "SMS_100002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    limited = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"}
    alibaba_sms.script("alibaba", (200, limited), (200, limited))
    before = timezone.now()
    publish(officer, django_capture_on_commit_callbacks)
    row = sms_rows().get()
    assert row.status == Notification.Status.FAILED
    assert row.failure == Notification.Failure.RATE_LIMITED
    assert row.attempts == 0
    assert row.next_attempt_at >= before + datetime.timedelta(seconds=59)
    make_due(row)
    assert outbox.deliver(row.pk) == "retry"  # still limited: waits again, not dead
    make_due(row)
    assert outbox.deliver(row.pk) == "sent"
    assert [r.ok for r in alibaba_sms.of("alibaba")] == [False, False, True]


def test_an_unapproved_template_stops_until_the_officer_fixes_it_and_retries(
    alibaba_sms, applicant, officer, django_capture_on_commit_callbacks
):
    MessageTemplate.objects.create(
        provider="alibaba", kind="announcement", template_code="SMS_TYPO"
    )
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    publish(officer, django_capture_on_commit_callbacks)
    row = sms_rows().get()
    assert (row.status, row.failure) == ("dead", "configuration")
    assert "isv.SMS_TEMPLATE_ILLEGAL" in row.last_error
    MessageTemplate.objects.filter(kind="announcement").update(template_code="SMS_100002")
    alibaba_sms.state.alibaba_templates["SMS_100002"] = ["title"]
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry([row.pk]) == 1
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.failure == ""


# --- Tencent Cloud ------------------------------------------------------------------------------


def test_tencent_pass_issued_notice_is_the_exact_signed_request(
    tencent_sms, applicant, reviewer, django_capture_on_commit_callbacks
):
    register(tencent_sms, "tencent", "request_approved", "2001001")
    pass_request, _passes = approve_with_sms(
        applicant, reviewer, django_capture_on_commit_callbacks
    )
    [sent] = [r for r in tencent_sms.of("tencent") if r.data.get("TemplateId") == "2001001"]
    assert sent.data == {
        "PhoneNumberSet": [f"+86{PHONE}"],
        "SmsSdkAppId": "1400000001",
        "SignName": "通行证",
        "TemplateId": "2001001",
        "TemplateParamSet": [pass_request.reference, "1"],
        "signature_verified": True,
    }
    assert sent.headers["x-tc-action"] == "SendSms"
    assert sent.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKID-fake-id/")
    row = sms_rows(event="request.approved").get()
    assert row.status == Notification.Status.SENT
    assert row.provider_ref == sent.answer["Response"]["SendStatusSet"][0]["SerialNo"]


def test_tencent_announcement_and_its_daily_limit(
    tencent_sms, settings, applicant, officer, django_capture_on_commit_callbacks
):
    settings.PASSDESK_NOTIFY_MAX_ATTEMPTS = 1
    register(tencent_sms, "tencent", "announcement", "2001002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    daily = {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "",
                    "PhoneNumber": f"+86{PHONE}",
                    "Fee": 0,
                    "SessionContext": "",
                    "Code": "LimitExceeded.PhoneNumberDailyLimit",
                    "Message": "the number of sms messages sent from a single mobile number "
                    "every day exceeds the upper limit",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "r",
        }
    }
    tencent_sms.script("tencent", (200, daily))
    publish(officer, django_capture_on_commit_callbacks)
    row = sms_rows().get()
    assert (row.status, row.failure, row.attempts) == ("failed", "rate_limited", 0)
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    assert timezone.localtime(row.next_attempt_at).date() == tomorrow.date()
    make_due(row)
    assert outbox.deliver(row.pk) == "sent"
    last = tencent_sms.of("tencent")[-1]
    assert last.data["TemplateParamSet"] == ["复工复产通行证办理指引"]
    assert last.data["signature_verified"] is True


def test_tencent_wrong_key_fails_the_tc3_check(
    tencent_sms, settings, applicant, officer, django_capture_on_commit_callbacks
):
    settings.PASSDESK_SMS_ACCESS_KEY_SECRET = "wrong"
    register(tencent_sms, "tencent", "announcement", "2001002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    publish(officer, django_capture_on_commit_callbacks)
    [refused] = tencent_sms.of("tencent")
    assert refused.answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    row = sms_rows().get()
    assert (row.status, row.failure) == ("dead", "configuration")


def test_tencent_outage_then_success(
    tencent_sms, applicant, officer, django_capture_on_commit_callbacks
):
    register(tencent_sms, "tencent", "announcement", "2001002")
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone=PHONE)
    tencent_sms.script("tencent", (502, {"message": "bad gateway"}))
    publish(officer, django_capture_on_commit_callbacks)
    row = sms_rows().get()
    assert (row.status, row.failure) == ("failed", "retry")
    make_due(row)
    assert outbox.deliver(row.pk) == "sent"


# --- The driver's e-pass link: a phone number, no member needed -----------------------------------


@pytest.mark.parametrize("provider", ["alibaba", "tencent"])
def test_a_driver_epass_link_goes_to_a_bare_phone_number(provider, request, fakes):
    request.getfixturevalue(f"{provider}_sms")
    register(
        fakes, provider, "driver_epass_link", "SMS_300001" if provider == "alibaba" else "3001"
    )
    link = "https://pass.example.gov.cn/d/" + "x" * 40  # longer than a variable's cut
    template = kinds.template_payload(
        "driver_epass_link", {"plate": "湘B12345", "number": "430200000123", "link": link}
    )
    [pk] = outbox.store(
        [
            Notification(
                event="driver.epass",
                object_id=1,
                address="13800001111",
                channel="sms",
                body_text="湘B12345的电子通行证430200000123已签发",
                template=template,
                idempotency_key="driver.epass:1:test",
            )
        ]
    )
    assert outbox.deliver(pk) == "sent"
    [sent] = fakes.of(provider)
    if provider == "alibaba":
        assert sent.data["params"] == {"plate": "湘B12345", "number": "430200000123", "link": link}
        assert sent.data["phone"] == "13800001111"
    else:
        assert sent.data["TemplateParamSet"] == ["湘B12345", "430200000123", link]
        assert sent.data["PhoneNumberSet"] == ["+8613800001111"]


# --- The answer-code table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "code", "message", "expected"),
    [
        ("alibaba", "isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", 3600),
        ("alibaba", "isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", "day"),
        ("alibaba", "isv.MOBILE_NUMBER_ILLEGAL", "", "give_up"),
        ("alibaba", "isv.AMOUNT_NOT_ENOUGH", "", "configuration"),
        ("alibaba", "InvalidAccessKeyId.NotFound", "", "configuration"),
        ("alibaba", "Throttling.User", "", 10),
        ("alibaba", "isp.SYSTEM_ERROR", "", "retry"),
        ("alibaba", "SomethingNew", "", "retry"),
        ("tencent", "LimitExceeded.PhoneNumberThirtySecondLimit", "", 30),
        ("tencent", "LimitExceeded.SomeOtherLimit", "", 60),
        ("tencent", "AuthFailure.SecretIdNotFound", "", "configuration"),
        ("tencent", "FailedOperation.PhoneNumberInBlacklist", "", "give_up"),
        ("tencent", "InternalError.Timeout", "", "retry"),
        ("tencent", "InternalError.RequestTimeException", "", "configuration"),
    ],
)
def test_answer_codes_map_to_what_the_outbox_does(provider, code, message, expected):
    assert sms_providers.outcome(provider, code, message) == expected


def test_free_text_is_refused_by_template_providers(alibaba_sms):
    from passes.notifications.channels import ConfigurationFailure

    with pytest.raises(ConfigurationFailure):
        sms_providers.AlibabaSmsBackend().send(PHONE, "free text")
