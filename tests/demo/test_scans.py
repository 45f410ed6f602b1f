"""The demo's generated scans are real, acceptable uploads."""

import io

from PIL import Image

from passes.demo.scans import make_scan_bytes, make_scan_file, make_scan_image, make_scan_pdf
from passes.documents import inspect_upload


def test_scan_image_is_a_licence_sized_picture_that_repeats_for_the_same_arguments():
    lines = ["名称：株洲好媳妇家居用品有限公司", "住所：湖南省株洲市天元区"]
    first = make_scan_image("营业执照", lines, seed=3, size=(620, 437))
    again = make_scan_image("营业执照", lines, seed=3, size=(620, 437))
    other = make_scan_image("营业执照", lines, seed=4, size=(620, 437))
    assert first.size == (620, 437) and first.mode == "RGB"
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    # Ink on the paper: a good share of the pixels are dark, and the red seal is there.
    raw = first.tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    assert sum(1 for p in pixels if max(p) < 100) > len(pixels) // 200
    assert any(r > 150 and g < 80 and b < 80 for r, g, b in pixels)


def test_scan_files_pass_the_upload_inspection():
    jpeg = make_scan_file(
        "机动车行驶证", ["号牌号码：湘B12345"], name="行驶证.jpg", size=(600, 400)
    )
    png = make_scan_file("驾驶证", ["姓名：张三"], name="驾驶证.png", size=(600, 400))
    assert inspect_upload(jpeg).content_type == "image/jpeg"
    assert inspect_upload(png).content_type == "image/png"
    pdf = make_scan_pdf("承诺书", ["本企业承诺"], pages=2, photo=False, size=(310, 438))
    from django.core.files.uploadedfile import SimpleUploadedFile

    result = inspect_upload(SimpleUploadedFile("承诺书.pdf", pdf))
    assert (result.content_type, result.page_count) == ("application/pdf", 2)


def test_scan_bytes_are_jpeg_by_default():
    data = make_scan_bytes("核酸检测报告", ["结果：阴性"], size=(300, 200))
    assert Image.open(io.BytesIO(data)).format == "JPEG"
