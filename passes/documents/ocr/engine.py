"""The OCR engine: PP-OCRv6 text detection (tiny) and recognition (small) and RapidOCR's
direction classifier on ONNX Runtime, through RapidOCR's model wrappers, loaded once per process.

The recogniser and the classifier ship inside the ``rapidocr`` wheel, the detector beside this
module (``models/README.md``); all three are named by path, so reading never touches the
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
from pathlib import Path

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
    lowest: float | None = None  # the least sure character's confidence
    chars: list[float] = field(default_factory=list)  # each character's confidence
    turns: int = 0  # quarter turns to the left that set the page upright for reading

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "lowest": round(self.confidence if self.lowest is None else self.lowest, 3),
            "page": self.page,
            "box": [[round(x, 4), round(y, 4)] for x, y in self.box],
            "source": self.source,
            **({"turns": self.turns} if self.turns else {}),
            **({"chars": [round(value, 2) for value in self.chars]} if self.chars else {}),
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
            f"rapidocr {metadata.version('rapidocr')} ({_MODELS['detector']}, "
            f"{_MODELS['recogniser']}), onnxruntime {metadata.version('onnxruntime')}"
        )
    except metadata.PackageNotFoundError:
        return "unavailable"


# The model files: the detector shipped beside this module, the others inside the
# ``rapidocr`` wheel. Named by path: left to itself, RapidOCR downloads whatever its
# configuration names and is missing.
_MODELS = {
    "detector": "PP-OCRv6_det_tiny.onnx",
    "classifier": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "recogniser": "PP-OCRv6_rec_small.onnx",
}
_OWN_MODELS = Path(__file__).parent / "models"
# The normalisation the PP-OCR detectors were trained with (ImageNet's); RapidOCR's default,
# 0.5 and 0.5, hands the detector a page of less than half the contrast: 3 fields fewer of 468
# and 4 genuine documents fewer all-match on the development documents (docs/ocr.md).
_DETECTOR_MEAN = [0.485, 0.456, 0.406]
_DETECTOR_STD = [0.229, 0.224, 0.225]


@dataclass(frozen=True)
class Engine:
    """The three models the reader uses, each called on its own (``read_image``)."""

    detector: object  # rapidocr's TextDetector: page -> line boxes
    classifier: object  # TextClassifier: line -> upright or upside down
    recogniser: object  # TextRecognizer: its ONNX session and character list


@functools.cache
def get_engine() -> Engine:
    """The engine of this process, created on first use (about 1 CPU-s with its imports,
    ~120 MB)."""
    try:
        import rapidocr
    except ImportError as error:  # the package or a native library missing
        raise EngineUnavailable(str(error)) from error
    models = Path(rapidocr.__file__).parent / "models"
    threads = settings.PASSDESK_OCR_THREADS
    ocr = rapidocr.RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # The detector's own default ("min" 736) enlarges every page until its short side
            # is 736 pixels: an A4 page at 960 was searched at 1040 x 736, a card's region
            # larger still. "max" searches what ``_detect`` hands it, never enlarged.
            "Det.limit_type": "max",
            "Det.limit_side_len": DETECT_SIDE,
            "Det.mean": _DETECTOR_MEAN,
            "Det.std": _DETECTOR_STD,
            "Det.model_path": str(_OWN_MODELS / _MODELS["detector"]),
            "Cls.model_path": str(models / _MODELS["classifier"]),
            "Rec.model_path": str(models / _MODELS["recogniser"]),
        }
    )
    # RapidOCR loads each model on its first page; a worker loads them now, once, before the
    # bounded child forks.
    return Engine(
        detector=ocr._load_det_model(),
        classifier=ocr._load_cls_model(),
        recogniser=ocr._load_rec_model(),
    )


def downscale(image: Image.Image, max_side: int | None = None) -> Image.Image:
    """The page's red channel (a grey image, what ``prepare`` reads), no larger than
    ``max_side`` on its long side, turned upright by its EXIF. The channel is taken before
    scaling: a third of the work, the same pixels (each channel is scaled on its own)."""
    max_side = max_side or settings.PASSDESK_OCR_MAX_SIDE
    width, height = image.size
    if getattr(image, "format", None) == "JPEG" and max(width, height) > max_side:
        # Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding (no larger than asked
        # for): a 12-megapixel photo costs a quarter of a full decode.
        scale = max_side / max(width, height)
        image.draft("RGB", (int(width * scale), int(height * scale)))
    red = red_channel(ImageOps.exif_transpose(image))
    if max(red.size) > max_side:
        red.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return red


def red_channel(image: Image.Image) -> Image.Image:
    """The red channel as a grey image: the one channel the reader uses (red seals fade in
    it, black and blue ink stay dark). A grey image is taken to be that channel already."""
    if image.mode == "L":
        return image
    return (image if image.mode == "RGB" else image.convert("RGB")).getchannel("R")


# Detection runs on the page scaled to this long side, never enlarged (a card on a bed is
# searched again, closer). The tiny detector at 960 costs about 0.7 of what PP-OCRv4's did at
# 736 and found the lines of 7 more fields of 468 than at 736 (docs/ocr.md); recognition crops
# each line from the larger working image, so small print keeps its detail.
DETECT_SIDE = 960
# A page whose text mostly stands upright (lines taller than wide, by their length) was turned
# 90°. By length, not by count: a card's scattered single characters (a watermark, a seal's
# ring, a vertical caption) are found as small square boxes that, counted one by one,
# outvoted its three long lines.
_TURNED_SHARE = 0.5
# Lines tried by the direction classifier to tell an upright page from one upside down.
_DIRECTION_SAMPLE = 6


def prepare(image: Image.Image):
    """The page as the engine should see it (a 3-channel uint8 array): the red channel (or the
    grey image ``rasterise`` hands back, which is that channel) as grey,
    so black and blue ink stay dark while red seals and stamps fade; divided by the paper's own
    brightness around each point (a heavily blurred copy), so a desk filling the frame, a
    shadow or a lamp's gradient leave the paper white and the print dark; then levelled from
    the darkest print to a little below the paper, so what is left of a seal turns white."""
    import cv2
    import numpy as np

    red = np.asarray(red_channel(image))
    height, width = red.shape
    small_side = 64
    scale = small_side / max(height, width)
    small = cv2.resize(red, (max(1, int(width * scale)), max(1, int(height * scale))))
    # The paper: the brightest nearby (text is thin, so a dilation covers it), then smoothed.
    paper = cv2.dilate(small, np.ones((3, 3), np.uint8))
    paper = cv2.GaussianBlur(paper, (0, 0), 2)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    flat = red.astype(np.float32) / np.maximum(paper.astype(np.float32), 16.0)
    black = float(np.percentile(flat, 0.5))
    white = black + _WHITE_POINT * (1.0 - black)
    grey = np.clip((flat - black) * (255.0 / max(white - black, 1e-3)), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


_WHITE_POINT = 0.85


def _detect(engine, pixels):
    """Line boxes (4 corner points, in ``pixels``' coordinates), top to bottom, found on a copy
    no larger than ``DETECT_SIDE``."""
    import cv2
    import numpy as np

    height, width = pixels.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(height, width))
    small = pixels
    if scale < 1.0:
        small = cv2.resize(
            pixels, (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA
        )
    boxes = engine.detector(small).boxes
    if boxes is None or len(boxes) == 0:
        return []
    # Sorted again at the page's scale: lines whose tops lie within 10 pixels read as one row.
    return list(engine.detector.sorted_boxes(np.asarray(boxes, dtype=np.float32) / scale))


def _crop(pixels, box):
    """The line's pixels, straightened; lines standing upright are laid down (turned left)."""
    import cv2
    import numpy as np

    points = np.asarray(box, dtype=np.float32)
    width = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    height = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    crop = cv2.warpPerspective(
        pixels, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if height / width >= 1.5:
        crop = np.rot90(crop)
    return crop


def _sides(box) -> tuple[float, float]:
    """(width, height) of a line's box: the lengths of its top and left sides."""
    import numpy as np

    points = np.asarray(box)
    width = np.linalg.norm(points[0] - points[1])
    height = np.linalg.norm(points[0] - points[3])
    return float(width), float(height)


def _upright(box) -> bool:
    width, height = _sides(box)
    return height >= 1.5 * width


def _turned(boxes) -> bool:
    """Whether most of the page's text, measured along its lines, stands upright."""
    lengths = [max(_sides(box)) for box in boxes]
    upright = sum(length for box, length in zip(boxes, lengths, strict=True) if _upright(box))
    return upright > _TURNED_SHARE * sum(lengths)


def _upside_down(engine, crops) -> bool:
    """Whether most of the widest lines read upside down (the direction classifier)."""
    if not crops:
        return False
    widest = sorted(crops, key=lambda crop: crop.shape[1] / max(crop.shape[0], 1))[
        -_DIRECTION_SAMPLE:
    ]
    results = engine.classifier(widest).cls_res
    flipped = sum(1 for label, score in results if label == "180" and score > 0.8)
    return flipped * 2 > len(results)


# Each line is read alone at its own width, never narrower than one square character. The
# engine's own recogniser pads every line to at least 320 x 48 pixels (its training size) and a
# batch to its widest line: three lines in four on these pages are short labels and values, so
# about half the recognition was padding, and reading them unpadded gave the same fields
# (docs/ocr.md).
_NARROWEST_LINE = 1.0


def _recognise(engine, crops):
    """(text, mean confidence, lowest character confidence, each character's confidence) per
    crop, CTC-decoded here so each character's certainty is known: a look-alike read unsurely
    shows in its own confidence, not averaged away over the line."""
    import numpy as np

    recogniser = engine.recogniser
    characters = recogniser.postprocess_op.character
    results = []
    for crop in crops:
        ratio = max(_NARROWEST_LINE, crop.shape[1] / crop.shape[0])
        inputs = recogniser.resize_norm_img(crop, ratio)[np.newaxis, :].astype(np.float32)
        prediction = recogniser.session(inputs)[0]
        index, probability = prediction.argmax(axis=1), prediction.max(axis=1)
        keep = index != 0
        keep[1:] &= index[1:] != index[:-1]
        confidences = probability[keep]
        if not len(confidences):
            results.append(("", 0.0, 0.0, []))
            continue
        results.append(
            (
                "".join(characters[k] for k in index[keep]),
                float(confidences.mean()),
                float(confidences.min()),
                [float(value) for value in confidences],
            )
        )
    return results


def read_image(image: Image.Image, *, page: int = 1) -> list[Line]:
    """The lines the engine finds on one (already downscaled) page image."""
    import numpy as np

    engine = get_engine()
    whole = prepare(image)  # the whole page, as the engine sees it
    turns = 0  # quarter turns to the left given to the page
    with _lock:  # one page at a time per process: ONNX sessions are shared
        pixels, offset, boxes = _find_lines(engine, whole)
        # A turned page is turned whole and searched again (not the region found on it: the
        # boxes are placed on the page through the offset of the last search only).
        if boxes and _turned(boxes):
            whole, turns = np.ascontiguousarray(np.rot90(whole)), 1  # turned 90°: lay it down
            pixels, offset, boxes = _find_lines(engine, whole)
        crops = [_crop(pixels, box) for box in boxes]
        if _upside_down(engine, crops):
            whole, turns = np.ascontiguousarray(np.rot90(whole, 2)), turns + 2
            pixels, offset, boxes = _find_lines(engine, whole)
            crops = [_crop(pixels, box) for box in boxes]
        wanted = _worth_reading(boxes)
        found = _recognise(engine, [crop for crop, keep in zip(crops, wanted, strict=True) if keep])
    boxes = [box for box, keep in zip(boxes, wanted, strict=True) if keep]
    height, width = offset[2:]
    lines = []
    for box, (text, confidence, lowest, chars) in zip(boxes, found, strict=True):
        if not text.strip() or confidence < _MIN_CONFIDENCE:
            continue
        points = [[(float(x) + offset[0]) / width, (float(y) + offset[1]) / height] for x, y in box]
        for _turn in range(turns % 4):  # back to the page as stored (and as shown)
            points = [[1.0 - y, x] for x, y in points]
        lines.append(
            Line(
                text=text,
                confidence=confidence,
                lowest=lowest,
                chars=chars,
                page=page,
                box=points,
                turns=turns % 4,
            )
        )
    return lines


# When the lines found fill less than this share of the page (a card on a flatbed, a sheet
# far from the phone), the page is cropped to them and searched again, closer.
_ZOOM_BELOW = 0.4


def _find_lines(engine, pixels):
    """(pixels to crop lines from, (left, top, page height, page width) of those pixels on
    the page, boxes): the page searched once at ``DETECT_SIDE``, and once more cropped to
    where its lines are when they fill only a small part of it."""
    height, width = pixels.shape[:2]
    boxes = _detect(engine, pixels)
    whole = (0, 0, height, width)
    if not boxes:
        return pixels, whole, boxes
    import numpy as np

    points = np.concatenate([np.asarray(box) for box in boxes])
    left, top = points.min(axis=0)
    right, bottom = points.max(axis=0)
    if (right - left) * (bottom - top) >= _ZOOM_BELOW * width * height:
        return pixels, whole, boxes
    margin = 0.04 * max(right - left, bottom - top)
    left, top = int(max(0, left - margin)), int(max(0, top - margin))
    right, bottom = int(min(width, right + margin)), int(min(height, bottom + margin))
    region = np.ascontiguousarray(pixels[top:bottom, left:right])
    closer = _detect(engine, region)
    if not closer:
        return pixels, whole, boxes
    return region, (left, top, height, width), closer


# Lines much smaller than the page's usual print are English sub-labels, footnotes and
# captions: no field stands in them, and skipping them saves a fifth of the recognition.
_SMALL_PRINT = 0.55


def _worth_reading(boxes) -> list[bool]:
    import numpy as np

    if len(boxes) < 6:
        return [True] * len(boxes)
    heights = [min(_sides(box)) for box in boxes]  # a line's height, lying or standing
    usual = float(np.median(heights))
    return [height >= _SMALL_PRINT * usual for height in heights]


# Lines read less surely than this are noise (a seal's rim, a photo's edge), as the engine's
# own ``text_score`` has it.
_MIN_CONFIDENCE = 0.5


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
    """The page's red channel, all ``prepare`` reads of it: a third of the bytes to copy back
    from the child (an A4 page at 2000 pixels is 2.8 MB instead of 8.4)."""
    red = red_channel(image)
    return {"size": red.size, "pixels": red.tobytes()}


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
                try:  # the image shares the bitmap's memory: read it before closing
                    pages.append(_pixels(bitmap.to_pil()))
                finally:
                    bitmap.close()
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
    """Runs in the bounded child: each page's text layer (``{"text": [...]}``) or its red
    channel, at most ``max_side`` on the long side (``{"size", "pixels"}``): plain values only."""
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
        max_result_bytes=max_pages * settings.PASSDESK_OCR_MAX_SIDE**2 + 2**20,
    )
    lines: list[Line] = []
    for number, page in enumerate(drawn.value, start=1):
        if "text" in page:
            lines.extend(
                Line(text=text, confidence=1.0, page=number, source="text_layer")
                for text in page["text"]
            )
        else:
            image = Image.frombytes("L", tuple(page["size"]), page["pixels"])
            lines.extend(read_image(image, page=number))
    return Result(
        lines=lines,
        pages=len(drawn.value),
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started + drawn.usage.cpu_seconds,
        engine_version=engine_version(),
    )
