"""Headers for every response that carries a stored file's bytes (the portal's /files/ views,
the API's downloads, the admin's in-place viewer): a sandbox policy so a hostile scan cannot
run script in our origin even when a browser renders it, and a download name whose extension
is the type the content was sniffed as, never only the one the uploader claimed."""

from urllib.parse import quote

from .errors import clean_file_name

# Files never change once stored (a replacement is a new document), so a private cache helps
# a reviewer paging back and forth; shared caches must never keep them.
CACHE_CONTROL = "private, max-age=600"
PDF_POLICY = "sandbox"
IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
}


def download_name(document) -> str:
    """The original name, with the extension of what the file really is appended when the name
    says something else (``report.pdf.exe`` that is a PDF downloads as ``report.pdf.exe.pdf``)."""
    name = document.original_name or f"document-{document.pk}"
    extensions = EXTENSIONS.get(document.content_type, ())
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


def sandboxed(response, content_type: str, *, cache_control: str = CACHE_CONTROL):
    """Mark ``response`` (a stored file's bytes, or a picture drawn from them) as inert."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    response["Content-Security-Policy"] = (
        PDF_POLICY if content_type == "application/pdf" else IMAGE_POLICY
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
