"""A reviewer in real headless Chromium: claims the oldest request, opens a scan in place
(zoom, rotate), and approves it. Screenshots go to $PASSDESK_SCREENSHOT_DIR when it is set."""

import datetime
import os

import pytest
from django.test import Client
from django.utils import timezone

from passes.documents import ensure_thumbnail
from passes.models import DocumentKind, DocumentView, PassRequest
from tests import clock, factories
from tests.factories.review import add_document, queued_request
from tests.fixtures_files import jpeg_bytes

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
SCREENSHOT_DIR = os.environ.get("PASSDESK_SCREENSHOT_DIR", "")


def shoot(page, name, full_page=True):
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, name), full_page=full_page)


def browser_for(live_server, user, settings):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]


@pytest.fixture
def office(reviewer):
    """The oldest request is clean with scans; younger ones carry warnings."""
    pass_type = factories.PassTypeFactory(
        name="重点物资运输车辆通行证", health_proof_max_age_hours=48
    )
    key = factories.EnterpriseFactory(name="株洲湘运物流有限公司", is_key_enterprise=True)
    oldest = queued_request(vehicles=2, hours_waiting=6.5, enterprise=key, pass_type=pass_type)
    add_document(oldest, name="营业执照.jpg", content=jpeg_bytes(850, 1100))
    for item in oldest.items.all():
        add_document(
            oldest, kind=DocumentKind.VEHICLE_LICENCE, item=item, content=jpeg_bytes(900, 600)
        )
        driver = item.drivers.first()
        add_document(
            oldest,
            kind=DocumentKind.NUCLEIC_ACID_TEST,
            item=item,
            driver=driver,
            tested_at=timezone.now() - datetime.timedelta(hours=12),
            content=jpeg_bytes(600, 800),
        )
    for document in oldest.documents.all():
        ensure_thumbnail(document)
    pending = factories.EnterpriseFactory(
        name="醴陵新兴建材有限公司", verification_status="pending"
    )
    queued_request(hours_waiting=3, enterprise=pending, pass_type=pass_type)
    queued_request(hours_waiting=1, vehicles=3)
    return oldest


def test_reviewer_claims_previews_and_approves(live_server, reviewer, officer, office, settings):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 1440, "height": 900}, locale="zh-CN", extra_http_headers={}
        )
        clock.share_with_browser(context)
        context.add_cookies(browser_for(live_server, reviewer, settings))
        page = context.new_page()
        page.set_default_timeout(20000)

        page.goto(f"{live_server.url}/admin/passes/reviewqueue/")
        assert page.locator("#result_list tbody tr").count() == 3
        shoot(page, "review-queue.png")

        page.locator("#pd-claim-next").click()
        page.wait_for_url(f"**/admin/passes/reviewqueue/{office.pk}/change/")
        assert page.locator("#pd-approve").is_visible()
        shoot(page, "review-page.png")

        page.locator(".pd-thumb").first.click()
        frame = page.frame_locator("#pd-viewer-frame")
        image = frame.locator(".page img").first
        image.wait_for()
        page.wait_for_function(
            "() => { const f = document.getElementById('pd-viewer-frame');"
            " const i = f.contentDocument && f.contentDocument.querySelector('.page img');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        frame.locator("[data-zoom='1']").click()
        assert frame.locator("#zoom").inner_text() == "125%"
        frame.locator("[data-rotate]").click()
        assert "rotate(90deg)" in frame.locator(".page").first.get_attribute("style")
        shoot(page, "review-viewer.png", full_page=False)
        page.keyboard.press("Escape")
        assert page.locator("#pd-viewer").is_hidden()

        page.locator("#pd-approve").click()
        page.wait_for_url("**/admin/passes/reviewqueue/")
        message = page.locator(".messagelist .success").inner_text()
        assert office.reference in message
        shoot(page, "review-queue-after.png")

        context.add_cookies(browser_for(live_server, officer, settings))
        page.goto(f"{live_server.url}/admin/passes/dashboard/")
        assert page.locator("#pd-key").inner_text().strip().startswith("1")
        shoot(page, "review-dashboard.png")
        context.close()
        browser.close()

    office.refresh_from_db()
    assert office.status == PassRequest.Status.APPROVED
    assert office.passes.count() == 2
    assert DocumentView.objects.filter(user=reviewer, document__request=office).exists()
