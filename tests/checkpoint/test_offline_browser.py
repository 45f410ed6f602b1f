"""The inspector page as an inspector uses it at a bridge, in real headless Chromium at phone
width: the route checked (green on it, amber off it, the decision kept), the verdict screens'
details (typed plate, revocation reason and time, Beijing time on a phone set to UTC, plate
colour, one sound per verdict), and the page with the network cut: reloaded from the service
worker, a typed revoked number red from the copied lists, copies past the office's maximum age
amber, refreshed the moment the network is back."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from passes.models import ScanEvent
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import clock, factories
from tests.checkpoint.test_browser import CHROMIUM_ARGS, shoot
from tests.factories.checkpoint import make_pass

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def phone(live_server, inspector, monkeypatch, settings):
    """``phone(timezone_id=..., locale=...)`` opens the inspector page logged in, at 375 px."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(inspector)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )

        def opener(timezone_id="Asia/Shanghai", locale="en-US"):
            context = browser.new_context(
                viewport={"width": 375, "height": 812},
                device_scale_factor=2,
                is_mobile=True,
                locale=locale,
                timezone_id=timezone_id,
                # The page's CSP forbids eval, which Playwright's string predicates
                # (wait_for_function) need once a service worker serves the page; the page's
                # own scripts run under the policy in tests/web/test_content_security.py.
                bypass_csp=True,
            )
            clock.share_with_browser(context)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session_cookie,
                        "url": live_server.url,
                    }
                ]
            )
            page = context.new_page()
            page.set_default_timeout(20000)
            return page, context

        yield opener
        browser.close()


@pytest.fixture
def places(db):
    on_route = factories.CheckpointFactory(code="zhuzhou-west", name="株洲西收费站")
    bridge = factories.CheckpointFactory(code="xiangjiang-1", name="湘江一桥")
    elsewhere = factories.CheckpointFactory(code="fengxi", name="枫溪大桥")
    return on_route, bridge, elsewhere


def at_checkpoint(page, live_server, name, *, ready=True):
    page.goto(f"{live_server.url}/checkpoint/")
    if page.locator("#cp-choose").is_visible():
        page.locator(".cp-choice", has_text=name).click()
    page.locator("#cp-at-name", has_text=name).wait_for()
    if ready:  # keys, revocations and the list of passes copied; the service worker in charge
        page.wait_for_function("document.documentElement.dataset.offlineReady === 'true'")


def change_checkpoint(page, name):
    page.locator("#cp-change").click()
    page.locator(".cp-choice", has_text=name).click()
    page.locator("#cp-at-name", has_text=name).wait_for()


def type_scan(page, number, plate):
    page.fill("#cp-number", number)
    page.fill("#cp-plate", plate)
    page.locator("#cp-typed button[type=submit]").click()


def verdict_screen(page, severity, **data):
    selector = f"#cp-verdict[data-severity={severity}]" + "".join(
        f"[data-{key}={value}]" for key, value in data.items()
    )
    page.locator(selector).wait_for(state="visible")
    return page.locator("#cp-verdict")


def next_vehicle(page):
    page.locator("#cp-next").click()
    page.locator("#cp-verdict").wait_for(state="hidden")


def test_route_green_on_it_amber_off_it_and_the_decision_is_kept(phone, live_server, places):
    on_route, _bridge, elsewhere = places
    issued = make_pass(plate="湘B12345", checkpoints=[on_route, places[1]])
    page, _context = phone()
    at_checkpoint(page, live_server, "株洲西收费站")
    type_scan(page, issued.number, "湘B12345")
    verdict_screen(page, "ok", verdict="valid")
    assert page.locator("#cp-verdict").get_attribute("data-sound") == "ok"
    # Heavy truck: the badge is yellow, as on the PDF and the truck.
    assert page.locator("#cp-v-plate").get_attribute("data-colour") == "yellow"
    next_vehicle(page)

    change_checkpoint(page, "枫溪大桥")
    type_scan(page, issued.number, "湘B12345")
    verdict_screen(page, "warn", verdict="off_route")
    assert page.locator("#cp-verdict-word").inner_text() == "Off route"
    assert page.locator("#cp-verdict").get_attribute("data-sound") == "warn"
    status = page.locator("#cp-v-status").inner_text()
    assert "枫溪大桥" in status and "株洲西收费站" in status and "湘江一桥" in status
    shoot(page, "checkpoint-off-route-375.png")
    page.locator("#cp-turn-back").click()
    page.locator("#cp-decided", has_text="Turned back").wait_for()
    page.wait_for_function(
        "JSON.parse(localStorage.getItem('passdesk.decisionQueue')).length === 0"
    )
    scan = ScanEvent.objects.get(checkpoint=elsewhere)
    assert (scan.verdict, scan.decision) == ("off_route", "turned_back")


def test_verdict_screens_show_what_the_inspector_compares(phone, live_server, places, officer):
    on_route = places[0]
    issued = make_pass(plate="湘B12345", checkpoints=[on_route])
    page, _context = phone()
    at_checkpoint(page, live_server, "株洲西收费站")

    type_scan(page, issued.number, "湘B54321")
    verdict_screen(page, "bad", verdict="plate_mismatch")
    assert page.locator("#cp-v-plate").inner_text() == "湘B12345"
    assert page.locator("#cp-v-typed-plate").inner_text() == "湘B54321"
    assert page.locator("#cp-verdict").get_attribute("data-sound") == "bad"
    next_vehicle(page)

    workflow.revoke_pass(issued, by=officer, reason="车辆超载被查处")
    issued.refresh_from_db()
    type_scan(page, issued.number, "湘B12345")
    verdict_screen(page, "bad", verdict="revoked")
    revoked_at = issued.revoked_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    status = page.locator("#cp-v-status").inner_text()
    assert "车辆超载被查处" in status and revoked_at in status
    next_vehicle(page)

    # A malformed number is refused on the phone, with the office's words; nothing recorded.
    count = ScanEvent.objects.count()
    page.fill("#cp-number", "1234")
    page.fill("#cp-plate", "湘B12345")
    page.locator("#cp-typed button[type=submit]").click()
    page.locator("#cp-typed-error", has_text="A pass number has 12 digits.").wait_for()
    assert page.locator("#cp-verdict").is_hidden()
    assert ScanEvent.objects.count() == count
    assert page.evaluate("localStorage.getItem('passdesk.scanQueue')") in (None, "[]")


def test_expired_pass_says_how_long_ago(phone, live_server, places):
    on_route = places[0]
    start = datetime.datetime.now(SHANGHAI) - datetime.timedelta(days=5)
    issued = make_pass(
        plate="湘BD12345",
        checkpoints=[on_route],
        valid_from=start,
        valid_until=start + datetime.timedelta(days=2, hours=2),
    )
    page, _context = phone()
    at_checkpoint(page, live_server, "株洲西收费站")
    type_scan(page, issued.number, "湘BD12345")
    verdict_screen(page, "warn", verdict="expired")
    assert "Expired 2 d 22 h ago" in page.locator("#cp-v-status").inner_text()
    # A new-energy heavy truck: yellow beside green (黄绿双拼), as on the printed pass.
    assert page.locator("#cp-v-plate").get_attribute("data-colour") == "yellow-green"


def test_phone_set_to_utc_shows_beijing_times(phone, live_server, places):
    on_route = places[0]
    midnight = datetime.datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    issued = make_pass(
        plate="湘B12345",
        checkpoints=[on_route],
        valid_from=midnight,
        valid_until=midnight + datetime.timedelta(days=3),
    )
    page, _context = phone(timezone_id="UTC")
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
    at_checkpoint(page, live_server, "株洲西收费站")
    type_scan(page, issued.number, "湘B12345")
    verdict_screen(page, "ok")
    validity = page.locator("#cp-v-validity").inner_text()
    expected_from = midnight.strftime("%Y-%m-%d 00:00")
    # A midnight end is 24:00 of the day before, as on the PDF and the public page.
    expected_until = (midnight + datetime.timedelta(days=2)).strftime("%Y-%m-%d 24:00")
    assert validity == f"{expected_from} to {expected_until} (Beijing time)"


def test_reload_with_the_network_cut_still_checks_passes(phone, live_server, places, officer):
    """The service worker serves the page; the copied lists judge a typed revoked number red,
    a good one green, a wrong plate unknown and one off its route amber, all without a
    network."""
    on_route, _bridge, elsewhere = places
    good = make_pass(plate="湘B12345", checkpoints=[on_route])
    revoked = make_pass(plate="湘B67890", checkpoints=[on_route])
    workflow.revoke_pass(revoked, by=officer, reason="车辆已更换")
    page, context = phone()
    at_checkpoint(page, live_server, "株洲西收费站")
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()
    at_checkpoint(page, live_server, "株洲西收费站", ready=False)
    page.locator("#cp-lists-age", has_text="Offline lists as of").wait_for()
    type_scan(page, f"{revoked.number[:6]} {revoked.number[6:]}", "湘B67890")
    verdict_screen(page, "bad", offline="true", verdict="revoked")
    assert "replaced" in page.locator("#cp-v-status").inner_text() or "revoked" in (
        page.locator("#cp-v-status").inner_text()
    )
    shoot(page, "checkpoint-offline-typed-revoked-375.png")
    next_vehicle(page)

    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in good.number)
    type_scan(page, full_width, "湘b12345")
    verdict_screen(page, "ok", offline="true", verdict="valid")
    next_vehicle(page)

    # The phone holds no plate: a wrong one finds no pass, as a wrong number would. Amber,
    # not a red 查无此证: a pass issued after the copy was made is not on it either.
    type_scan(page, good.number, "湘B12346")
    verdict_screen(page, "warn", offline="true", verdict="unknown")
    assert page.locator("#cp-verdict-word").inner_text() == "Not on this phone's list"
    note = page.locator("#cp-verdict-note").inner_text()
    assert "a wrong plate looks the same" in note and "issued after the list was copied" in note
    next_vehicle(page)

    change_checkpoint(page, "枫溪大桥")
    code = signing.verification_url(signing_keys.sign_pass(good))
    assert (
        page.evaluate(
            "code => window.PassdeskOffline.check(code, '', 'fengxi').then(r => r.verdict)", code
        )
        == "off_route"
    )
    type_scan(page, good.number, "湘B12345")
    verdict_screen(page, "warn", offline="true", verdict="off_route")
    assert ScanEvent.objects.count() == 0

    # Network back: the queue uploads by itself; the server agrees with the phone.
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("JSON.parse(localStorage.getItem('passdesk.scanQueue')).length === 0")
    verdicts = sorted(ScanEvent.objects.values_list("checkpoint__code", "verdict"))
    assert verdicts == [
        ("fengxi", "off_route"),
        ("zhuzhou-west", "plate_mismatch"),
        ("zhuzhou-west", "revoked"),
        ("zhuzhou-west", "valid"),
    ]
    assert elsewhere.scans.count() == 1


def test_copies_past_the_office_maximum_age_make_offline_verdicts_amber(phone, live_server, places):
    on_route = places[0]
    good = make_pass(plate="湘B12345", checkpoints=[on_route])
    page, context = phone()
    page.clock.install(time=datetime.datetime.now(datetime.UTC))  # the suite's clock
    at_checkpoint(page, live_server, "株洲西收费站")
    synced_before = page.evaluate("localStorage.getItem('passdesk.passListSyncedAt')")
    context.set_offline(True)
    # Two days on the phone's clock without a network: past the office's 24 hours.
    page.clock.fast_forward("48:00:00")
    type_scan(page, good.number, "湘B12345")
    verdict_screen(page, "warn", offline="true", stale="true")
    assert page.locator("#cp-verdict-word").inner_text() == "Lists too old"
    assert "Valid" in page.locator("#cp-verdict-note").inner_text()
    next_vehicle(page)
    assert page.locator("#cp-lists-age").get_attribute("data-stale") == "true"
    # The age kept counting without a network.
    assert "2 d" in page.locator("#cp-lists-age").inner_text()

    # The moment the network is back the copies are refreshed and the scan uploaded.
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        "before => localStorage.getItem('passdesk.passListSyncedAt') !== before",
        arg=synced_before,
    )
    page.wait_for_function("JSON.parse(localStorage.getItem('passdesk.scanQueue')).length === 0")
    assert ScanEvent.objects.get().verdict == "valid"


def test_attention_list_names_a_forged_scan_by_number_and_plate(phone, live_server, places):
    on_route = places[0]
    good = make_pass(plate="湘B12345", checkpoints=[on_route])
    token = signing_keys.sign_pass(good)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    page, context = phone()
    at_checkpoint(page, live_server, "株洲西收费站")
    scan = {
        "checkpoint": "zhuzhou-west",
        "nonce": "forged-scan-0001",
        "scanned_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "code": forged,
    }
    page.evaluate(
        "scan => localStorage.setItem('passdesk.scanQueue', JSON.stringify([scan]))", scan
    )
    page.reload()  # the page uploads what waits as it opens
    page.locator("#cp-attention").wait_for(state="visible")
    text = page.locator("#cp-attention-list").inner_text()
    assert f"{good.number[:6]} {good.number[6:]} 湘B12345" in text and "?" not in text
    assert json.loads(page.evaluate("localStorage.getItem('passdesk.attention')"))


def test_malformed_number_in_chinese(phone, live_server, places):
    page, _context = phone(locale="zh-CN")
    page.goto(f"{live_server.url}/checkpoint/")
    page.locator(".cp-choice", has_text="株洲西收费站").click()
    page.fill("#cp-number", "１２３４")
    page.fill("#cp-plate", "湘B12345")
    page.locator("#cp-typed button[type=submit]").click()
    page.locator("#cp-typed-error", has_text="编号应为12位").wait_for()
    assert ScanEvent.objects.count() == 0
