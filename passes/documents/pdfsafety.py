"""Is an uploaded PDF readable, unencrypted and free of active content?

pypdf reads the structure; the walk follows every dictionary and array reachable from the
document catalog (names trees, outlines, pages, annotations, form fields, action chains) but
never page contents, resources or appearance streams, so a 10 MB scan is not loaded into
memory. pdfium, which renders the previews, must be able to open the file too. Then
``drawing_cost`` weighs what drawing the pages would ask of a renderer (forms nested in forms,
operations with every form expanded, decoded content, image pixels) and refuses a file past
the ``PASSDESK_PDF_*`` limits before anything is drawn.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from dataclasses import dataclass

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

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
    javascript, xfa, launch, remote_action, automatic_link, embedded_file, and (from
    ``drawing_cost``) too_costly, too_many_pixels."""

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


def check_pdf(stream, limits: DrawingLimits | None = None) -> int:
    """The page count of a safe PDF whose pages cost at most ``limits`` to draw (the
    settings' when not given), or ``PdfProblem`` saying what is wrong."""
    stream.seek(0)
    pages, reader = open_pdf(stream)
    active = find_active_content(reader)
    if active:
        raise PdfProblem(active)
    drawing_cost(reader, limits or DrawingLimits.from_settings())
    stream.seek(0)
    rendered_pages = pdfium_page_count(stream)
    if rendered_pages != pages:
        logger.info("pypdf counts %s pages, pdfium %s", pages, rendered_pages)
    stream.seek(0)
    return max(pages, rendered_pages)


# --- What drawing the pages costs --------------------------------------------------------------
#
# A renderer runs a page's content stream and, for every ``Do``, the form XObject it names, and
# so on down: a 3 KB file whose forms each draw the next one 8 times, 8 levels deep, asks for
# 16.7 million drawings. The cost of every content stream is computed once (operators in it,
# plus the cost of each form it invokes, times the number of invocations), so the walk itself
# costs what the file weighs, never what its expansion would.

# An operator: a keyword token (letters, ' or ") after white space or a delimiter. Words inside
# strings and inline image data count too, which only makes the estimate larger.
_OPERATOR = re.compile(rb"(?<![^\s\[\]()<>{}])[A-Za-z'\"][A-Za-z0-9*'\"]*")
# ``/Name Do``: the name may be followed by white space and comments before ``Do``.
_NAME_USE = re.compile(rb"/([^\s/\[\]()<>{}%]*)")
_DO = re.compile(rb"(?<![^\s\[\]()<>{}])Do(?![^\s\[\]()<>{}/%])")
_DRAWING_RESOURCES = ("/XObject", "/Pattern", "/ExtGState", "/Font", "/Shading")


@dataclass(frozen=True)
class DrawingLimits:
    """Structural bounds checked before anything is drawn (the ``PASSDESK_PDF_*`` settings)."""

    max_depth: int
    max_operations: int
    max_content_bytes: int
    max_image_pixels: int
    max_total_pixels: int

    @classmethod
    def from_settings(cls):
        from django.conf import settings

        return cls(
            max_depth=settings.PASSDESK_PDF_MAX_FORM_DEPTH,
            max_operations=settings.PASSDESK_PDF_MAX_OPERATIONS,
            max_content_bytes=settings.PASSDESK_PDF_MAX_CONTENT_BYTES,
            max_image_pixels=settings.PASSDESK_UPLOAD_MAX_PIXELS,
            max_total_pixels=settings.PASSDESK_UPLOAD_MAX_TOTAL_PIXELS,
        )


@dataclass
class DrawingCost:
    """What drawing every page would take: operations with every form expanded, the deepest
    nesting of forms, decoded bytes of content read, pixels of the distinct images."""

    operations: int = 0
    depth: int = 0
    content_bytes: int = 0
    image_pixels: int = 0


class _CostWalk:
    def __init__(self, limits: DrawingLimits):
        self.limits = limits
        self.total = DrawingCost()
        self.memo: dict[tuple[int, int], tuple[int, int]] = {}  # stream -> (operations, depth)
        self.active: set[tuple[int, int]] = set()
        self.images: set[tuple[int, int]] = set()

    def _deep_enough(self, cost, depth):
        """A form seen before, now reached ``depth`` levels down: its nesting still counts."""
        if depth + cost[1] > self.limits.max_depth:
            raise PdfProblem("too_costly", f"forms nested deeper than {self.limits.max_depth}")
        return cost

    def _content(self, stream) -> bytes:
        """Decoded bytes of a content stream, never more than the budget left (a flate bomb
        stops at the budget, it is not inflated whole)."""
        left = self.limits.max_content_bytes - self.total.content_bytes
        filters = stream.get("/Filter")
        if isinstance(filters, ArrayObject) and len(filters) == 1:
            filters = filters[0]
        if filters == "/FlateDecode" and "/DecodeParms" not in stream:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(stream._data, left + 1)
            except zlib.error:
                data = b""  # a damaged stream draws nothing
        else:
            data = stream.get_data()
        self.total.content_bytes += len(data)
        if len(data) > left:
            raise PdfProblem("too_costly", f"content over {self.limits.max_content_bytes} bytes")
        return data

    def stream_cost(self, reference, depth: int) -> tuple[int, int]:
        """(operations, nesting below) of the content stream ``reference`` points at."""
        key = (reference.idnum, reference.generation) if hasattr(reference, "idnum") else None
        if key is not None:
            if key in self.memo:
                return self._deep_enough(self.memo[key], depth)
            if key in self.active:  # a form that draws itself: renderers stop, so do we
                raise PdfProblem("too_costly", "a form draws itself")
            self.active.add(key)
        stream = reference.get_object()
        try:
            if depth > self.limits.max_depth:
                raise PdfProblem("too_costly", f"forms nested deeper than {self.limits.max_depth}")
            cost = self._cost(stream, stream.get("/Resources"), depth)
        finally:
            if key is not None:
                self.active.discard(key)
        if key is not None:
            self.memo[key] = cost
        return cost

    def _cost(self, stream, resources, depth: int) -> tuple[int, int]:
        data = self._content(stream) if isinstance(stream, StreamObject) else b""
        return self._cost_of_bytes(data, resources, depth)

    def _cost_of_bytes(self, data: bytes, resources, depth: int) -> tuple[int, int]:
        operations = len(_OPERATOR.findall(data))
        children = self._children(resources, depth)
        nested = 0
        if children:
            uses: dict[bytes, int] = {}
            for match in _NAME_USE.finditer(data):
                uses[match.group(1)] = uses.get(match.group(1), 0) + 1
            do_count = len(_DO.findall(data))
            named_uses = 0
            costliest = 0
            for name, (child_ops, child_depth) in children.items():
                count = uses.get(name, 0)
                named_uses += count
                operations += count * child_ops
                costliest = max(costliest, child_ops)
                nested = max(nested, child_depth + 1)
            # A ``Do`` whose name is spelt another way (#xx escapes) is charged as the costliest.
            operations += max(0, do_count - named_uses) * costliest
        if operations > self.limits.max_operations:
            raise PdfProblem("too_costly", f"over {self.limits.max_operations} operations")
        return operations, nested

    def _children(self, resources, depth: int) -> dict[bytes, tuple[int, int]]:
        """Name (as written in content, without the slash) -> cost of what it draws."""
        resources = _resolved(resources)
        if not isinstance(resources, DictionaryObject):
            return {}
        found: dict[bytes, tuple[int, int]] = {}
        for category in _DRAWING_RESOURCES:
            entries = _resolved(resources.get(category))
            if not isinstance(entries, DictionaryObject):
                continue
            for name, value in entries.items():
                cost = self._resource_cost(category, value, depth)
                if cost is not None:
                    key = name[1:].encode("latin-1", "replace")
                    old = found.get(key, (0, 0))
                    found[key] = (max(old[0], cost[0]), max(old[1], cost[1]))
        return found

    def _resource_cost(self, category, value, depth) -> tuple[int, int] | None:
        target = _resolved(value)
        if not isinstance(target, DictionaryObject):
            return None
        if category == "/XObject":
            if target.get("/Subtype") == "/Image":
                self._image(value, target)
                return (1, 0)
            if target.get("/Subtype") == "/Form" and isinstance(value, IndirectObject):
                return self.stream_cost(value, depth + 1)
            return None
        if category == "/Pattern" and target.get("/PatternType") == 1:
            if isinstance(value, IndirectObject):
                return self.stream_cost(value, depth + 1)
            return None
        if category == "/ExtGState":
            mask = _resolved(target.get("/SMask"))
            if isinstance(mask, DictionaryObject) and isinstance(mask.get("/G"), IndirectObject):
                return self.stream_cost(mask.get("/G"), depth + 1)
            return None
        if category == "/Font" and target.get("/Subtype") == "/Type3":
            procs = _resolved(target.get("/CharProcs"))
            worst = None
            if isinstance(procs, DictionaryObject):
                for proc in procs.values():
                    if isinstance(proc, IndirectObject):
                        ops, nest = self._type3_glyph(proc, target, depth + 1)
                        worst = (max(ops, worst[0]), max(nest, worst[1])) if worst else (ops, nest)
            return worst
        return None

    def _type3_glyph(self, proc, font, depth):
        key = (proc.idnum, proc.generation)
        if key in self.memo:
            return self._deep_enough(self.memo[key], depth)
        if depth > self.limits.max_depth:
            raise PdfProblem("too_costly", f"forms nested deeper than {self.limits.max_depth}")
        if key in self.active:
            raise PdfProblem("too_costly", "a glyph draws itself")
        self.active.add(key)
        try:
            cost = self._cost(proc.get_object(), font.get("/Resources"), depth)
        finally:
            self.active.discard(key)
        self.memo[key] = cost
        return cost

    def _image(self, reference, image) -> None:
        key = (reference.idnum, reference.generation) if hasattr(reference, "idnum") else None
        if key in self.images:
            return
        self.images.add(key)
        try:
            pixels = int(image.get("/Width", 0)) * int(image.get("/Height", 0))
        except (TypeError, ValueError):
            raise PdfProblem("unreadable", "image size") from None
        if pixels > self.limits.max_image_pixels:
            raise PdfProblem("too_many_pixels", f"an image of {pixels} pixels")
        self.total.image_pixels += pixels
        if self.total.image_pixels > self.limits.max_total_pixels:
            raise PdfProblem("too_many_pixels", f"images of {self.total.image_pixels} pixels")


def _resolved(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def drawing_cost(reader: PdfReader, limits: DrawingLimits) -> DrawingCost:
    """What drawing every page of ``reader`` asks of a renderer, or ``PdfProblem`` (kind
    ``too_complex`` or ``too_many_pixels``) as soon as a limit is passed. Annotations'
    appearance streams are drawn with their page, so they count too."""
    walk = _CostWalk(limits)
    try:
        for page in reader.pages:
            contents = page.get("/Contents")
            resources = page.get("/Resources")
            streams = _resolved(contents)
            if isinstance(streams, ArrayObject):  # one page content in several streams
                parts = [_resolved(part) for part in streams]
                data = b"\n".join(
                    walk._content(part) for part in parts if isinstance(part, StreamObject)
                )
            elif isinstance(streams, StreamObject):
                data = walk._content(streams)
            else:
                data = b""
            page_ops, page_depth = walk._cost_of_bytes(data, resources, 0)
            annotations = _resolved(page.get("/Annots"))
            for annotation in annotations if isinstance(annotations, ArrayObject) else []:
                appearance = _resolved(_resolved(annotation).get("/AP"))
                normal = appearance.get("/N") if isinstance(appearance, DictionaryObject) else None
                # A dictionary of states instead of one stream: the state drawn is not checked
                # here (the renderer's bounds still hold).
                if isinstance(normal, IndirectObject) and isinstance(
                    normal.get_object(), StreamObject
                ):
                    ops, nest = walk.stream_cost(normal, 1)
                    page_ops += ops
                    page_depth = max(page_depth, nest + 1)
            walk.total.operations += page_ops
            walk.total.depth = max(walk.total.depth, page_depth)
            if walk.total.operations > limits.max_operations:
                raise PdfProblem("too_costly", f"over {limits.max_operations} operations")
    except PdfProblem:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise PdfProblem("unreadable", repr(error)) from error
    return walk.total
