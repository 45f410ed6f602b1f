"""The inspector's page at 390x844, in headless Chromium (issue 29, point 17): a long verdict
opens at its top with 下一辆车 on the screen; offline, the copied lists' age keeps counting
after a reload; the same plate colour and end time as the printed pass."""

import datetime

import pytest

from passes.requests import workflow
from tests.checkpoint.test_offline_browser import (  # noqa: F401 - fixtures
    at_checkpoint,
    phone,  # noqa: F811
    places,  # noqa: F811
    type_scan,
    verdict_screen,
)
from tests.factories.checkpoint import make_pass

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LONG_REASON = (
    "该车辆在湘江一桥卡口被查获超载运输，经核实，企业提交的行驶证与实际车辆不符，"
    "驾驶员亦未持有效核酸检测报告，依据《株洲市疫情防控期间货车通行证管理办法》第十二条吊销。"
)


def _in_view(page, selector):
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_long_verdict_opens_at_its_word_with_next_vehicle_on_screen(
    phone,  # noqa: F811
    live_server,
    places,  # noqa: F811
    officer,
):
    revoked = make_pass(plate="湘B67890", checkpoints=[places[0]])
    workflow.revoke_pass(revoked, by=officer, reason=LONG_REASON)
    page, _context = phone(locale="zh-CN")
    page.set_viewport_size({"width": 390, "height": 844})
    at_checkpoint(page, live_server, "株洲西收费站", ready=False)
    type_scan(page, revoked.number, "湘B67890")
    verdict_screen(page, "bad", verdict="revoked")
    assert page.locator("#cp-verdict").evaluate("el => el.scrollHeight > el.clientHeight")
    assert page.locator("#cp-verdict").evaluate("el => el.scrollTop") == 0
    assert _in_view(page, "#cp-verdict-word"), "the verdict word is cut off"
    assert _in_view(page, "#cp-next"), "下一辆车 is below the fold"
    # Scrolled to the end, the button is still there, and nothing hides under it for good.
    page.locator("#cp-verdict").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    assert _in_view(page, "#cp-next") and _in_view(page, "#cp-v-cargo")


def test_offline_the_lists_age_keeps_counting_after_a_reload(
    phone,  # noqa: F811
    live_server,
    places,  # noqa: F811
):
    make_pass(plate="湘B12345", checkpoints=[places[0]])
    page, context = phone(locale="zh-CN")
    page.clock.install(time=datetime.datetime.now(datetime.UTC))
    at_checkpoint(page, live_server, "株洲西收费站")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()
    at_checkpoint(page, live_server, "株洲西收费站", ready=False)
    age = page.locator("#cp-lists-age")
    age.wait_for()
    before = age.inner_text()
    page.clock.fast_forward("01:30:00")
    after = age.inner_text()
    assert before != after and "1小时30分钟" in after, (before, after)
