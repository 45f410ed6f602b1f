"""Officer and reviewer pages in real headless Chromium at 1366 px and on a phone: a template
goes into the reply box to be edited, rejecting waits for the 'final' tick, revoking goes
through a confirmation naming the pass, an enterprise is verified beside its licence, and the
lists fit the screen. Screenshots go to $PASSDESK_SCREENSHOT_DIR when it is set."""

import os

import pytest

from passes.models import Enterprise, Pass, PassRequest, ReplyTemplate
from tests import clock, factories
from tests.admin.test_browser import CHROMIUM_ARGS, browser_for, shoot
from tests.factories.checkpoint import make_pass
from tests.factories.review import add_document, queued_request

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _open(playwright, live_server, user, settings, viewport):
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    clock.share_with_browser(context)
    context.add_cookies(browser_for(live_server, user, settings))
    page = context.new_page()
    page.set_default_timeout(20000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return browser, page, errors


def _fits(page):
    """The changelist's table is no wider than its box (nothing beyond a horizontal scroll)."""
    return page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return !r || r.scrollWidth <= r.clientWidth + 1; }"
    )


def test_reviewer_inserts_a_template_and_must_confirm_a_rejection(live_server, reviewer, settings):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    ReplyTemplate.objects.create(title="已收到", body="您好，已收到，正在审核。")
    held = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer, vehicles=2)
    add_document(held, name="营业执照.png")
    queued_request(hours_waiting=6)
    with sync_playwright() as playwright:
        browser, page, errors = _open(playwright, live_server, reviewer, settings, DESKTOP)
        page.goto(f"{live_server.url}/admin/passes/reviewqueue/")
        assert _fits(page)
        shoot(page, "reviewer-queue-1366.png")
        page.goto(f"{live_server.url}/admin/passes/reviewqueue/{held.pk}/change/")
        page.locator("#pd-reply-body").fill("请补充。")
        page.locator(".pd-templates[data-target='pd-reply-body'] .pd-template").first.click()
        assert page.locator("#pd-reply-body").input_value() == "请补充。\n您好，已收到，正在审核。"
        page.locator("details.pd-decision >> nth=2").locator("summary").click()
        page.locator("form[action$='/reject/'] textarea[name=reason]").fill("车辆不符")
        page.locator("#pd-reject").click()  # the 'final' tick is required: nothing is sent
        assert page.url.endswith(f"/{held.pk}/change/")
        shoot(page, "reviewer-review-1366.png")
        page.locator("#pd-reject-final").check()
        page.locator("#pd-reject").click()
        page.wait_for_url("**/admin/passes/reviewqueue/")
        assert not errors, errors
        browser.close()
    held.refresh_from_db()
    assert held.status == PassRequest.Status.REJECTED


def test_officer_revokes_through_a_confirmation_and_verifies_beside_the_licence(
    live_server, officer, settings
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    issued = make_pass(plate="湘B12345")
    pending = factories.EnterpriseFactory(
        name="醴陵新兴建材有限公司", verification_status="pending"
    )
    add_document(queued_request(enterprise=pending), name="营业执照.png", standing=True)
    with sync_playwright() as playwright:
        browser, page, errors = _open(playwright, live_server, officer, settings, DESKTOP)
        page.goto(f"{live_server.url}/admin/passes/pass/")
        assert _fits(page)
        page.locator(f"input[name=_selected_action][value='{issued.pk}']").check()
        page.select_option("select[name=action]", "revoke_selected")
        page.locator("button[name=index]").click()
        page.wait_for_url("**/admin/passes/pass/revoke/**")
        table = page.locator("#pd-revoke-passes").inner_text()
        assert issued.number in table and "湘B12345" in table
        assert page.locator("#pd-revoke-effect").is_visible()
        shoot(page, "officer-revoke-confirm-1366.png")
        page.locator("#pd-revoke-reason").fill("车辆转让")
        page.locator("#pd-revoke-confirm").click()
        page.wait_for_url("**/admin/passes/pass/")
        assert issued.number in page.locator(".messagelist").inner_text()

        page.goto(f"{live_server.url}/admin/passes/enterprise/")
        assert _fits(page)
        page.locator(f"a.pd-verify-link[href$='/enterprise/{pending.pk}/verify/']").click()
        page.wait_for_url(f"**/admin/passes/enterprise/{pending.pk}/verify/")
        page.wait_for_function(
            "() => { const i = document.querySelector('.pd-licence-page');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        boxes = page.evaluate(
            "() => ['#pd-filed', '#pd-licence'].map(s => document.querySelector(s)"
            ".getBoundingClientRect().left)"
        )
        assert boxes[0] < boxes[1]  # the filed data beside the licence
        shoot(page, "officer-verify-1366.png")
        page.locator("#pd-verify").click()
        page.wait_for_selector("#pd-verification-status.pd-ver-verified")
        page.set_viewport_size(PHONE)
        page.reload()
        shoot(page, "officer-verify-phone.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert not errors, errors
        browser.close()
    issued.refresh_from_db()
    pending.refresh_from_db()
    assert issued.status == Pass.Status.REVOKED and issued.revocation_reason == "车辆转让"
    assert pending.verification_status == Enterprise.Verification.VERIFIED
