"""The OCR engine reads offline: models from the wheel and the project, no socket opened."""

import hashlib
import re
import socket

import pytest

from passes.demo.scans import make_scan_bytes, make_scan_pdf
from passes.documents.ocr import engine


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to resolve a name or open a connection fails, as on an offline machine."""

    def refuse(*args, **kwargs):
        raise OSError("network unreachable (blocked by the test)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine.get_engine.cache_clear()  # load the models afresh, with the network gone
    yield
    engine.get_engine.cache_clear()


def _texts(result):
    return [line.text for line in result.lines]


def test_reads_a_jpeg_scan_with_the_network_unreachable(no_network):
    data = make_scan_bytes("机动车行驶证", ["号牌号码：湘B5J827", "车辆类型：重型货车"], seed=3)
    result = engine.read_file(data, "image/jpeg")
    texts = _texts(result)
    assert any("湘B5J827" in text for text in texts), texts
    assert result.pages == 1
    assert result.cpu_seconds > 0
    assert "rapidocr 3." in result.engine_version
    assert "PP-OCRv6_det_tiny" in result.engine_version
    assert "PP-OCRv6_rec_small" in result.engine_version
    line = next(line for line in result.lines if "湘B5J827" in line.text)
    assert 0.5 < line.confidence <= 1
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in line.box)


def test_the_shipped_detector_is_the_file_its_readme_names():
    """The detector ships in the repository: a truncated copy or a Git LFS pointer in its place
    would stop every reading, so its checksum is held against the one its README records."""
    models = engine._OWN_MODELS
    recorded = re.search(r"SHA-256: `([0-9a-f]{64})`", (models / "README.md").read_text())
    actual = hashlib.sha256((models / engine._MODELS["detector"]).read_bytes()).hexdigest()
    assert recorded and actual == recorded.group(1)


def test_a_scanned_pdf_is_rendered_and_read_page_by_page(no_network):
    data = make_scan_pdf("营业执照", ["代码：91430211MA4PHX7Q26"], pages=2, photo=False)
    result = engine.read_file(data, "application/pdf")
    assert result.pages == 2
    pages = {line.page for line in result.lines if "91430211MA4PHX7Q26" in line.text}
    assert pages == {1, 2}
    assert all(line.source == "ocr" for line in result.lines)


def test_a_pdf_text_layer_is_used_instead_of_ocr(monkeypatch):
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    drawing.setFont("STSong-Light", 14)
    drawing.drawString(72, 700, "号牌号码：湘B6K302")
    drawing.drawString(72, 680, "车辆类型：重型货车")
    drawing.save()

    def no_ocr(*args, **kwargs):
        raise AssertionError("a page with a text layer must not be rendered and read")

    monkeypatch.setattr(engine, "read_image", no_ocr)
    result = engine.read_file(buffer.getvalue(), "application/pdf")
    assert [line.text for line in result.lines] == ["号牌号码：湘B6K302", "车辆类型：重型货车"]
    assert {line.source for line in result.lines} == {"text_layer"}


def test_large_scans_are_downscaled_before_reading():
    from PIL import Image

    image = Image.new("RGB", (3000, 2000), "white")
    assert max(engine.downscale(image, 1280).size) == 1280
    small = Image.new("RGB", (800, 600), "white")
    assert engine.downscale(small, 1280).size == (800, 600)


def test_the_bounded_child_hands_back_only_the_red_channel():
    """A third of the bytes to copy out of the child; red seals come back as light as paper,
    black and blue ink as dark."""
    import io

    from PIL import Image, ImageDraw

    page = Image.new("RGB", (300, 200), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 99, 199), fill=(210, 30, 40))  # a seal's red
    draw.rectangle((100, 0, 199, 199), fill=(20, 30, 140))  # blue ink
    draw.rectangle((200, 0, 299, 199), fill=(0, 0, 0))
    buffer = io.BytesIO()
    page.save(buffer, "PNG")

    (drawn,) = engine.rasterise(buffer.getvalue(), "image/png", 1, 2000)

    assert drawn["size"] == (300, 200)
    assert len(drawn["pixels"]) == 300 * 200
    grey = Image.frombytes("L", drawn["size"], drawn["pixels"])
    assert [grey.getpixel((x, 100)) for x in (50, 150, 250)] == [210, 20, 0]


def test_one_onnx_thread_per_process(settings):
    engine.get_engine.cache_clear()
    try:
        models = engine.get_engine()
        for model in (models.detector, models.classifier, models.recogniser):
            options = model.session.session.get_session_options()
            assert options.intra_op_num_threads == settings.PASSDESK_OCR_THREADS == 1
    finally:
        engine.get_engine.cache_clear()


def _centre(box):
    return (sum(x for x, _y in box) / len(box), sum(y for _x, y in box) / len(box))


def test_boxes_of_a_small_card_on_a_turned_page_lie_over_its_text():
    """A card small on a large page is searched closer (cropped to its lines); when the page
    was also turned 90°, the boxes must still be placed on the page as stored, where the
    reviewer's viewer draws them, not on the crop."""
    import io

    from PIL import Image

    card = Image.open(
        io.BytesIO(
            make_scan_bytes(
                "机动车行驶证", ["号牌号码：湘B5J827", "所有人：株洲市物流公司"], seed=5
            )
        )
    ).convert("RGB")
    card.thumbnail((900, 900))
    page = Image.new("RGB", (2400, 1800), (236, 236, 232))
    page.paste(card, (200, 900))

    def read(image):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        lines = engine.read_file(buffer.getvalue(), "image/png").lines
        return next(line for line in lines if "湘B5J827" in line.text)

    upright = read(page)
    turned = read(page.transpose(Image.Transpose.ROTATE_90))  # counter-clockwise
    assert turned.turns == 3  # laid down (one turn left), then found upside down (two more)
    x, y = _centre(upright.box)
    expected = (y, 1.0 - x)  # where that point went when the page turned left
    found = _centre(turned.box)
    assert abs(found[0] - expected[0]) < 0.03 and abs(found[1] - expected[1]) < 0.03, (
        found,
        expected,
    )
