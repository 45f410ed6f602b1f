"""The reviewer's page with a true and a false machine-check alarm side by side, for docs/ocr.md
(``ocr-alarms.png``: each document's card above its scan viewer), into docs/ocr/ or the folder
given.

    .venv/bin/python scripts/ocr_screenshots.py [folder]

Both documents come from the held-out generator (``bench/_ocr_heldout.py``), never from the
demo's: the true alarm is a driving licence filed with another person's ID number; the false
alarm is the first genuine driving licence (a phone photo, a page turned 90°, a 150 dpi scan or
a blurred photo; seeds 0, 1, ...) that the reader gets wrong. The demo is seeded into a
throw-away database (as ``scripts/screenshots.py`` does), the two drivers of a request in review
are given the filed name and ID number, the scans are uploaded as their standing licences and
read by the real engine (switched on for that step: the eager demo leaves OCR off); then
Chromium shows the review page in zh-CN.
"""

import json
import subprocess
import sys
from pathlib import Path

from screenshots import ROOT, demo_site, launch_chromium, sign_in

VIEWPORT = {"width": 1366, "height": 900}

# Run in the seeded database: pick the two samples, file them, read them; print the ids.
_FILE_ALARMS = r"""
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from bench._ocr_heldout import make_sample
from bench.ocr import _filed_document
from passes.documents import attach_document
from passes.documents.ocr import engine
from passes.documents.ocr.checks import outcome_of, run_checks
from passes.documents.ocr.extract import extract
from passes.models import Document, Driver, PassRequest

def outcome(sample):
    result = engine.read_file(sample.image, sample.content_type)
    lines = [line.as_dict() for line in result.lines]
    return outcome_of(run_checks(_filed_document(sample), extract(sample.kind, lines), lines))

true_alarm = make_sample("driving_licence", "scan300", seed=3, alteration="id_other")
false_alarm = next(
    sample
    for seed in range(40)
    for method in ("photo", "turned90", "scan150", "blurred")
    for sample in [make_sample("driving_licence", method, seed=seed)]
    if outcome(sample) == "mismatch"
)
request = next(
    request
    for request in PassRequest.objects.filter(status="in_review").order_by("pk")
    if Driver.objects.filter(request_items__request=request).distinct().count() >= 2
)
drivers = list(Driver.objects.filter(request_items__request=request).distinct().order_by("pk"))[:2]
applicant = get_user_model().objects.get(username="applicant")
documents = []
for driver, sample, name in zip(drivers, (true_alarm, false_alarm), ("true", "false")):
    Driver.objects.filter(pk=driver.pk).update(
        name=sample.filed["name"], id_number=sample.filed["id_number"]
    )
    driver.refresh_from_db()
    extension = "png" if sample.content_type == "image/png" else "jpg"
    upload = SimpleUploadedFile(
        f"{name}-alarm.{extension}", sample.image, content_type=sample.content_type
    )
    document = attach_document(
        enterprise=driver.enterprise, uploaded_file=upload, kind="driving_licence",
        by=applicant, driver=driver,
    )
    documents.append(document.pk)
print(json.dumps({"request": request.pk, "documents": documents}))
"""


def main() -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "ocr")
    out.mkdir(parents=True, exist_ok=True)
    with demo_site() as (base, env, var):
        found = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
            [sys.executable, "-c", "import django, json; django.setup();" + _FILE_ALARMS],
            cwd=ROOT, env={**env, "PASSDESK_OCR_ENABLED": "true"}, capture_output=True, text=True,
        )  # fmt: skip
        if found.returncode:
            raise SystemExit(found.stderr[-3000:])
        filed = json.loads(found.stdout.strip().splitlines()[-1])
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(locale="zh-CN", viewport=VIEWPORT, device_scale_factor=1)
            page = context.new_page()
            sign_in(page, base, "reviewer")
            page.goto(f"{base}/admin/passes/reviewqueue/{filed['request']}/change/")
            page.wait_for_load_state("networkidle")
            shots = []
            for name, pk in zip(("true", "false"), filed["documents"], strict=True):
                card = Path(var) / f"ocr-{name}-alarm-card.png"
                page.locator(f"#doc-{pk}").screenshot(path=str(card))
                viewer_path = page.get_attribute(f"#doc-{pk} .pd-thumb", "data-viewer")
                shots.append((card, base + viewer_path))
            # The scan viewer (what the card's thumbnail opens in place), on its own.
            for index, (card, viewer_url) in enumerate(shots):
                viewer = card.with_name(card.name.replace("-card", "-viewer"))
                page.goto(viewer_url)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(viewer))
                shots[index] = (card, viewer)
            browser.close()
        side_by_side(shots, out / "ocr-alarms.png", Image)
    print(out / "ocr-alarms.png")


def side_by_side(shots, target: Path, image_module) -> None:
    """Cards on the first row, their viewers under them: the true alarm left, the false one
    right."""
    columns = [[image_module.open(path) for path in pair] for pair in shots]
    width = max(image.width for column in columns for image in column)
    heights = [max(column[row].height for column in columns) for row in range(2)]
    gap = 24
    sheet = image_module.new("RGB", (2 * width + gap, sum(heights) + gap), "white")
    for index, column in enumerate(columns):
        top = 0
        for row, image in enumerate(column):
            sheet.paste(image, (index * (width + gap), top))
            top += heights[row] + gap
    sheet.quantize(colors=256).save(target, optimize=True)  # a quarter of the bytes, same look


if __name__ == "__main__":
    main()
