"""Group robots (WeCom, DingTalk, Feishu) against local fakes that check each platform's body,
signature, size and rate limit: an announcement and a pass-issued notice arrive as the exact
request; the robots' limits make posts wait, never lost; the SSRF guard allows exactly the
configured hosts."""

import json

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from passes.messaging import announcements
from passes.models import Announcement, ChatRobot, Notification
from passes.notifications import outbox
from passes.notifications import robots as robot_services
from passes.notifications.channels import robots
from tests.factories.notifications import approved_request

pytestmark = pytest.mark.django_db


def robot(fakes, platform, **kwargs):
    url, secret = fakes.add_robot(platform)
    return ChatRobot.objects.create(
        name=f"{platform} group",
        platform=platform,
        webhook_url=url,
        secret=secret if platform != "wecom" else "",
        **kwargs,
    )


def publish(officer, capture, chosen, title="通行证办理指引", body="请按指引准备材料。"):
    with capture(execute=True):
        announcement = announcements.publish(Announcement(title=title, body=body), by=officer)
        announcement.robots.set(chosen)
    return announcement


def link_text(message):
    with translation.override(settings.LANGUAGE_CODE):
        return _(message)


def robot_rows(**filters):
    return Notification.objects.filter(channel="robot", **filters)


def test_an_announcement_reaches_all_three_platforms_as_their_exact_requests(
    robot_hosts, officer, django_capture_on_commit_callbacks
):
    fakes = robot_hosts
    wecom, dingtalk, feishu = (robot(fakes, p) for p in ("wecom", "dingtalk", "feishu"))
    announcement = publish(officer, django_capture_on_commit_callbacks, [wecom, dingtalk, feishu])
    url = announcements.detail_url(announcement)
    markdown = (
        f"**通行证办理指引**\n\n请按指引准备材料。\n\n"
        f"[{link_text('Read the announcement in passdesk')}]({url})"
    )
    [to_wecom] = fakes.of("wecom")
    assert json.loads(to_wecom.body) == {"msgtype": "markdown", "markdown": {"content": markdown}}
    assert to_wecom.path == urlsplit_path(wecom.webhook_url)

    [to_dingtalk] = fakes.of("dingtalk")
    assert json.loads(to_dingtalk.body) == {
        "msgtype": "markdown",
        "markdown": {"title": "通行证办理指引", "text": markdown},
    }
    assert to_dingtalk.data["signature_verified"] is True
    assert set(to_dingtalk.data["_query"]) == {"access_token", "timestamp", "sign"}

    [to_feishu] = fakes.of("feishu")
    body = json.loads(to_feishu.body)
    assert body.pop("timestamp") and body.pop("sign")
    assert body == {
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": "通行证办理指引"}},
            "elements": [{"tag": "markdown", "content": markdown}],
        },
    }
    assert to_feishu.data["signature_verified"] is True
    assert set(robot_rows().values_list("status", flat=True)) == {"sent"}


def urlsplit_path(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_pass_issued_notice_goes_to_the_office_staff_group_only(
    robot_hosts, applicant, reviewer, django_capture_on_commit_callbacks
):
    fakes = robot_hosts
    staff_group = robot(fakes, "dingtalk", post_passes_issued=True)
    robot(fakes, "wecom")  # an enterprises' group: announcements only
    with django_capture_on_commit_callbacks(execute=True):
        pass_request, passes = approved_request(applicant, reviewer)
    [posted] = fakes.of("dingtalk")
    assert posted.ok and posted.data["signature_verified"]
    text = posted.data["markdown"]["text"]
    issued = passes[0]
    until = timezone.localtime(issued.valid_until).strftime("%Y-%m-%d %H:%M")
    assert f"- {issued.number} · {issued.plate} · {until}" in text
    assert pass_request.reference in posted.data["markdown"]["title"]
    assert pass_request.enterprise.name in text
    assert fakes.of("wecom") == []
    assert robot_rows().get().chat_robot == staff_group


def test_wecom_markdown_is_cut_to_4096_bytes_keeping_the_link(
    robot_hosts, officer, django_capture_on_commit_callbacks
):
    wecom = robot(robot_hosts, "wecom")
    announcement = publish(
        officer, django_capture_on_commit_callbacks, [wecom], body="通行证" * 3000
    )
    [posted] = robot_hosts.of("wecom")
    content = posted.data["markdown"]["content"]
    assert posted.ok
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith(f"({announcements.detail_url(announcement)})")
    assert "…" in content


def test_our_count_keeps_a_robot_under_its_limit_and_the_rest_wait(
    robot_hosts, officer, django_capture_on_commit_callbacks
):
    wecom = robot(robot_hosts, "wecom")
    for number in range(23):
        publish(officer, django_capture_on_commit_callbacks, [wecom], title=f"公告 {number}")
    assert len(robot_hosts.of("wecom")) == 20  # the fake never had to refuse one
    assert all(item.ok for item in robot_hosts.of("wecom"))
    waiting = robot_rows(status="failed")
    assert waiting.count() == 3
    assert set(waiting.values_list("failure", "attempts")) == {("rate_limited", 0)}


def test_the_platforms_own_rate_limit_answer_waits(
    robot_hosts, officer, django_capture_on_commit_callbacks
):
    dingtalk = robot(robot_hosts, "dingtalk")
    robot_hosts.script(
        "dingtalk", (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times"})
    )
    publish(officer, django_capture_on_commit_callbacks, [dingtalk])
    row = robot_rows().get()
    assert (row.status, row.failure, row.attempts) == ("failed", "rate_limited", 0)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(row.pk) == "sent"


def test_a_wrong_signing_secret_asks_for_configuration(
    robot_hosts, officer, django_capture_on_commit_callbacks
):
    feishu = robot(robot_hosts, "feishu")
    ChatRobot.objects.filter(pk=feishu.pk).update(secret="not-the-secret")
    publish(officer, django_capture_on_commit_callbacks, [feishu])
    row = robot_rows().get()
    assert (row.status, row.failure) == ("dead", "configuration")
    assert "19021" in row.last_error


def test_an_outage_is_retried(robot_hosts, officer, django_capture_on_commit_callbacks):
    wecom = robot(robot_hosts, "wecom")
    robot_hosts.script("wecom", (502, {"errmsg": "bad gateway"}))
    publish(officer, django_capture_on_commit_callbacks, [wecom])
    row = robot_rows().get()
    assert (row.status, row.failure) == ("failed", "retry")
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(row.pk) == "sent"


# --- The SSRF guard: exactly the configured hosts -------------------------------------------------


def test_only_the_platforms_hosts_are_allowed(settings, monkeypatch):
    from passes.notifications.channels import netguard

    settings.PASSDESK_WECOM_ROBOT_HOSTS = ["qyapi.weixin.qq.com"]
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: ["101.91.22.57"])
    good = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert robots.check_robot_url(good, "wecom").host == "qyapi.weixin.qq.com"
    for bad in (
        "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abc",
        "https://evil.example/cgi-bin/webhook/send?key=abc",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",  # not HTTPS
        "https://qyapi.weixin.qq.com/cgi-bin/other?key=abc",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",  # no key
    ):
        with pytest.raises(netguard.UnsafeURL):
            robots.check_robot_url(bad, "wecom")
    # A DingTalk URL is not a WeCom robot's.
    with pytest.raises(netguard.UnsafeURL):
        robots.check_robot_url("https://oapi.dingtalk.com/robot/send?access_token=x", "wecom")


def test_an_allowed_name_resolving_to_a_private_address_is_refused(settings):
    settings.PASSDESK_WECOM_ROBOT_HOSTS = ["localhost"]
    settings.PASSDESK_ROBOT_REQUIRE_HTTPS = False
    problem = robot_services.vet("wecom", "http://localhost/cgi-bin/webhook/send?key=abc")
    assert problem is not None and ("127.0.0.1" in problem or "::1" in problem)


def test_a_robot_whose_host_is_no_longer_allowed_stops_at_delivery(
    robot_hosts, settings, officer, django_capture_on_commit_callbacks
):
    wecom = robot(robot_hosts, "wecom")
    settings.PASSDESK_WECOM_ROBOT_HOSTS = ["qyapi.weixin.qq.com"]
    publish(officer, django_capture_on_commit_callbacks, [wecom])
    row = robot_rows().get()
    assert (row.status, row.failure) == ("dead", "configuration")
    assert robot_hosts.of("wecom") == []


def test_signatures_match_the_platforms_documented_examples():
    import base64
    import hashlib
    import hmac

    secret = "SEC0123456789abcdef"
    expected = base64.b64encode(
        hmac.new(secret.encode(), b"1700000000000\n" + secret.encode(), hashlib.sha256).digest()
    ).decode()
    assert robots.dingtalk_sign(secret, 1700000000000) == expected
    key = b"1700000000\n" + b"feishu-secret"
    assert (
        robots.feishu_sign("feishu-secret", 1700000000)
        == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    )


def test_officers_register_robots_in_the_admin_and_post_a_test_message(
    robot_hosts, officer, client, django_capture_on_commit_callbacks
):
    url, secret = robot_hosts.add_robot("dingtalk")
    client.force_login(officer)
    response = client.post(
        "/admin/passes/chatrobot/add/",
        {
            "name": "物流企业群",
            "platform": "dingtalk",
            "webhook_url": url,
            "secret": secret,
            "post_announcements": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    saved = ChatRobot.objects.get()
    refused = client.post(
        "/admin/passes/chatrobot/add/",
        {
            "name": "x",
            "platform": "wecom",
            "webhook_url": "https://evil.example/x",
            "is_active": "on",
        },
    )
    assert refused.status_code == 200 and ChatRobot.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/passes/chatrobot/",
            {"action": "post_test_message", "_selected_action": [saved.pk]},
        )
    [posted] = robot_hosts.of("dingtalk")
    assert posted.ok and posted.data["signature_verified"]
