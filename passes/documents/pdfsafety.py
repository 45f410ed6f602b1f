"""Is an uploaded PDF readable, unencrypted and free of active content?

pypdf reads the structure; the walk follows every dictionary and array reachable from the
document catalog (names trees, outlines, pages, annotations, form fields, action chains) but
never page contents, resources or appearance streams, so a 10 MB scan is not loaded into
memory. pdfium, which renders the previews, must be able to open the file too.
"""

import logging
import threading

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

logger = logging.getLogger(__name__)

# PDFium is not thread-safe: every call into it in this process goes through this lock.
PDFIUM_LOCK = threading.RLock()

# Keys that lead to page content, fonts, images and other drawing data: no actions live there,
# and following them would load the (possibly large) streams.
SKIP_KEYS = frozenset(
    {
        "/Contents",
        "/Resources",
        "/DR",
        "/AP",
        "/Thumb",
        "/Metadata",
        "/PieceInfo",
        "/Parent",
        "/P",
        "/Font",
        "/XObject",
        "/ColorSpace",
        "/Pattern",
        "/Shading",
        "/ExtGState",
        "/OutputIntents",
        "/StructTreeRoot",
        "/ParentTree",
        "/EF",
        "/Info",
    }
)
MAX_NODES = 50_000


class PdfProblem(Exception):
    """What is wrong with a PDF; ``kind`` is one of encrypted, unreadable, too_complex,
    javascript, xfa, launch, remote_action, automatic_link, embedded_file."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind, detail)
        self.kind = kind
        self.detail = detail


def open_pdf(stream) -> tuple[int, PdfReader]:
    """Open with pypdf, refuse encryption, count pages (raises ``PdfProblem``)."""
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            raise PdfProblem("encrypted")
        pages = len(reader.pages)
    except PdfProblem:
        raise
    except (PyPdfError, PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise PdfProblem("unreadable", repr(error)) from error
    except (RecursionError, IndexError, AssertionError, OSError) as error:
        raise PdfProblem("unreadable", repr(error)) from error
    if pages < 1:
        raise PdfProblem("unreadable", "no pages")
    return pages, reader


def find_active_content(reader: PdfReader) -> str | None:
    """The ``PdfProblem`` kind of the first active content found (``"javascript"``, ``"xfa"``,
    ``"launch"``, ``"remote_action"``, ``"automatic_link"``, ``"embedded_file"``), else None.
    Raises ``PdfProblem("too_complex")`` past ``MAX_NODES`` objects."""
    try:
        root = reader.trailer["/Root"]
    except (KeyError, PyPdfError) as error:
        raise PdfProblem("unreadable", repr(error)) from error
    # Each entry: (object, whether it is reached through an action that runs by itself).
    seen: set[tuple[int, int, bool]] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    visited = 0
    try:
        while stack:
            node, automatic = stack.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation, automatic)
                if key in seen:
                    continue
                seen.add(key)
                node = node.get_object()
            visited += 1
            if visited > MAX_NODES:
                raise PdfProblem("too_complex")
            if isinstance(node, DictionaryObject):
                found = _dangerous(node, automatic)
                if found:
                    return found
                stack.extend(
                    (value, automatic or name in AUTOMATIC_KEYS)
                    for name, value in node.items()
                    if name not in SKIP_KEYS and isinstance(value, _CONTAINERS)
                )
            elif isinstance(node, ArrayObject):
                stack.extend((value, automatic) for value in node if isinstance(value, _CONTAINERS))
    except PdfProblem:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise PdfProblem("unreadable", repr(error)) from error
    return None


_CONTAINERS = (IndirectObject, DictionaryObject, ArrayObject)


# Actions under these keys run by themselves (on opening, on page or field events): a link
# there is followed without a click.
AUTOMATIC_KEYS = frozenset({"/OpenAction", "/AA"})
# Actions that reach outside the document: open another file (a UNC path leaks the reviewer's
# Windows credentials), post form data, import data.
REMOTE_ACTIONS = frozenset({"/GoToR", "/GoToE", "/SubmitForm", "/ImportData", "/Thread"})


def _dangerous(node: DictionaryObject, automatic: bool = False) -> str | None:
    action_type = node.get("/S")
    if action_type == "/Launch" or node.get("/Type") == "/Launch":
        return "launch"
    if action_type == "/JavaScript" or "/JS" in node:
        return "javascript"
    if "/XFA" in node:
        return "xfa"
    if action_type in REMOTE_ACTIONS:
        return "remote_action"
    if action_type == "/URI" and automatic:
        return "automatic_link"
    if (
        "/EmbeddedFiles" in node
        or "/EF" in node
        or node.get("/Type") == "/EmbeddedFile"
        or node.get("/Subtype") == "/FileAttachment"
    ):
        return "embedded_file"
    return None


def pdfium_page_count(stream) -> int:
    """A second opinion from the renderer the previews use."""
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(stream)
        except pdfium.PdfiumError as error:
            message = str(error).lower()
            kind = "encrypted" if "password" in message else "unreadable"
            raise PdfProblem(kind, str(error)) from error
        try:
            return len(pdf)
        finally:
            pdf.close()


def check_pdf(stream) -> int:
    """The page count of a safe PDF, or ``PdfProblem`` saying what is wrong."""
    stream.seek(0)
    pages, reader = open_pdf(stream)
    active = find_active_content(reader)
    if active:
        raise PdfProblem(active)
    stream.seek(0)
    rendered_pages = pdfium_page_count(stream)
    if rendered_pages != pages:
        logger.info("pypdf counts %s pages, pdfium %s", pages, rendered_pages)
    stream.seek(0)
    return max(pages, rendered_pages)
