"""Printable passes: content, fonts, the QR code on the page, storage and downloads."""

import datetime
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from django.urls import reverse
from django.utils import translation
from PIL import Image

from passes.issuing import rendering
from passes.issuing.pdf import sheet as pdf
from passes.models import Pass, PassPdf
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.issuing import issued_passes, make_passes, member_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def needs(tool):
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"needs {tool} (poppler-utils)")


# The printed window is fixed so that the text can be checked; the clock is set the day before
# it, so that approval (which refuses a window already over) holds on any date.
BEFORE_THE_WINDOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def pass_request(enterprise, time_machine):
    time_machine.move_to(BEFORE_THE_WINDOW)
    enterprise.name = "株洲市荷塘区顺达物流有限责任公司"
    enterprise.save()
    checkpoint = factories.CheckpointFactory(name="湘江大桥卡口")
    request = factories.submittable_request(
        vehicles=2,
        enterprise=enterprise,
        valid_from=datetime.datetime(2026, 11, 28, 0, 0, tzinfo=SHANGHAI),
        valid_until=datetime.datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI),
    )
    request.checkpoints.add(checkpoint)
    return request


def write(tmp_path, record, name="out.pdf"):
    path = tmp_path / name
    with record.file.open("rb") as handle:
        path.write_bytes(handle.read())
    return path


def run(*command):
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


@needs("pdftotext")
def test_pdf_text_has_enterprise_plate_number_and_window(pass_request, tmp_path):
    first, second = make_passes(pass_request)
    record = rendering.request_pdf(pass_request)
    text = run("pdftotext", "-layout", str(write(tmp_path, record)), "-")
    assert text.count("株洲市荷塘区顺达物流有限责任公司") == 2  # one page each
    assert first.plate in text and second.plate in text
    assert "430200 " + first.number[6:] in text  # the number grouped for typing
    assert "2026-11-28 00:00" in text and "2026-12-04 24:00" in text  # Beijing time
    assert "湘江大桥卡口" in text
    driver = first.drivers.get()
    assert driver.masked_id_number in text
    assert driver.id_number not in text  # never the full ID number
    assert record.page_count == 2


@needs("pdffonts")
def test_every_font_is_embedded_and_no_helvetica(pass_request, tmp_path):
    make_passes(pass_request)
    path = write(tmp_path, rendering.request_pdf(pass_request))
    lines = run("pdffonts", str(path)).splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        columns = line.split()
        # name type encoding emb sub uni object ID: "emb" is the fifth column from the end
        assert columns[-5] == "yes", line
        assert "WenQuanYiMicroHei" in columns[0], line
    raw = path.read_bytes()
    assert b"Helvetica" not in raw and b"Times-Roman" not in raw


@needs("pdftoppm")
def test_qr_code_on_the_page_decodes_and_verifies(pass_request, tmp_path):
    (first, _second) = make_passes(pass_request)
    path = write(tmp_path, rendering.pass_pdf(first))
    run("pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page"))
    with Image.open(tmp_path / "page.png") as image:
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    text = found[0].text
    assert text.startswith("http://127.0.0.1:8000/v/")
    claims = signing.verify_token(signing.token_from_qr_text(text), signing_keys.server_keyring())
    assert (claims.number, claims.plate) == (first.number, first.plate)
    assert claims.valid_until == first.valid_until
    # zbar, the other common decoder, reads it too.
    if shutil.which("zbarimg"):
        zbar = run("zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")).strip()
        assert zbar == text


def test_qr_on_the_page_is_version_10_or_lower(pass_request):
    (first, _second) = make_passes(pass_request)
    token = signing_keys.sign_pass(first)
    count, modules = pdf.qr_modules(signing.verification_url(token))
    assert len(modules) == count * count
    assert (count - 17) // 4 <= 10


def test_revoked_pass_prints_with_a_watermark_and_leaves_the_combined_pdf(
    pass_request, officer, tmp_path, settings
):
    settings.LANGUAGE_CODE = "en"  # passes print in the office's language, whoever asks
    first, second = make_passes(pass_request)
    workflow.revoke_pass(first, by=officer, reason="vehicle sold")
    record = rendering.request_pdf(pass_request)
    assert record.page_count == 1  # only the pass still in force
    single = rendering.pass_pdf(first)
    if shutil.which("pdftotext"):
        # -raw keeps the diagonal watermark, which the layout mode leaves out.
        assert "REVOKED" in run("pdftotext", "-raw", str(write(tmp_path, single)), "-")
        assert "REVOKED" not in run("pdftotext", "-raw", str(write(tmp_path, record)), "-")


def test_stored_pdf_is_reused_until_something_printed_changes(
    pass_request, officer, django_capture_on_commit_callbacks
):
    first, _second = make_passes(pass_request)
    record = rendering.request_pdf(pass_request)
    again = rendering.request_pdf(pass_request)
    assert again.pk == record.pk and again.file.name == record.file.name
    assert again.rendered_at == record.rendered_at  # not rendered twice
    workflow.revoke_pass(first, by=officer, reason="driver changed")
    with django_capture_on_commit_callbacks(execute=True):
        stale = rendering.request_pdf(pass_request)
    assert stale.pk == record.pk and stale.fingerprint != record.fingerprint
    assert stale.page_count == 1
    # The replaced file is removed once the new one is committed.
    assert not record.file.storage.exists(record.file.name)
    assert stale.file.storage.exists(stale.file.name)
    # A file lost from storage is rendered again on demand.
    stale.file.storage.delete(stale.file.name)
    rerendered = rendering.request_pdf(pass_request)
    assert rerendered.file.storage.exists(rerendered.file.name)
    assert rerendered.rendered_at > stale.rendered_at


def test_key_rotation_makes_the_stored_pdf_stale(pass_request):
    make_passes(pass_request)
    record = rendering.request_pdf(pass_request)
    signing_keys.rotate_key()
    assert rendering.request_pdf(pass_request).fingerprint != record.fingerprint


def test_approval_renders_the_combined_pdf_after_commit(
    pass_request, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        passes = issued_passes(pass_request, reviewer=reviewer)
    record = PassPdf.objects.get(request=pass_request, pass_obj__isnull=True)
    assert record.page_count == len(passes) == 2
    assert record.file.storage.exists(record.file.name)
    with record.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_render_task_is_idempotent(pass_request):
    from passes.issuing.rendering import render_request_passes

    make_passes(pass_request)
    first = render_request_passes.delay(pass_request.pk).get()
    second = render_request_passes.delay(pass_request.pk).get()
    assert first == second
    assert PassPdf.objects.filter(request=pass_request).count() == 1


def test_long_values_are_cut_to_fit_not_lost_off_the_page(pass_request, tmp_path):
    pass_request.route_description = "沿湘江东岸北行" * 40
    pass_request.save()
    make_passes(pass_request)
    path = write(tmp_path, rendering.request_pdf(pass_request))
    if shutil.which("pdftotext"):
        assert "…" in run("pdftotext", str(path), "-")


# --- Downloads ------------------------------------------------------------------------------


@pytest.fixture
def issued(pass_request):
    return make_passes(pass_request)


def test_owner_downloads_pass_and_request_pdf(client, applicant, pass_request, issued):
    client.force_login(applicant)
    response = client.get(reverse("passes:pass-pdf", args=[issued[0].number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f'filename="passdesk-pass-{issued[0].number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    response = client.get(reverse("passes:request-passes-pdf", args=[pass_request.pk]))
    assert response.status_code == 200
    assert pass_request.reference in response["Content-Disposition"]


def test_reviewer_downloads(client, reviewer, pass_request, issued):
    client.force_login(reviewer)
    assert client.get(reverse("passes:pass-pdf", args=[issued[0].number])).status_code == 200
    url = reverse("passes:request-passes-pdf", args=[pass_request.pk])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("who", ["other_enterprise", "inspector"])
def test_others_get_404(client, who, inspector, pass_request, issued):
    user = inspector if who == "inspector" else member_of(factories.EnterpriseFactory(), "rival")
    client.force_login(user)
    assert client.get(reverse("passes:pass-pdf", args=[issued[0].number])).status_code == 404
    url = reverse("passes:request-passes-pdf", args=[pass_request.pk])
    assert client.get(url).status_code == 404
    assert not PassPdf.objects.exists()  # nothing rendered for them either


def test_anonymous_is_not_served(client, pass_request, issued):
    response = client.get(reverse("passes:pass-pdf", args=[issued[0].number]))
    assert response.status_code == 302 and "login" in response["Location"]
    response = client.get(reverse("passes:request-passes-pdf", args=[pass_request.pk]))
    assert response.status_code == 302


def test_request_without_printable_passes_is_404(client, applicant, pass_request, officer):
    for issued_pass in make_passes(pass_request):
        workflow.revoke_pass(issued_pass, by=officer, reason="cancelled")
    client.force_login(applicant)
    url = reverse("passes:request-passes-pdf", args=[pass_request.pk])
    assert client.get(url).status_code == 404
    assert Pass.objects.filter(request=pass_request, status="revoked").count() == 2


def test_public_keys_endpoint(client):
    signing_keys.create_key()
    signing_keys.rotate_key()
    response = client.get("/api/v1/keys/")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [key["state"] for key in keys] == ["retired", "active"]
    assert all(len(key["public_key"]) == 44 for key in keys)
    assert "PRIVATE" not in response.content.decode()
    ring = signing.Keyring.from_json(response.json())
    assert set(ring.keys) == {key["kid"] for key in keys}


@needs("pdftotext")
def test_validity_prints_as_an_inclusive_date_range(pass_request, tmp_path):
    make_passes(pass_request)
    text = run(
        "pdftotext", "-layout", str(write(tmp_path, rendering.request_pdf(pass_request))), "-"
    )
    # 2026-11-28 00:00 to 2026-12-05 00:00 is the seven days 11-28 … 12-04, both included.
    assert "2026-11-28 至 2026-12-04（含）" in text


def test_validity_range_writes_times_when_the_window_is_not_whole_days():
    start = datetime.datetime(2026, 11, 28, 8, 30, tzinfo=SHANGHAI)
    end = datetime.datetime(2026, 12, 1, 18, 0, tzinfo=SHANGHAI)
    with translation.override("zh-hans"):
        assert pdf.validity_range(start, end) == "2026-11-28 08:30 至 2026-12-01 18:00"


@needs("pdfimages")
def test_seal_image_comes_from_the_configuration(pass_request, tmp_path, settings):
    make_passes(pass_request)
    drawn = write(tmp_path, rendering.request_pdf(pass_request), "drawn.pdf")
    assert "image" not in run("pdfimages", "-list", str(drawn)).split("\n", 2)[-1]
    seal = tmp_path / "seal.png"
    Image.new("RGBA", (200, 200), (200, 0, 0, 255)).save(seal)
    settings.PASSDESK_SEAL_IMAGE = str(seal)
    configured = write(tmp_path, rendering.request_pdf(pass_request), "sealed.pdf")  # re-rendered
    listing = run("pdfimages", "-list", str(configured))
    assert "200   200" in listing or " 200  200 " in listing or "200" in listing.split("\n")[2]
