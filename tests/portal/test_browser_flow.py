"""End to end in headless Chromium: sign up, get verified, add a vehicle and a driver, file a
request with uploaded scans (one refused on the spot), submit, and see the status page.

Screenshots at phone and desktop width go to ``PORTAL_SCREENSHOT_DIR`` when it is set, so a
person can look at the pages; they are never written into the repository.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from passes.models import Enterprise, PassRequest
from passes.models.imports import ImportJob
from passes.requests import workflow
from tests import clock, factories, fixtures_files

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous code between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _shots(page, name):
    folder = os.environ.get("PORTAL_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=f"{folder}/{name}-{label}.png", full_page=True)
    page.set_viewport_size(PHONE)


def _file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_enterprise_files_a_request_in_the_browser(live_server, browser, tmp_path):
    from playwright.sync_api import expect

    officer = factories.UserFactory(username="officer-e2e", is_staff=True, groups=["Officers"])
    factories.PassTypeFactory(
        code="e2e-urban",
        name="E2E 城区货车通行证",
        max_validity_days=30,
        required_document_kinds=["business_licence", "vehicle_licence", "driving_licence"],
    )
    licence = _file(tmp_path, "营业执照.jpg", fixtures_files.jpeg_bytes(800, 600))
    vehicle_scan = _file(tmp_path, "行驶证.pdf", fixtures_files.pdf_bytes())
    driver_scan = _file(tmp_path, "驾驶证.png", fixtures_files.png_bytes(600, 400))
    fake_scan = _file(tmp_path, "not-a-scan.pdf", fixtures_files.elf_bytes())

    context = browser.new_context(viewport=PHONE, locale="en-US")
    clock.share_with_browser(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    url = live_server.url

    page.goto(url + "/")
    assert page.locator("h1").first.is_visible()
    _shots(page, "01-landing")
    # The language switch is a plain button per other language; the choice is remembered.
    page.click("button[name=language][value=zh-hans]")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    page.click("button[name=language][value=en]")
    assert page.evaluate("document.documentElement.lang") == "en"

    # Sign up: a first attempt with a wrong credit code shows the error summary, which takes
    # the focus and links to the field; the values typed are kept.
    page.goto(url + "/signup/")
    page.fill("#id_full_name", "王经理")
    page.fill("#id_login", "13912340000")
    page.fill("#id_password1", "Long-enough-pw-2022")
    page.fill("#id_password2", "Long-enough-pw-2022")
    page.fill("#id_enterprise_name", "株洲顺达物流有限公司")
    page.fill("#id_credit_code", "91430200ABCDEFGH12")
    page.fill("#id_address", "湖南省株洲市天元区黄河北路 1 号")
    page.fill("#id_contact_name", "王经理")
    page.fill("#id_contact_phone", "13912340000")
    page.set_input_files("#id_licence", licence)
    page.click("button[type=submit]:has-text('Register')")
    # expect() waits for the page the click leads to (a bare is_visible() raced it under load).
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.input_value("#id_enterprise_name") == "株洲顺达物流有限公司"
    _shots(page, "02-signup-errors")

    page.fill("#id_credit_code", factories.make_credit_code(4242))
    page.fill("#id_password1", "Long-enough-pw-2022")
    page.fill("#id_password2", "Long-enough-pw-2022")
    page.set_input_files("#id_licence", licence)
    page.click("button[type=submit]:has-text('Register')")
    page.wait_for_url(url + "/")
    expect(page.locator(".banner-warning")).to_be_visible()

    # An officer verifies the enterprise (the admin action's service function).
    enterprise = Enterprise.objects.get(name="株洲顺达物流有限公司")
    workflow.set_enterprise_verification(
        enterprise, status=Enterprise.Verification.VERIFIED, by=officer
    )
    page.reload()
    assert page.locator(".banner-warning").count() == 0
    _shots(page, "03-dashboard")

    # Fleet: a vehicle (plate typed the way people type it) and a driver.
    page.goto(url + "/vehicles/new/")
    page.fill("#id_plate", "湘b·12345")
    page.select_option("#id_vehicle_type", "heavy_truck")
    page.click("button[type=submit]:has-text('Save')")
    expect(page.locator("h1")).to_have_text("湘B12345")
    page.goto(url + "/drivers/new/")
    page.fill("#id_name", "张三")
    page.fill("#id_id_number", factories.make_id_number(7))
    page.fill("#id_phone", "13812345678")
    page.click("button[type=submit]:has-text('Save')")
    expect(page.locator("h1")).to_contain_text("张三")
    page.goto(url + "/drivers/")
    _shots(page, "04-drivers")

    # A spreadsheet import: the good row is saved, the bad one listed with its line number.
    good_id = factories.make_id_number(8)
    csv_text = f"姓名,身份证号,手机号\n李四,{good_id},13812345679\n王五,123,13812345670\n"
    page.goto(url + "/imports/new/?kind=drivers")
    page.set_input_files("#id_file", _file(tmp_path, "drivers.csv", csv_text.encode()))
    page.click("button:has-text('Start the import')")
    page.wait_for_selector("#refused-title")
    refused_rows = page.locator("table.list tbody tr")
    assert refused_rows.count() == 1 and refused_rows.first.inner_text().startswith("3")
    _shots(page, "04b-import-result")
    page.goto(url + "/enterprise/")
    _shots(page, "04c-enterprise")

    # A long import as a worker would run it: the page polls the status view, moves the bar,
    # and shows the result once the job is finished.
    job = ImportJob.objects.create(
        enterprise=enterprise,
        kind="vehicles",
        original_name="slow.xlsx",
        status=ImportJob.Status.RUNNING,
        total=200,
        processed=50,
    )
    page.goto(url + f"/imports/{job.pk}/")
    page.wait_for_function("() => document.querySelector('#import-progress').value === 50")
    _shots(page, "04d-import-progress")
    ImportJob.objects.filter(pk=job.pk).update(processed=120)
    page.wait_for_function("() => document.querySelector('#import-progress').value === 120")
    assert "120" in page.locator("[data-progress-text]").inner_text()
    ImportJob.objects.filter(pk=job.pk).update(processed=200, created=200, status="done")
    page.wait_for_selector(".stats")
    assert page.locator("#import-progress").count() == 0

    # The wizard.
    page.goto(url + "/requests/new/")
    page.get_by_label("E2E 城区货车通行证").check()
    _shots(page, "05-wizard-type")
    page.click("button:has-text('Save and continue')")
    start = timezone.localtime() + datetime.timedelta(hours=2)
    page.select_option("#id_cargo_category", "raw_materials")
    page.fill("#id_cargo_description", "木材原料 20 吨")
    page.fill("#id_origin", "株洲市荷塘区")
    page.fill("#id_destination", "长沙市雨花区")
    page.fill("#id_route_description", "沪昆高速—京港澳高速")
    page.fill("#id_valid_from", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_valid_until", (start + datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Save and continue')")
    page.select_option("#id_vehicle", label="湘B12345")
    page.get_by_label("张三", exact=False).check()
    page.click("button:has-text('Add to the request')")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("湘B12345")
    page.click("button:has-text('Save and continue')")

    # Documents: the vehicle licence and a file that is not a scan, sent together; each file
    # gets its own progress bar and the refused one is explained on the spot.
    page.wait_for_selector("#doc-checklist")
    assert page.locator("#doc-checklist").inner_text().count("missing") == 2
    page.select_option("#id_kind", "vehicle_licence")
    page.select_option("#id_target", index=1)
    page.set_input_files("#id_file", [vehicle_scan, fake_scan])
    page.click("button:has-text('Upload')")
    page.wait_for_selector(".upload-item.ok")
    page.wait_for_selector(".upload-item.refused")
    refused = page.locator(".upload-item.refused .result").inner_text()
    assert "not-a-scan.pdf" in refused
    assert page.locator(".upload-item.ok progress").count() == 1
    # A refused upload shows no (full, blue) progress bar, only why it was refused.
    assert page.locator(".upload-item.refused progress").count() == 0
    page.wait_for_function(
        "() => document.querySelector('#doc-checklist').innerText.split('missing').length - 1 === 1"
    )
    _shots(page, "06-wizard-documents")

    page.select_option("#id_kind", "driving_licence")
    page.select_option("#id_target", label="Driver 张三")
    page.set_input_files("#id_file", driver_scan)
    page.click("button:has-text('Upload')")
    page.wait_for_function(
        "() => document.querySelectorAll('.upload-item.ok').length === 1 && "
        "!document.querySelector('#doc-checklist').innerText.includes('missing')"
    )
    page.click("button:has-text('Save and continue')")

    # Review and submit.
    page.wait_for_selector("button:has-text('Submit the request')")
    assert page.locator("[data-error-summary]").count() == 0
    _shots(page, "07-wizard-review")
    page.click("button:has-text('Submit the request')")
    # The confirmation page says what happens next, then leads to the request.
    page.wait_for_selector("#median-decision")
    assert "What happens next" in page.content()
    _shots(page, "08-submitted")
    page.click("a:has-text('Show the request')")
    page.wait_for_selector("#request-status")
    assert page.locator("#request-status").inner_text() == "Submitted"
    assert "Submitted" in page.locator(".timeline").inner_text()
    _shots(page, "09-request-page")

    pass_request = PassRequest.objects.get(enterprise=enterprise)
    assert pass_request.status == PassRequest.Status.SUBMITTED
    assert pass_request.documents.count() == 2
    context.close()
