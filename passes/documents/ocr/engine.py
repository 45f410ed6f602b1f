"""The OCR engine: RapidOCR (PP-OCR models on ONNX Runtime), loaded once per process.

The models ship inside the ``rapidocr-onnxruntime`` wheel, so reading never touches the
network. One ONNX thread per process: on a small machine several single-threaded worker
processes read more pages per CPU-second than one process spreading a page over all cores.
Images are downscaled to ``PASSDESK_OCR_MAX_SIDE`` pixels on their long side (what recognition
needs for a licence or an A4 page); PDFs are read page by page, from their own text layer when
they have one, otherwise rendered with pypdfium2.
"""

import functools
import io
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata

from django.conf import settings
from PIL import Image, ImageOps

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


def _pdf_text_layer(pdf_page, page_number: int) -> list[Line]:
    textpage = pdf_page.get_textpage()
    try:
        text = textpage.get_text_range() or ""
    finally:
        textpage.close()
    if len("".join(text.split())) < _MIN_TEXT_LAYER_CHARS:
        return []
    return [
        Line(text=line.strip(), confidence=1.0, page=page_number, source="text_layer")
        for line in text.splitlines()
        if line.strip()
    ]


def _read_pdf(data: bytes, max_pages: int) -> tuple[list[Line], int]:
    import pypdfium2 as pdfium

    max_side = settings.PASSDESK_OCR_MAX_SIDE
    document = pdfium.PdfDocument(data)
    try:
        pages = min(len(document), max_pages)
        lines: list[Line] = []
        for index in range(pages):
            pdf_page = document[index]
            try:
                layer = _pdf_text_layer(pdf_page, index + 1)
                if layer:
                    lines.extend(layer)
                    continue
                width, height = pdf_page.get_size()  # in points
                scale = max_side / max(width, height)
                bitmap = pdf_page.render(scale=scale)
                image = bitmap.to_pil().convert("RGB")
                bitmap.close()
                lines.extend(read_image(image, page=index + 1))
            finally:
                pdf_page.close()
        return lines, pages
    finally:
        document.close()


def _read_raster(data: bytes, max_pages: int) -> tuple[list[Line], int]:
    lines: list[Line] = []
    with Image.open(io.BytesIO(data)) as image:
        frames = min(getattr(image, "n_frames", 1), max_pages)
        for index in range(frames):
            image.seek(index)
            lines.extend(read_image(downscale(image), page=index + 1))
    return lines, frames


def read_file(data: bytes, content_type: str, *, max_pages: int | None = None) -> Result:
    """Read a stored scan (its bytes and sniffed content type): every page up to ``max_pages``."""
    max_pages = max_pages or settings.PASSDESK_OCR_MAX_PAGES
    get_engine()  # load outside the timing: a worker loads it once
    started, cpu_started = time.perf_counter(), time.process_time()
    if content_type == "application/pdf":
        lines, pages = _read_pdf(data, max_pages)
    else:
        lines, pages = _read_raster(data, max_pages)
    return Result(
        lines=lines,
        pages=pages,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        engine_version=engine_version(),
    )
