"""The driver's e-pass in real headless Chromium at phone size: the SMS link opens it green; with
the network cut a reload still shows it green, with its age; the office revokes the pass and the
page turns grey once the network is back. A paper scan and an e-pass scan of the same pass (each
QR code read from pixels: the printed PDF drawn by pdfium, the phone's screen) get the same
verdict from the checkpoint API, valid and then revoked. The page's weight is measured too."""

import io
import re
import uuid

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from passes.epass import links
from passes.issuing import rendering
from passes.models import Notification
from passes.requests import workflow
from passes.signing import keys as signing_keys
from tests import clock, factories
from tests.api_support import client_for
from tests.checkpoint.test_browser import CHROMIUM_ARGS, shoot
from tests.factories.checkpoint import make_pass

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def phone(live_server, monkeypatch):
    """A phone (375 x 812, touch) with no account: opens whatever link it is given."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 375, "height": 812},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="en-US",
            timezone_id="Asia/Shanghai",
        )
        clock.share_with_browser(context)
        page = context.new_page()
        page.set_default_timeout(20000)
        yield page, context
        browser.close()


def sms_link(pass_obj, driver) -> str:
    """The link in the SMS the driver received (the outbox row's text)."""
    row = Notification.objects.filter(
        event=links.EVENT_LINK, object_id=pass_obj.pk, address=driver.phone
    ).latest("pk")
    return re.search(r"https?://\S+/d/[A-Za-z0-9_-]{20}", row.body_text).group(0)


def card(page, state, offline=None):
    selector = f".ep-card[data-state={state}]"
    if offline is not None:
        selector += f"[data-offline={'true' if offline else 'false'}]"
    page.locator(f"#ep-list {selector}").first.wait_for()
    return page.locator(f"#ep-list {selector}").first


def read_qr(png: bytes) -> str:
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return code.text


def paper_qr(pass_obj) -> str:
    """The printed pass's QR code, read from the PDF drawn at 200 dpi as a scanner would."""
    pdf = pdfium.PdfDocument(rendering.render_passes([pass_obj], signing_keys.current_signer()))
    bitmap = pdf[0].render(scale=200 / 72).to_pil()
    buffer = io.BytesIO()
    bitmap.save(buffer, format="PNG")
    return read_qr(buffer.getvalue())


def scan(inspector, code, checkpoint):
    response = client_for(inspector).post(
        "/api/v1/scans/",
        {
            "code": code,
            "checkpoint": checkpoint.code,
            "nonce": str(uuid.uuid4()),
            "scanned_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["verdict"]["code"]


def test_sms_link_green_offline_with_age_then_grey_when_revoked(
    phone, live_server, settings, officer, inspector
):
    settings.PASSDESK_PUBLIC_BASE_URL = live_server.url
    checkpoint = factories.CheckpointFactory(code="shifeng", name="石峰大桥")
    issued = make_pass(plate="湘B12345", driver_names=("李小明",), checkpoints=[checkpoint])
    links.pass_issued([issued])
    driver = issued.drivers.get()
    page, context = phone
    refused = []  # the site's CSP is on (no bypass): the page's scripts must run under it
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto(sms_link(issued, driver))
    green = card(page, "valid")
    assert green.locator("[data-f=plate]").inner_text() == "湘B12345"
    assert green.locator("[data-f=driver_name]").inner_text() == "李*明"
    clock_before = green.locator("[data-clock]").inner_text()
    page.wait_for_timeout(1200)
    assert green.locator("[data-clock]").inner_text() != clock_before  # live, not a picture
    page.locator("html[data-offline-ready=true]").wait_for()
    shoot(page, "epass-valid-375.png")

    # The same pass, scanned from the paper and from this screen: the same verdict.
    on_screen = read_qr(green.locator(".ep-qr svg").screenshot())
    on_paper = paper_qr(issued)
    assert on_screen == on_paper
    assert scan(inspector, on_screen, checkpoint) == scan(inspector, on_paper, checkpoint)
    assert scan(inspector, on_screen, checkpoint) == "valid"

    context.set_offline(True)
    page.reload()
    offline = card(page, "valid", offline=True)
    age = offline.locator("[data-f=age]").inner_text()
    assert age.startswith("Offline: last updated less than 1 min ago, at ")
    shoot(page, "epass-offline-375.png")

    workflow.revoke_pass(issued, by=officer, reason="车辆违规")
    page.wait_for_timeout(500)
    assert card(page, "valid", offline=True)  # no network: still what was last known

    context.set_offline(False)  # the page refreshes when the network is back
    grey = card(page, "revoked", offline=False)
    assert (
        grey.locator("[data-f=reason_text]")
        .inner_text()
        .startswith("Revoked by the traffic office")
    )
    assert "车辆违规" not in page.content()
    shoot(page, "epass-revoked-375.png")
    assert scan(inspector, on_screen, checkpoint) == scan(inspector, on_paper, checkpoint)
    assert scan(inspector, on_screen, checkpoint) == "revoked"
    assert not refused


def test_a_withdrawn_link_leaves_nothing_on_the_phone(phone, live_server, settings):
    settings.PASSDESK_PUBLIC_BASE_URL = live_server.url
    first = make_pass(plate="湘B12345")
    second = make_pass(plate="湘B67890", enterprise=first.request.enterprise)
    driver = first.drivers.get()
    second.drivers.set([driver])
    links.pass_issued([first, second])
    page, _context = phone
    first_link, second_link = sms_link(first, driver), sms_link(second, driver)

    page.goto(first_link)
    card(page, "valid")
    page.goto(second_link)  # both passes of this driver, on one page
    page.locator("#ep-list .ep-card[data-state=valid]").nth(1).wait_for()
    plates = page.locator("#ep-list [data-f=plate]").all_inner_texts()
    assert sorted(plates) == ["湘B12345", "湘B67890"]

    links.withdraw(first, by=None)
    page.reload()
    card(page, "gone")
    assert page.locator("#ep-list [data-f=plate]", has_text="湘B12345").count() == 0
    stored = page.evaluate("() => localStorage.getItem('passdesk.epass')")
    assert "湘B12345" not in stored and "湘B67890" in stored


def weigh(finished) -> tuple[int, list[str]]:
    """Bytes that came over the network (headers and encoded bodies), and what they were; a
    response the service worker answered from its copy cost nothing."""
    total, lines = 0, []
    for request in finished:
        response = request.response()
        if response is None or response.from_service_worker:
            continue
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        origin = "worker" if request.service_worker else "page"
        lines.append(f"{size:7d}  {origin:6s} {request.url.split('/', 3)[-1][:60]}")
    return total, lines


def test_page_weight_on_first_load_and_refresh(phone, live_server, settings):
    """The figures of docs/epass.md: printed with ``-s``; the budgets keep the page small."""
    settings.PASSDESK_PUBLIC_BASE_URL = live_server.url
    issued = make_pass(plate="湘B12345", driver_names=("李小明",))
    links.pass_issued([issued])
    page, context = phone
    finished = []
    context.on("requestfinished", lambda request: finished.append(request))

    page.goto(sms_link(issued, issued.drivers.get()))
    card(page, "valid")
    page.locator("html[data-offline-ready=true]").wait_for()
    page.wait_for_timeout(1000)
    first, first_lines = weigh(finished)

    finished.clear()
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # the page's refresh
    page.wait_for_timeout(1000)
    refresh, refresh_lines = weigh(finished)

    finished.clear()
    page.reload()
    card(page, "valid")
    page.wait_for_timeout(1000)
    reload, reload_lines = weigh(finished)

    print("\nfirst load:", first, *first_lines, sep="\n")
    print("\nrefresh (state JSON):", refresh, *refresh_lines, sep="\n")
    print("\nreload (worker in charge):", reload, *reload_lines, sep="\n")
    assert 0 < refresh < 6_000
    assert 0 < reload < 20_000
    assert 0 < first < 80_000
