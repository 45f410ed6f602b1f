"""A generated set of scanned materials for measuring machine reading: licences and reports
drawn with the demo's scan generator, then spoiled as real scans are (rotation, blur, JPEG
quality 40, a stamp over the text, low contrast). Each sample knows the fields drawn on it.
"""

import datetime
import io
import random
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter

from passes import validators
from passes.demo.scans import SEAL, _font, make_scan_image

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = "建军芳志强丽华伟敏静磊洋勇艳杰娟涛明超秀兰霞平刚桂英"
COMPANY_WORDS = ["湘运", "好媳妇", "天元", "荷塘", "芦淞", "石峰", "渌口", "醴陵", "攸县", "炎陵"]
COMPANY_TRADES = ["物流", "家居用品", "冷链", "建材", "粮油", "医药"]
VEHICLE_TYPES = {
    "heavy_truck": "重型厢式货车",
    "medium_truck": "中型栏板货车",
    "light_truck": "轻型普通货车",
    "refrigerated": "冷藏车",
    "tanker": "罐式货车",
    "tractor": "重型半挂牵引车",
}
QUALITIES = ("clean", "rotated", "blurred", "jpeg40", "stamped", "low_contrast")
KINDS = (
    "business_licence",
    "vehicle_licence",
    "driving_licence",
    "nucleic_acid_test",
    "commitment_letter",
)
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def credit_code(rng) -> str:
    body = (
        "91430"
        + rng.choice("123")
        + "0"
        + rng.choice("12")
        + "".join(rng.choice(validators.CREDIT_CODE_ALPHABET) for _ in range(9))
    )
    return body + validators.credit_code_check_character(body)


def id_number(rng) -> str:
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(16000))
    body = f"4302{rng.randrange(1, 30):02d}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + validators.id_number_check_character(body)


def plate(rng) -> str:
    if rng.random() < 0.2:
        return "湘B" + rng.choice("DF") + "".join(rng.choice("0123456789") for _ in range(5))
    tail = [rng.choice(PLATE_CHARS.replace("I", "").replace("O", "")) for _ in range(5)]
    tail[-1] = rng.choice("0123456789")
    return "湘" + rng.choice("ABCDEF") + "".join(tail)


def altered(value: str, rng) -> str:
    """The same identifier with one character changed, still valid: what a wrong plate or a
    borrowed licence looks like."""
    for _ in range(100):
        position = rng.randrange(2, len(value) - 1)
        pool = "0123456789"
        candidate = (
            value[:position] + rng.choice(pool.replace(value[position], "")) + value[position + 1 :]
        )
        if len(value) == 18 and candidate[:2] == "91":
            candidate = candidate[:17] + validators.credit_code_check_character(candidate[:17])
        elif len(value) == 18:
            candidate = candidate[:17] + validators.id_number_check_character(candidate[:17])
        try:
            (
                validators.validate_plate
                if len(value) < 18
                else validators.validate_credit_code
                if value[:2] == "91"
                else validators.validate_id_number
            )(candidate)
        except Exception:  # noqa: S112 - try another character
            continue
        if candidate != value:
            return candidate
    raise ValueError(value)


@dataclass
class Sample:
    kind: str
    quality: str
    truth: dict  # the fields drawn on the scan, normalised as extraction returns them
    filed: dict  # what the enterprise filed (differs from truth on altered samples)
    image: bytes = b""
    altered: bool = False
    extra: dict = field(default_factory=dict)


def _person(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _company(rng):
    return f"株洲{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"


def draw_lines(kind, truth) -> tuple[str, list[str]]:
    if kind == "business_licence":
        return "营业执照", [
            f"统一社会信用代码：{truth['credit_code']}",
            f"名称：{truth['enterprise_name']}",
            "类型：有限责任公司",
            "住所：湖南省株洲市天元区栗雨路88号",
        ]
    if kind == "vehicle_licence":
        return "机动车行驶证", [
            f"号牌号码：{truth['plate']}",
            f"车辆类型：{truth['vehicle_type']}",
            f"所有人：{truth['owner']}",
            "使用性质：货运",
        ]
    if kind == "driving_licence":
        return "机动车驾驶证", [
            f"证号：{truth['id_number']}",
            f"姓名：{truth['name']}",
            f"准驾车型：{truth['licence_class']}",
            "有效期限：2020-03-01至2026-03-01",
        ]
    if kind == "nucleic_acid_test":
        sampled = datetime.datetime.fromisoformat(truth["sampled_at"])
        return "核酸检测报告", [
            f"姓名：{truth['name']}",
            f"证件号码：{truth['id_number']}",
            f"采样时间：{sampled:%Y-%m-%d %H:%M}",
            "检测结果：阴性（-）" if truth["result"] == "negative" else "检测结果：阳性（+）",
        ]
    return "疫情防控承诺书", [
        f"申请单位：{truth['enterprise_name']}",
        "本单位承诺所报材料真实有效，",
        "严格按核定线路通行。",
    ]


def make_truth(kind, rng, now):
    if kind == "business_licence":
        return {"credit_code": credit_code(rng), "enterprise_name": _company(rng)}
    if kind == "vehicle_licence":
        vehicle_type = rng.choice(list(VEHICLE_TYPES))
        return {
            "plate": plate(rng),
            "vehicle_type": VEHICLE_TYPES[vehicle_type],
            "owner": _company(rng),
            "_type_key": vehicle_type,
        }
    if kind == "driving_licence":
        return {
            "name": _person(rng),
            "id_number": id_number(rng),
            "licence_class": rng.choice(["A2", "B2", "C1", "A1", "B1"]),
        }
    if kind == "nucleic_acid_test":
        sampled = now - datetime.timedelta(minutes=rng.randrange(60, 40 * 60))
        return {
            "name": _person(rng),
            "id_number": id_number(rng),
            "sampled_at": sampled.replace(second=0, microsecond=0).isoformat(timespec="minutes"),
            "result": "negative",
        }
    return {"enterprise_name": _company(rng)}


def spoil(image: Image.Image, quality: str, rng) -> bytes:
    """Encode the scan as JPEG after spoiling it the way ``quality`` names."""
    jpeg_quality = 82
    if quality == "rotated":
        image = image.rotate(
            rng.choice((-1, 1)) * rng.uniform(3, 5),
            resample=Image.Resampling.BICUBIC,
            expand=True,
            fillcolor=(225, 222, 212),
        )
    elif quality == "blurred":
        image = image.filter(ImageFilter.GaussianBlur(1.3))
    elif quality == "jpeg40":
        jpeg_quality = 40
    elif quality == "stamped":
        # Seal ink over print darkens, never lightens, what is under it: multiply the layers.
        stamp = Image.new("RGB", image.size, "white")
        draw = ImageDraw.Draw(stamp)
        width, height = image.size
        cx, cy, radius = int(width * rng.uniform(0.3, 0.55)), int(height * 0.42), height // 6
        ink = SEAL
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=ink, width=6)
        draw.text((cx, cy), "审核专用章", ink, _font(max(12, radius // 4)), anchor="mm")
        image = ImageChops.multiply(image, stamp)
    elif quality == "low_contrast":
        image = ImageEnhance.Contrast(image).enhance(0.35)
        image = ImageEnhance.Brightness(image).enhance(1.15)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=jpeg_quality, dpi=(150, 150))
    return buffer.getvalue()


def make_samples(count: int = 210, *, seed: int = 11, altered_share: float = 0.2, now=None):
    """``count`` samples: every kind at every quality in turn; about ``altered_share`` of the
    identifier-bearing ones filed with a different (valid) identifier than the scan shows."""
    rng = random.Random(seed)
    now = now or datetime.datetime.now(datetime.UTC).astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    )
    samples = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        quality = QUALITIES[(index // len(KINDS)) % len(QUALITIES)]
        truth = make_truth(kind, rng, now)
        type_key = truth.pop("_type_key", None)
        filed = dict(truth)
        is_altered = False
        key = {"business_licence": "credit_code", "vehicle_licence": "plate"}.get(
            kind, "id_number" if kind in ("driving_licence", "nucleic_acid_test") else None
        )
        if key and rng.random() < altered_share:
            filed[key] = altered(truth[key], rng)
            is_altered = True
        title, lines = draw_lines(kind, truth)
        size = (1240, 874) if kind != "commitment_letter" else (1240, 1754)
        image = make_scan_image(
            title, lines, size=size, seed=f"ocr-{index}", photo=kind != "commitment_letter"
        )
        sample = Sample(kind, quality, truth, filed, spoil(image, quality, rng), is_altered)
        if type_key:
            sample.extra["vehicle_type"] = type_key
        samples.append(sample)
    return samples
