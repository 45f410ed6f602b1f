"""Issue 14 end to end in headless Chromium: the enterprise lists its passes (我的通行证), renews
one with a click, sees what happens next; the reviewer opens the renewal, sees what is unchanged,
and approves it in one action. Screenshots go to $PASSDESK_SCREENSHOT_DIR when it is set."""

import os

import pytest

from passes.models import Pass, PassRequest
from tests import clock, factories
from tests.admin.test_browser import CHROMIUM_ARGS, browser_for, shoot
from tests.factories.issuing import issued_passes

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_enterprise_renews_a_pass_and_the_reviewer_approves_it(
    live_server, applicant, enterprise, reviewer, settings
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    old, other = issued_passes(
        factories.submittable_request(vehicles=2, enterprise=enterprise), reviewer=reviewer
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
            clock.share_with_browser(context)
            context.add_cookies(browser_for(live_server, applicant, settings))
            page = context.new_page()

            # The overview's 有效通行证 card leads to 我的通行证.
            page.goto(live_server.url + "/")
            page.click(".stat >> text=有效通行证")
            expect(page.locator("h1")).to_have_text("我的通行证")
            row = page.locator(f"tr[data-number='{old.number}']")
            expect(row).to_contain_text(old.plate)
            expect(row).to_contain_text("7 天")
            shoot(page, "portal-my-passes.png")

            row.get_by_role("button", name="续期").click()
            expect(page.locator("#median-decision")).to_be_visible()
            expect(page.locator("h1")).to_contain_text("已提交")
            shoot(page, "portal-renewal-submitted.png")
            renewal = PassRequest.objects.get(items__renews=old)
            assert renewal.status == PassRequest.Status.SUBMITTED

            staff = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            clock.share_with_browser(staff)
            staff.add_cookies(browser_for(live_server, reviewer, settings))
            admin = staff.new_page()
            admin.goto(f"{live_server.url}/admin/passes/reviewqueue/{renewal.pk}/change/")
            box = admin.locator("#pd-renewal")
            expect(box).to_contain_text(f"续期 {old.number}")
            expect(box).to_contain_text("未变更")
            shoot(admin, "admin-renewal-review.png")
            admin.click("#pd-approve-renewal")
            expect(admin.locator(".messagelist")).to_contain_text("已批准")

            renewal.refresh_from_db()
            assert renewal.status == PassRequest.Status.APPROVED
            new = Pass.objects.get(request=renewal)
            assert new.plate == old.plate and new.valid_from == old.valid_until

            # The new pass is on the enterprise's list with the old one.
            page.goto(live_server.url + "/my-passes/")
            expect(page.locator(f"tr[data-number='{new.number}']")).to_be_visible()
            expect(page.locator(f"tr[data-number='{other.number}']")).to_be_visible()
        finally:
            browser.close()


def test_test_time_is_asked_for_before_a_test_report_is_uploaded(
    live_server, applicant, enterprise, settings, tmp_path
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    from passes.models import Document
    from tests.fixtures_files import jpeg_bytes

    pass_type = factories.PassTypeFactory(required_document_kinds=["nucleic_acid_test"])
    draft = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    scan = tmp_path / "核酸.jpg"
    scan.write_bytes(jpeg_bytes(600, 800))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="zh-CN")
            clock.share_with_browser(context)
            context.add_cookies(browser_for(live_server, applicant, settings))
            page = context.new_page()
            page.goto(f"{live_server.url}/requests/{draft.pk}/edit/documents/")
            page.select_option("#id_kind", "nucleic_acid_test")
            expect(page.locator("label[for=id_tested_at] .required-mark")).to_be_visible()
            page.select_option("#id_target", index=1)
            page.set_input_files("#id_file", str(scan))
            page.click("form[data-upload-form] button[type=submit]")
            expect(page.locator(".field-error[data-client]")).to_contain_text("检测时间")
            assert page.locator(".upload-item").count() == 0  # nothing was sent
            assert not Document.objects.filter(request=draft).exists()
        finally:
            browser.close()
