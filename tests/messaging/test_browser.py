"""In real headless Chromium: an officer publishes an announcement with a PDF guide to key
enterprises; a key enterprise's member sees the banner and reads it, a non-key enterprise's
member does not; the key enterprise asks a question on its request, the reviewer answers from
the review page, and the enterprise is notified (an e-mail) and sees the answer."""

import os
import re

import pytest
from django.core import mail
from django.test import Client

from passes.models import Announcement, Notification, ReplyTemplate
from passes.requests import workflow
from tests import clock, factories, fixtures_files

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def session_cookie(live_server, user, settings):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]


def test_announcement_and_question_round_trip(
    live_server, officer, reviewer, settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from playwright.sync_api import expect, sync_playwright

    key = factories.EnterpriseFactory(name="株洲湘运物流有限公司", is_key_enterprise=True)
    plain = factories.EnterpriseFactory(name="醴陵小件快运有限公司")
    key_member = factories.MembershipFactory(enterprise=key).user
    plain_member = factories.MembershipFactory(enterprise=plain).user
    pass_request = factories.submittable_request(enterprise=key)
    workflow.submit(pass_request, by=key_member)
    ReplyTemplate.objects.create(title="审核时限", body="我们会在今天18点前完成审核。")
    guide = tmp_path / "物流企业操作指引.pdf"
    guide.write_bytes(fixtures_files.pdf_bytes())

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )

        def page_for(user):
            context = browser.new_context(locale="zh-CN")
            clock.share_with_browser(context)
            context.add_cookies(session_cookie(live_server, user, settings))
            page = context.new_page()
            page.set_default_timeout(20000)
            return page

        # 1. The officer publishes to key enterprises, with the PDF guide.
        office = page_for(officer)
        office.goto(f"{live_server.url}/admin/passes/announcement/add/")
        office.fill("#id_title", "重点企业复工操作指引")
        office.fill("#id_body", "请按附件指引准备材料。问答见 https://example.cn/faq <b>勿回复</b>")
        office.select_option("#id_audience", "key")
        office.set_input_files("#id_attachments-0-file", str(guide))
        office.click("input[name=_save]")
        expect(office.locator(".messagelist")).to_contain_text("重点企业复工操作指引")
        announcement = Announcement.objects.get()
        assert announcement.attachments.count() == 1

        # 2. A key enterprise's member sees the banner, reads it, downloads the guide.
        member_page = page_for(key_member)
        member_page.goto(f"{live_server.url}/")
        banner = member_page.locator("#announcement-banner")
        expect(banner).to_contain_text("重点企业复工操作指引")
        banner.locator("a").click()
        expect(member_page.locator("#announcement-title")).to_have_text("重点企业复工操作指引")
        body = member_page.locator("#announcement-body")
        expect(body).to_contain_text("<b>勿回复</b>")  # shown as text, not markup
        assert body.locator("a").get_attribute("href") == "https://example.cn/faq"
        link = member_page.get_by_role("link", name="物流企业操作指引.pdf")
        download = member_page.request.get(live_server.url + link.get_attribute("href"))
        assert download.status == 200 and download.body().startswith(b"%PDF")
        member_page.goto(f"{live_server.url}/")
        expect(member_page.locator("#announcement-banner")).to_have_count(0)

        # 3. A member of a non-key enterprise sees nothing of it.
        other = page_for(plain_member)
        other.goto(f"{live_server.url}/")
        expect(other.locator("#announcement-banner")).to_have_count(0)
        other.goto(f"{live_server.url}/announcements/")
        expect(other.locator("main")).not_to_contain_text("重点企业复工操作指引")
        response = other.goto(f"{live_server.url}/announcements/{announcement.pk}/")
        assert response.status == 404

        # 4. The key enterprise asks a question on its request.
        member_page.goto(f"{live_server.url}/requests/{pass_request.pk}/")
        member_page.fill("#message-body", "请问今天能审核完吗？")
        member_page.get_by_role("button", name="发送消息").click()
        expect(member_page.locator(".conversation")).to_contain_text("请问今天能审核完吗？")

        # 5. The reviewer finds it by the queue's filter and answers from the review page.
        review = page_for(reviewer)
        review.goto(f"{live_server.url}/admin/passes/reviewqueue/?messages=unanswered")
        review.get_by_role("link", name=pass_request.reference).click()
        expect(review.locator("#messages")).to_contain_text("请问今天能审核完吗？")
        # A template goes into the box after the reviewer's own words, to be edited there.
        review.fill("#pd-reply-body", "如有补充材料请直接上传。")
        review.get_by_role("button", name="审核时限").click()
        expect(review.locator("#pd-reply-body")).to_have_value(
            re.compile("如有补充材料请直接上传。.*我们会在今天18点前完成审核。", re.S)
        )
        review.click("#pd-reply-send")
        expect(review.locator(".messagelist")).to_contain_text(pass_request.reference)
        review.goto(f"{live_server.url}/admin/passes/reviewqueue/?messages=unanswered")
        expect(review.locator("#result_list")).to_have_count(0)

        # 6. The enterprise is notified and reads the answer on its request page.
        member_page.goto(f"{live_server.url}/requests/{pass_request.pk}/")
        expect(member_page.locator(".conversation .from-office")).to_contain_text(
            "我们会在今天18点前完成审核。"
        )
        if os.environ.get("PASSDESK_SCREENSHOT_DIR"):
            member_page.screenshot(
                path=os.path.join(os.environ["PASSDESK_SCREENSHOT_DIR"], "messages.png"),
                full_page=True,
            )
        browser.close()

    reply_mail = Notification.objects.get(event="request.message", recipient=key_member)
    assert reply_mail.status == "sent" and "如有补充材料请直接上传。" in reply_mail.body_text
    assert any("我们会在今天18点前完成审核。" in m.body for m in mail.outbox)
    assert not Notification.objects.filter(recipient=plain_member).exists()
