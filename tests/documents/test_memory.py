"""A 10 MB upload is never held whole in memory: Django streams it to a temporary file, and the
inspection and storage read it in chunks.

Measured with ``tracemalloc``, which counts Python allocations (a 10 MB ``bytes`` object would
show as 10 MB). Pixel buffers Pillow and pdfium allocate in C are not counted; they are bounded
by the pixel cap, and JPEGs are checked with 1/8-scale DCT decoding.
"""

import io
import tracemalloc
import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from passes.documents import attach_document
from passes.models import Document, DocumentKind
from tests import fixtures_files as files

MB = 1024 * 1024
TEN_MB_SCAN = 10 * MB - 8 * 1024  # just under the default cap
MEASURED = {}


@csrf_exempt
def upload_view(request):
    """What the portal and the API do with an upload, reduced to the call they share."""
    uploaded = request.FILES["file"]
    MEASURED["handler"] = type(uploaded)
    user = get_user_model().objects.get(pk=MEASURED["user"])
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
    if MEASURED.get("read_whole"):  # the control: what the measurement would catch
        uploaded.read()
        uploaded.seek(0)
    document = attach_document(
        enterprise=user.membership.enterprise,
        uploaded_file=uploaded,
        kind=DocumentKind.OTHER,
        by=user,
    )
    if tracing:
        MEASURED["peak"] = tracemalloc.get_traced_memory()[1] - before
    return JsonResponse({"id": document.pk, "size": document.size})


urlpatterns = [path("upload/", upload_view)]


@pytest.fixture(autouse=True)
def _setup(settings, applicant):
    MEASURED.clear()
    MEASURED["user"] = applicant.pk
    yield
    MEASURED.clear()


@pytest.fixture(scope="module")
def big_jpeg():
    return files.noise_jpeg_bytes(TEN_MB_SCAN)


@pytest.fixture(scope="module")
def big_pdf():
    return files.scanned_pdf_bytes(files.noise_jpeg_bytes(TEN_MB_SCAN - 2048))


def store_overhead() -> int:
    """What a PUT through boto3 allocates whatever the file's size (request signing, checksum
    and HTTP machinery: ~0.7 MB measured); the file itself still streams from disk, so a
    buffered 10 MB upload fails either way."""
    return MB if settings.STORAGES["default"]["BACKEND"].endswith("S3Storage") else 0


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ["jpeg", "pdf"])
def test_ten_megabyte_upload_lands_on_disk_and_is_checked_in_small_pieces(
    kind, client, big_jpeg, big_pdf, settings
):
    data = big_jpeg if kind == "jpeg" else big_pdf
    assert 9 * MB < len(data) <= settings.PASSDESK_UPLOAD_MAX_BYTES
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    client.post("/upload/", {"file": files.upload("warm-up.png", files.png_bytes())})

    tracemalloc.start()
    try:
        response = client.post("/upload/", {"file": files.upload(f"scan.{kind}", data)})
    finally:
        tracemalloc.stop()

    assert response.status_code == 200, response.content
    assert MEASURED["handler"] is TemporaryUploadedFile
    assert response.json()["size"] == len(data)
    # Inspecting (SHA-256, sniffing, Pillow or pypdf and pdfium) and storing a 10 MB file:
    print(f"{kind}: peak in attach_document {MEASURED['peak'] / MB:.2f} MB")
    assert MEASURED["peak"] < 1.5 * MB + store_overhead(), f"peak {MEASURED['peak'] / MB:.2f} MB"
    document = Document.objects.get(pk=response.json()["id"])
    with document.file.open("rb") as stored:
        assert stored.read() == data


@pytest.mark.urls(__name__)
def test_the_measurement_would_catch_a_whole_file_read(client, big_jpeg):
    MEASURED["read_whole"] = True
    tracemalloc.start()
    try:
        response = client.post("/upload/", {"file": files.upload("scan.jpg", big_jpeg)})
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert MEASURED["peak"] > 9 * MB


def _multipart_file_on_disk(tmp_path, name: str, data: bytes):
    boundary = uuid.uuid4().hex
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "request-body"
    with path.open("wb") as out:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        view = memoryview(data)
        for start in range(0, len(data), MB):
            out.write(view[start : start + MB])
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return path, f"multipart/form-data; boundary={boundary}"


@pytest.mark.urls(__name__)
def test_the_whole_request_stays_small_when_the_body_streams_from_the_socket(tmp_path, big_jpeg):
    """Django's multipart parsing, the temporary file, the inspection and the storage together,
    fed from a file standing in for the socket, so the body is never a bytes object here."""
    body, content_type = _multipart_file_on_disk(tmp_path, "scan.jpg", big_jpeg)
    handler = WSGIHandler()

    def call(path, content_type):
        statuses = []
        with path.open("rb") as stream:
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/upload/",
                "SERVER_NAME": "testserver",
                "SERVER_PORT": "80",
                "wsgi.url_scheme": "http",
                "wsgi.input": stream,
                "wsgi.errors": io.StringIO(),
                "CONTENT_TYPE": content_type,
                "CONTENT_LENGTH": str(path.stat().st_size),
            }
            # As Django's test client does: the test's database transaction must stay open.
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)
            try:
                response = handler(environ, lambda status, headers: statuses.append(status))
                try:
                    content = b"".join(response)
                finally:
                    response.close()  # as a WSGI server does: closes and removes the upload
            finally:
                request_started.connect(close_old_connections)
                request_finished.connect(close_old_connections)
        return statuses[0], content

    warm_up = _multipart_file_on_disk(tmp_path / "warm", "warm.png", files.png_bytes())
    assert call(*warm_up)[0].startswith("200")

    tracemalloc.start()
    try:
        status, content = call(body, content_type)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"whole request: peak {peak / MB:.2f} MB")
    assert status.startswith("200"), content
    assert MEASURED["handler"] is TemporaryUploadedFile
    assert peak < 2 * MB + store_overhead(), (
        f"peak {peak / MB:.2f} MB for a {len(big_jpeg) / MB:.1f} MB upload"
    )
