"""The inspector page in real headless Chromium at phone width: choose the checkpoint, type a
number and plate, see the verdict full screen; offline scans wait and upload later."""

import os

import pytest
from django.test import Client

from passes.models import ScanEvent
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import clock, factories
from tests.factories.checkpoint import make_pass

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


@pytest.fixture
def open_page(live_server, inspector, monkeypatch, settings):
    """Opens a 375 px wide page logged in as the inspector; ``camera`` is a Y4M file Chromium
    plays as the phone's camera."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Playwright's sync API runs an event loop in this thread; the ORM calls made here between
    # browser steps are ordinary blocking calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(inspector)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    browsers = []
    with sync_playwright() as playwright:

        def opener(camera=None):
            args = list(CHROMIUM_ARGS)
            if camera:
                args += [
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}",
                ]
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            browsers.append(browser)
            context = browser.new_context(
                viewport={"width": 375, "height": 812},
                device_scale_factor=2,
                is_mobile=True,
                # English unless asked (zh-CN for screenshots): some assertions read the words.
                locale=os.environ.get("PASSDESK_BROWSER_LOCALE", "en-US"),
                # Playwright's string predicates (wait_for_function) are evaluated with eval,
                # which the page's policy forbids once its service worker serves it; the page's
                # own scripts run under the policy (tests/web/test_content_security.py).
                bypass_csp=True,
            )
            clock.share_with_browser(context)
            if camera:
                context.grant_permissions(["camera"], origin=live_server.url)
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
        for browser in browsers:
            browser.close()


@pytest.fixture
def browser_page(open_page):
    return open_page()


def camera_showing(token, path):
    """A short Y4M clip of the pass's QR code, as a phone camera would see it."""
    from PIL import Image

    from passes.signing import tokens as signing

    qr_png = path.with_suffix(".png")
    signing.make_qr(token).save(str(qr_png), scale=6, border=4)
    width, height = 640, 480
    frame = Image.new("RGB", (width, height), "white")
    code = Image.open(qr_png).convert("RGB")
    side = min(400, code.width)
    code = code.resize((side, side), Image.NEAREST)
    frame.paste(code, ((width - side) // 2, (height - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            handle.write(b"FRAME\n" + planes)
    return str(path)


def shoot(page, name):
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, name), full_page=False)


def open_checkpoint_page(page, live_server):
    page.goto(f"{live_server.url}/checkpoint/")
    page.locator(".cp-choice", has_text="湘江大桥卡口").click()
    page.locator("#cp-at-name").wait_for()
    assert page.locator("#cp-at-name").inner_text() == "湘江大桥卡口"


def type_scan(page, number, plate):
    page.fill("#cp-number", number)
    page.fill("#cp-plate", plate)
    page.locator("#cp-typed button[type=submit]").click()


def test_typed_number_shows_a_green_verdict_with_the_plate(browser_page, live_server):
    page, _context = browser_page
    checkpoint = factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    issued = make_pass(plate="湘B12345", checkpoints=[checkpoint])
    open_checkpoint_page(page, live_server)
    shoot(page, "checkpoint-form-375.png")

    type_scan(page, f"{issued.number[:6]} {issued.number[6:]}", "湘b12345")
    verdict = page.locator("#cp-verdict[data-severity=ok]")
    verdict.wait_for(state="visible")
    assert page.locator("#cp-v-plate").inner_text() == "湘B12345"
    assert page.locator("#cp-v-enterprise").inner_text() == issued.request.enterprise.name
    assert "株洲市荷塘区 → 长沙市雨花区" in page.locator("#cp-v-route").inner_text()
    box = verdict.bounding_box()
    assert box["width"] == 375  # full screen at phone width
    shoot(page, "checkpoint-valid-375.png")

    scan = ScanEvent.objects.get()
    assert (scan.verdict, scan.pass_obj_id, scan.checkpoint_id) == (
        "valid",
        issued.pk,
        checkpoint.pk,
    )

    # The chosen checkpoint survives a reload (once per shift).
    page.locator("#cp-next").click()
    page.reload()
    assert page.locator("#cp-at-name").inner_text() == "湘江大桥卡口"


def test_revoked_pass_is_red(browser_page, live_server, officer):
    page, _context = browser_page
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    issued = make_pass(plate="湘B12345")
    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    open_checkpoint_page(page, live_server)
    type_scan(page, issued.number, "湘B12345")
    page.locator("#cp-verdict[data-severity=bad]").wait_for(state="visible")
    assert page.locator("#cp-v-plate").inner_text() == "湘B12345"
    shoot(page, "checkpoint-revoked-375.png")
    assert ScanEvent.objects.get().verdict == "revoked"


def test_offline_scan_waits_on_the_phone_and_uploads_late(browser_page, live_server, settings):
    settings.PASSDESK_SCAN_LATE_AFTER_SECONDS = 0
    page, context = browser_page
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    issued = make_pass(plate="湘B12345")
    open_checkpoint_page(page, live_server)
    page.wait_for_function("document.documentElement.dataset.offlineReady === 'true'")

    context.set_offline(True)
    type_scan(page, issued.number, "湘B12345")
    # Checked on the phone against the copied list of passes, then kept for upload.
    page.locator("#cp-verdict[data-severity=ok][data-offline=true]").wait_for(state="visible")
    shoot(page, "checkpoint-offline-375.png")
    queued = page.evaluate("JSON.parse(localStorage.getItem('passdesk.scanQueue')).length")
    assert queued == 1
    assert ScanEvent.objects.count() == 0

    context.set_offline(False)
    page.locator("#cp-next").click()  # back to scanning also tries the upload
    page.wait_for_function("JSON.parse(localStorage.getItem('passdesk.scanQueue')).length === 0")
    scan = ScanEvent.objects.get()
    assert scan.verdict == "valid"
    assert scan.is_late


def test_camera_reads_the_qr_code_and_shows_the_verdict(open_page, live_server, tmp_path):
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    issued = make_pass(plate="湘B12345")
    page, _context = open_page(camera_showing(signing_keys.sign_pass(issued), tmp_path / "qr.y4m"))
    open_checkpoint_page(page, live_server)
    page.locator("#cp-camera-start").click()
    page.locator("#cp-verdict[data-severity=ok]").wait_for(state="visible")
    assert page.locator("#cp-v-plate").inner_text() == "湘B12345"
    scan = ScanEvent.objects.get()
    assert scan.pass_obj_id == issued.pk
    assert scan.code == signing.verification_url(signing_keys.sign_pass(issued))


def test_without_network_the_phone_checks_the_qr_code_itself(
    open_page, live_server, tmp_path, officer
):
    """Keys and revocation list copied while online; the pass revoked before the shift is red
    offline, and the scan reaches the server when the network comes back."""
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    issued = make_pass(plate="湘B12345")
    token = signing_keys.sign_pass(issued)
    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    page, context = open_page(camera_showing(token, tmp_path / "qr.y4m"))
    open_checkpoint_page(page, live_server)
    page.wait_for_function(
        "localStorage.getItem('passdesk.keys') && localStorage.getItem('passdesk.revoked')"
    )

    context.set_offline(True)
    page.locator("#cp-camera-start").click()
    page.locator("#cp-verdict[data-severity=bad][data-offline=true]").wait_for(state="visible")
    assert page.locator("#cp-v-plate").inner_text() == "湘B12345"
    shoot(page, "checkpoint-offline-revoked-375.png")
    assert ScanEvent.objects.count() == 0

    context.set_offline(False)
    page.locator("#cp-next").click()
    page.wait_for_function("JSON.parse(localStorage.getItem('passdesk.scanQueue')).length === 0")
    assert ScanEvent.objects.get().verdict == "revoked"
    # The upload's verdict is shown on the scan screen, since the truck has gone on.
    page.locator("#cp-attention").wait_for(state="visible")
    assert "湘B12345" in page.locator("#cp-attention-list").inner_text()
    shoot(page, "checkpoint-attention-375.png")
    page.locator("#cp-attention-dismiss").click()
    assert page.locator("#cp-attention").is_hidden()


def test_offline_check_tells_a_forged_code(open_page, live_server, tmp_path):
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    issued = make_pass(plate="湘B12345")
    token = signing_keys.sign_pass(issued)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    page, context = open_page(camera_showing(forged, tmp_path / "qr.y4m"))
    open_checkpoint_page(page, live_server)
    page.wait_for_function("localStorage.getItem('passdesk.keys')")
    context.set_offline(True)
    page.locator("#cp-camera-start").click()
    page.locator("#cp-verdict[data-severity=bad][data-offline=true]").wait_for(state="visible")
    note = page.locator("#cp-verdict-note").inner_text()
    assert "altered" in note
    assert "checked on this phone" in note
