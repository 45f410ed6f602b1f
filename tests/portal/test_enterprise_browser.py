"""The enterprise's pages as a member uses them, in headless Chromium, in zh-CN, on a phone
(390x844) and a desktop (1366x900): 我的通行证's select-all box and its order and states, the
header's height on a phone, the wizard's last step showing every mismatch the reviewer will
see, the notifications received."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from passes.models import Pass
from tests import clock, factories
from tests.factories.checkpoint import make_pass

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DAY = datetime.timedelta(days=1)


@pytest.fixture
def member_page(live_server, monkeypatch):
    """``member_page(user, viewport)``: a page signed in as ``user``, in zh-CN; console errors
    and CSP violations are collected in ``page.problems``."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )

        def opener(user, viewport=PHONE):
            client = Client()
            client.force_login(user)
            context = browser.new_context(
                viewport=viewport, locale="zh-CN", is_mobile=viewport["width"] < 500
            )
            clock.share_with_browser(context)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.problems = []
            page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
            page.on("pageerror", lambda e: page.problems.append(str(e)))
            return page

        yield opener
        browser.close()


@pytest.fixture
def book(db):
    """A member whose enterprise holds a pass valid now, one starting in two days and one
    ended yesterday."""
    enterprise = factories.EnterpriseFactory()
    user = factories.MembershipFactory(enterprise=enterprise).user
    now = timezone.now()
    passes = {
        "ended": make_pass(
            enterprise=enterprise, plate="湘B10001", valid_from=now - 5 * DAY, valid_until=now - DAY
        ),
        "upcoming": make_pass(
            enterprise=enterprise,
            plate="湘BD21836",
            valid_from=now + 2 * DAY,
            valid_until=now + 9 * DAY,
        ),
        "in_force": make_pass(
            enterprise=enterprise, plate="湘B10003", valid_from=now - DAY, valid_until=now + 5 * DAY
        ),
    }
    return user, passes


def test_pass_book_select_all_order_and_not_yet_valid(live_server, member_page, book):
    user, passes = book
    page = member_page(user, PHONE)
    page.goto(live_server.url + "/my-passes/")
    # The phone's header leaves the screen to the content.
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 110, header
    # Valid now first, then still to start, then ended (not ended first).
    numbers = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert numbers == [passes[k].number for k in ("in_force", "upcoming", "ended")]
    upcoming = page.locator(f"tr[data-number='{passes['upcoming'].number}']")
    assert "尚未生效" in upcoming.inner_text()
    assert "有效" not in upcoming.locator(".badge").inner_text()
    # The filters count it apart: 有效 (1), 尚未生效 (1).
    filters = page.locator("nav.actions").inner_text()
    assert "有效 (1)" in filters and "尚未生效 (1)" in filters, filters
    # A new-energy plate stays on one line at phone width.
    plate = upcoming.locator(".plate")
    assert plate.bounding_box()["height"] < 30

    # 全选 ticks every box (no inline handler: the site's policy would block it), and unticking
    # one leaves the header box half-ticked.
    page.locator("#select-all").check()
    boxes = page.locator("input[type=checkbox][name=passes]")
    assert boxes.evaluate_all("bs => bs.every(b => b.checked)") and boxes.count() == 3
    boxes.first.uncheck()
    assert page.locator("#select-all").evaluate("b => b.indeterminate && !b.checked")
    page.locator("#select-all").check()
    page.locator("#select-all").uncheck()
    assert boxes.evaluate_all("bs => bs.every(b => !b.checked)")
    assert page.problems == []


def test_the_header_is_short_on_every_phone_page(live_server, member_page, book):
    user, _passes = book
    page = member_page(user, PHONE)
    for path in ("/", "/requests/", "/vehicles/", "/drivers/", "/enterprise/", "/faq/"):
        page.goto(live_server.url + path)
        height = page.locator("header.site-header").bounding_box()["height"]
        assert height <= 110, (path, height)
        # The page's own heading is on the first screen, well above the fold.
        assert page.locator("main h1").first.bounding_box()["y"] < 200, path
    assert page.problems == []
    assert Pass.objects.count() == 3


def test_a_scan_read_differently_is_amber_at_once_and_flagged_to_the_last_step(
    live_server, member_page, settings, tmp_path
):
    """With the machine check in-process (the demo's eager Celery), a 行驶证 read as another
    plate is stored but announced in amber with the reading, never a green ✓."""
    from passes.models import DocumentKind
    from tests.ocr_helpers import scan_upload

    settings.PASSDESK_OCR_ENABLED = True
    enterprise = factories.EnterpriseFactory()
    user = factories.MembershipFactory(enterprise=enterprise).user
    pass_type = factories.PassTypeFactory(required_document_kinds=[DocumentKind.VEHICLE_LICENCE])
    draft = factories.PassRequestFactory(enterprise=enterprise, pass_type=pass_type)
    item = factories.RequestItemFactory(request=draft)
    plate = item.vehicle.plate
    wrong = plate[:-1] + ("7" if plate[-1] != "7" else "8")
    scan = scan_upload(
        DocumentKind.VEHICLE_LICENCE,
        {"plate": wrong, "vehicle_type": "重型货车", "owner": enterprise.name},
    )
    path = tmp_path / "行驶证.jpg"
    path.write_bytes(scan.read())

    page = member_page(user, PHONE)
    page.goto(f"{live_server.url}/requests/{draft.pk}/edit/documents/")
    page.select_option("#id_kind", "vehicle_licence")
    page.select_option("#id_target", index=1)
    page.set_input_files("#id_file", str(path))
    page.locator("form[data-upload-form] button[type=submit]").click()
    item_row = page.locator(".upload-item.warn")
    item_row.wait_for(timeout=60_000)
    assert wrong in item_row.inner_text() and plate in item_row.inner_text()
    assert page.locator(".upload-item.ok").count() == 0
    page.locator("#doc-checklist li.flagged").wait_for()
    assert "✓" not in page.locator("#doc-checklist").inner_text()

    page.goto(f"{live_server.url}/requests/{draft.pk}/edit/review/")
    assert wrong in page.locator("#machine-mismatches").inner_text()
    assert page.locator(".stepper li.flagged").count() == 1
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    assert page.problems == []
