"""The one private-file response: how every view that streams a stored file answers.

Scanned materials, their pages and thumbnails, and rendered pass PDFs leave through
``private_file_response`` alone, so every route (portal ``/files/``, the admin's viewer, the
API's downloads, the pass PDFs) sends the same protective headers: ``nosniff``, a sandboxing
Content-Security-Policy (a hostile PDF or image cannot run script or reach the page's origin),
``Cross-Origin-Resource-Policy: same-origin``, a private Cache-Control, and a
Content-Disposition whose name is safe (ASCII fallback plus the RFC 5987 UTF-8 name) and ends
in the extension of what the file really is.
"""

from urllib.parse import quote

from django.http import FileResponse, HttpResponse

from .errors import clean_file_name

# Scans never change once stored (a replacement is a new document): a private cache helps a
# reviewer paging back and forth. Pass PDFs change on revocation, so they are never cached.
CACHE_STORED = "private, max-age=600"
CACHE_NEVER = "private, no-store"
PDF_POLICY = "sandbox"
IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
}


def safe_name(name: str, content_type: str) -> str:
    """``name`` with the extension of what the file really is appended when it says something
    else (``scan.exe`` that is a PDF leaves as ``scan.exe.pdf``)."""
    extensions = EXTENSIONS.get(content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name


def content_disposition(disposition: str, filename: str) -> str:
    """``inline`` or ``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    filename = clean_file_name(filename)
    fallback = "".join(
        char if 32 <= ord(char) < 127 and char not in '"\\;%' else "_" for char in filename
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def private_file_response(
    content, *, content_type: str, filename: str, attachment=False, cache=CACHE_STORED
):
    """Stream ``content`` (an open binary file, never read into memory) or send ``bytes``."""
    if isinstance(content, bytes | bytearray):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        "attachment" if attachment else "inline", safe_name(filename, content_type)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    response["Content-Security-Policy"] = (
        PDF_POLICY if content_type == "application/pdf" else IMAGE_POLICY
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
