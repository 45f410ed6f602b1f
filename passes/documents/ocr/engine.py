"""The OCR engine: RapidOCR (PP-OCR models on ONNX Runtime), loaded once per process.

The models ship inside the ``rapidocr-onnxruntime`` wheel, so reading never touches the
network. One ONNX thread per process: on a small machine several single-threaded worker
processes read more pages per CPU-second than one process spreading a page over all cores.
Images are downscaled to ``PASSDESK_OCR_MAX_SIDE`` pixels on their long side (what recognition
needs for a licence or an A4 page); PDFs are read page by page, from their own text layer when
they have one, otherwise rendered with pypdfium2. The file is opened and drawn only in a
child process under the ``PASSDESK_RENDER_*`` bounds (``rasterise``); the engine reads the
pixels it hands back.
"""

import functools
import io
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata

from django.conf import settings
from PIL import Image, ImageOps

from ..sandbox import run_bounded_measured

# A text layer shorter than this (after removing white space) is a scanner's stray OCR crumb or
# an empty page; the page is rendered and read instead.
_MIN_TEXT_LAYER_CHARS = 8
_lock = threading.Lock()


class EngineUnavailable(Exception):
    """The OCR engine cannot be loaded on this machine (package or native library missing)."""


@dataclass
class Line:
    """One line of text: where it is on its page (corner points as fractions of the page's
    width and height, so they can be drawn over any rendering of the scan) and how sure the
    engine is."""

    text: str
    confidence: float
    page: int
    box: list[list[float]] = field(default_factory=list)
    source: str = "ocr"  # or "text_layer"

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "page": self.page,
            "box": [[round(x, 4), round(y, 4)] for x, y in self.box],
            "source": self.source,
        }


@dataclass
class Result:
    lines: list[Line]
    pages: int
    seconds: float
    cpu_seconds: float
    engine_version: str


def engine_version() -> str:
    try:
        return (
            f"rapidocr-onnxruntime {metadata.version('rapidocr-onnxruntime')}, "
            f"onnxruntime {metadata.version('onnxruntime')}"
        )
    except metadata.PackageNotFoundError:
        return "unavailable"


@functools.cache
def get_engine():
    """The engine of this process, created on first use (about 0.2 s, ~150 MB)."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as error:  # opencv's libGL missing, or the package not installed
        raise EngineUnavailable(str(error)) from error
    threads = settings.PASSDESK_OCR_THREADS
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)


def downscale(image: Image.Image, max_side: int | None = None) -> Image.Image:
    """An RGB copy no larger than ``max_side`` on its long side, turned upright by its EXIF."""
    max_side = max_side or settings.PASSDESK_OCR_MAX_SIDE
    image = ImageOps.exif_transpose(image).convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def read_image(image: Image.Image, *, page: int = 1) -> list[Line]:
    """The lines the engine finds on one (already downscaled) page image."""
    import numpy as np

    engine = get_engine()
    width, height = image.size
    # The red channel as grey on all three: black and blue ink stay dark while red seals and
    # stamps, pressed over the text of licences and reports, fade into the paper.
    # Levels: the paper (the median) and anything nearly as light (a faded seal) become white.
    red = np.asarray(image)[:, :, 0].astype(np.float32)
    black, paper = np.percentile(red, 1), np.median(red)
    white = black + 0.8 * max(paper - black, 1.0)
    grey = np.clip((red - black) * (255.0 / max(white - black, 1.0)), 0, 255).astype(np.uint8)
    pixels = np.ascontiguousarray(np.stack([grey, grey, grey], axis=-1))
    with _lock:  # one page at a time per process: ONNX sessions are shared
        found, _elapsed = engine(pixels)
    lines = []
    for box, text, confidence in found or []:
        lines.append(
            Line(
                text=str(text),
                confidence=float(confidence),
                page=page,
                box=[[float(x) / width, float(y) / height] for x, y in box],
            )
        )
    return lines


def _pdf_text_layer(pdf_page) -> list[str]:
    textpage = pdf_page.get_textpage()
    try:
        text = textpage.get_text_range() or ""
    finally:
        textpage.close()
    if len("".join(text.split())) < _MIN_TEXT_LAYER_CHARS:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _pixels(image: Image.Image) -> dict:
    return {"size": image.size, "pixels": image.tobytes()}


def _rasterise_pdf(data: bytes, max_pages: int, max_side: int) -> list[dict]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for index in range(min(len(document), max_pages)):
            pdf_page = document[index]
            try:
                layer = _pdf_text_layer(pdf_page)
                if layer:
                    pages.append({"text": layer})
                    continue
                width, height = pdf_page.get_size()  # in points
                scale = max_side / max(width, height)
                bitmap = pdf_page.render(scale=scale)
                image = bitmap.to_pil().convert("RGB")
                bitmap.close()
                pages.append(_pixels(image))
            finally:
                pdf_page.close()
        return pages
    finally:
        document.close()


def _rasterise_image(data: bytes, max_pages: int, max_side: int) -> list[dict]:
    pages = []
    with Image.open(io.BytesIO(data)) as image:
        for index in range(min(getattr(image, "n_frames", 1), max_pages)):
            image.seek(index)
            pages.append(_pixels(downscale(image, max_side)))
    return pages


def rasterise(data: bytes, content_type: str, max_pages: int, max_side: int) -> list[dict]:
    """Runs in the bounded child: each page's text layer (``{"text": [...]}``) or its RGB
    pixels, at most ``max_side`` on the long side (``{"size", "pixels"}``): plain values only."""
    if content_type == "application/pdf":
        return _rasterise_pdf(data, max_pages, max_side)
    return _rasterise_image(data, max_pages, max_side)


def read_file(data: bytes, content_type: str, *, max_pages: int | None = None) -> Result:
    """Read a stored scan (its bytes and sniffed content type): every page up to ``max_pages``."""
    max_pages = max_pages or settings.PASSDESK_OCR_MAX_PAGES
    get_engine()  # load outside the timing: a worker loads it once (before the child forks)
    started, cpu_started = time.perf_counter(), time.process_time()
    # The uploaded file is parsed and drawn only in a child the kernel bounds; the engine then
    # reads pixels of a known, small size (raises BoundExceeded / ChildFailed).
    drawn = run_bounded_measured(
        rasterise,
        data,
        content_type,
        max_pages,
        settings.PASSDESK_OCR_MAX_SIDE,
        memory_bytes=settings.PASSDESK_RENDER_MEMORY_BYTES,
        cpu_seconds=settings.PASSDESK_RENDER_CPU_SECONDS,
        wall_seconds=settings.PASSDESK_RENDER_WALL_SECONDS,
        max_result_bytes=max_pages * 3 * settings.PASSDESK_OCR_MAX_SIDE**2 + 2**20,
    )
    lines: list[Line] = []
    for number, page in enumerate(drawn.value, start=1):
        if "text" in page:
            lines.extend(
                Line(text=text, confidence=1.0, page=number, source="text_layer")
                for text in page["text"]
            )
        else:
            image = Image.frombytes("RGB", tuple(page["size"]), page["pixels"])
            lines.extend(read_image(image, page=number))
    return Result(
        lines=lines,
        pages=len(drawn.value),
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started + drawn.usage.cpu_seconds,
        engine_version=engine_version(),
    )
