"""A held-out set of scanned materials for measuring machine reading: documents the reader was
never tuned on.

Written apart from the demo's scan generator (``passes.demo.scans``) and the tuning set
(``_ocr_samples``), sharing no drawing code with them: the real layouts (the business licence's
justified labels 名　　称 and its code above the title, the licences' tables with English
sub-labels, the nucleic-acid report's separate 采样/接收/报告 times and its reference column,
a commitment letter whose name stands inside a sentence), seals pressed over the text, labels
and values in different fonts (seven CJK fonts, none of them the demo's WenQuanYi Micro Hei),
person names with rare characters, and the damage real uploads carry: flatbed scans at 150-300
dpi (a card alone or on a whole A4 bed), scanned PDFs, fax copies, phone photos on a desk
(perspective, uneven light, the desk filling much of the frame, EXIF orientation), pages turned
90° and blurred photos.

About a quarter of the documents are filed with one field different from what the page shows:
a single look-alike character in an ID number, credit code or plate, a sampling time moved by a
day, another person's or company's name, another valid identifier. None of them may be reported
as a match.

Deterministic: the same seed gives the same documents, byte for byte.
"""

from __future__ import annotations

import datetime
import io
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from passes import validators

MM = 12  # master resolution: pixels per millimetre (about 305 dpi)
MASTER_DPI = MM * 25.4
FONTS = (
    ("Noto Sans CJK SC", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("Noto Serif CJK SC", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("AR PL UKai CN", "/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("AR PL UMing CN", "/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("WenQuanYi Zen Hei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("AR PL SungtiL GB", "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("AR PL KaitiM GB", "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", 0),
)
FONT_PACKAGES = (
    "fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming fonts-wqy-zenhei "
    "fonts-arphic-gbsn00lp fonts-arphic-gkai00mp"
)
INKS = ((20, 20, 24), (34, 30, 40), (10, 25, 60), (45, 45, 45))
SEAL_RED = (214, 40, 44)
# Where each capture comes from, and how often (out of 20).
CAPTURES = (
    ("scan300", 2),
    ("scan200", 2),
    ("scan150", 2),
    ("pdf", 2),
    ("fax", 2),
    ("photo", 6),
    ("turned90", 2),
    ("blurred", 2),
)
KINDS = (
    "business_licence",
    "vehicle_licence",
    "driving_licence",
    "nucleic_acid_test",
    "commitment_letter",
)


class FontsMissing(RuntimeError):
    """The held-out set needs its seven fonts (Debian packages in ``FONT_PACKAGES``)."""


def available_fonts() -> list[tuple[str, str, int]]:
    return [font for font in FONTS if Path(font[1]).is_file()]


@lru_cache(maxsize=512)
def _font(path: str, index: int, size_px: int):
    return ImageFont.truetype(path, max(6, size_px), index=index)


@lru_cache(maxsize=4096)
def _has_glyph(path: str, index: int, char: str) -> bool:
    """Whether the font draws ``char`` (not its empty or missing-glyph box)."""
    font = _font(path, index, 24)

    def picture(text):
        image = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(image).text((4, 4), text, 255, font)
        return image.tobytes()

    drawn = picture(char)
    return drawn != picture("\U0010fffd") and any(drawn)


# --- People, companies, identifiers ------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任沈姚卢钟姜崔谭陆范汪廖石金贾"
)
GIVEN_COMMON = (
    "建国军华平文明志伟强磊洋勇艳杰娟涛超秀兰霞刚英敏静丽芳玲红梅鹏飞宇浩然思雨婷欣怡子轩博"
    "文俊凯雪琳晨阳春燕海波"
)
GIVEN_RARE = "晟渌琛垚翀喆燚珺玥铖珏彧淼昶煜璟旻婕娓骞赟"
PLACES = ("株洲", "长沙", "湘潭", "衡阳", "岳阳", "常德", "娄底", "郴州")
DISTRICTS = ("天元区", "荷塘区", "芦淞区", "石峰区", "渌口区", "雨花区", "岳塘区", "雁峰区")
TRADES = ("物流", "运输", "货运", "供应链", "冷链物流", "建材运输", "危险货物运输", "汽车运输")
BRANDS = ("顺达", "通程", "华运", "鑫源", "宏远", "恒通", "安捷", "瑞丰", "中联", "金鹰", "远航")
VEHICLE_WORDING = {
    "heavy_truck": ("重型厢式货车", "重型栏板货车", "重型仓栅式货车"),
    "medium_truck": ("中型栏板货车", "中型厢式货车", "中型仓栅式货车"),
    "light_truck": ("轻型普通货车", "轻型栏板货车", "轻型仓栅式货车"),
    "van": ("轻型厢式货车", "轻型封闭货车"),
    "refrigerated": ("重型冷藏车", "中型冷藏车", "轻型冷藏车"),
    "tanker": ("重型罐式货车", "中型罐式货车"),
    "tractor": ("重型半挂牵引车", "重型全挂牵引车"),
}
MODELS = (
    "解放牌CA4250P66K24T1A1E5",
    "东风牌DFH4250A",
    "重汽牌ZZ4257N3247E1",
    "江淮牌HFC1043P91K1C2",
)
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_DIGITS = "0123456789"
# Look-alike single-character edits a forger (or a bad copy) makes.
DIGIT_LOOK_ALIKES = {
    "0": "86",
    "1": "7",
    "2": "7",
    "3": "8",
    "4": "9",
    "5": "6",
    "6": "85",
    "7": "1",
    "8": "36",
    "9": "8",
}
CODE_LOOK_ALIKES = {
    "0": "DQ8",
    "8": "B3",
    "B": "8",
    "D": "0",
    "6": "G",
    "G": "6",
    "1": "T7",
    "M": "N",
    "N": "MH",
    "U": "W",
    "5": "6",
    "2": "7",
    "7": "1",
}
PLATE_LOOK_ALIKES = {
    "0": "DQ",
    "D": "0",
    "Q": "0",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
    "5": "S",
    "S": "5",
    "6": "G",
    "G": "6",
    "1": "T7",
    "T": "1",
    "7": "1",
}
NAME_LOOK_ALIKES = {
    "王": "玉",
    "李": "季",
    "张": "弦",
    "陈": "陆",
    "杨": "扬",
    "林": "材",
    "明": "朋",
    "文": "又",
    "华": "毕",
    "军": "车",
    "伟": "传",
    "涛": "祷",
    "平": "乎",
}


def _person(rng) -> str:
    given = rng.choice(GIVEN_RARE) if rng.random() < 0.18 else rng.choice(GIVEN_COMMON)
    if rng.random() < 0.65:
        other = rng.choice(GIVEN_COMMON)
        given = given + other if rng.random() < 0.5 else other + given
    return rng.choice(SURNAMES) + given


def _company(rng) -> str:
    place = rng.choice(PLACES)
    form = rng.random()
    if form < 0.45:
        return f"{place}市{rng.choice(BRANDS)}{rng.choice(TRADES)}有限公司"
    if form < 0.7:
        return f"{place}{rng.choice(BRANDS)}{rng.choice(TRADES)}有限责任公司"
    if form < 0.85:
        return f"湖南{rng.choice(BRANDS)}{rng.choice(TRADES)}股份有限公司"
    return f"{rng.choice(BRANDS)}{rng.choice(TRADES)}（{place}）有限公司"


def _credit_code(rng) -> str:
    alphabet = validators.CREDIT_CODE_ALPHABET
    body = "91" + f"430{rng.randrange(1, 10)}{rng.randrange(0, 10)}{rng.randrange(1, 10)}"
    body += "".join(rng.choice(alphabet) for _ in range(9))
    return body + validators.credit_code_check_character(body)


def _id_number(rng) -> str:
    birth = datetime.date(1962, 1, 1) + datetime.timedelta(days=rng.randrange(14000))
    body = f"43{rng.randrange(1, 14):02d}{rng.randrange(1, 30):02d}{birth:%Y%m%d}"
    body += f"{rng.randrange(1000):03d}"
    return body + validators.id_number_check_character(body)


def _plate(rng) -> str:
    letter = rng.choice("ABCDEFGHJKLMN")
    if rng.random() < 0.15:  # new energy trucks: D or F then five digits
        return (
            "湘" + letter + rng.choice("DF") + "".join(rng.choice(PLATE_DIGITS) for _ in range(5))
        )
    tail = [rng.choice(PLATE_DIGITS if rng.random() < 0.7 else PLATE_LETTERS) for _ in range(5)]
    return "湘" + letter + "".join(tail)


def _valid(validator, value) -> bool:
    try:
        validator(value)
    except Exception:
        return False
    return True


def _look_alike(value: str, table: dict, positions, validator, rng, *, keep_valid: bool):
    """``value`` with one character swapped for a look-alike; valid or not as asked."""
    options = []
    for position in positions:
        for other in table.get(value[position], ""):
            candidate = value[:position] + other + value[position + 1 :]
            if candidate != value and _valid(validator, candidate) == keep_valid:
                options.append(candidate)
    return rng.choice(options) if options else None


# --- Drawing -----------------------------------------------------------------------------------


class Sheet:
    """A document drawn at ``MM`` pixels per millimetre; coordinates in millimetres."""

    def __init__(self, width_mm, height_mm, rng, fonts, paper=(250, 249, 244)):
        self.rng = rng
        self.size = (int(width_mm * MM), int(height_mm * MM))
        self.image = Image.new("RGB", self.size, paper)
        self.draw = ImageDraw.Draw(self.image)
        self.seals = Image.new("RGB", self.size, (255, 255, 255))
        self.label_font, self.value_font = fonts
        self.ink = rng.choice(INKS)
        self.value_ink = rng.choice(INKS)

    def _pick_font(self, text, preferred):
        name, path, index = preferred
        if all(_has_glyph(path, index, char) for char in text if ord(char) > 0x2E80):
            return preferred
        for font in available_fonts():
            if all(_has_glyph(font[1], font[2], char) for char in text if ord(char) > 0x2E80):
                return font
        return preferred

    def text(self, x, y, text, size, *, value=False, anchor="ls", fill=None, font=None):
        """Text with its baseline at (x, y) mm; ``size`` is the em in mm."""
        chosen = self._pick_font(text, font or (self.value_font if value else self.label_font))
        pil_font = _font(chosen[1], chosen[2], int(size * MM))
        colour = fill or (self.value_ink if value else self.ink)
        self.draw.text((x * MM, y * MM), text, colour, pil_font, anchor=anchor)
        return pil_font.getlength(text) / MM

    def justified(self, x, y, text, width, size):
        """A label spread over ``width`` mm, as forms print 名　　称 to line up with 法定代表人."""
        if len(text) == 1:
            return self.text(x, y, text, size)
        step = (width - size) / (len(text) - 1)
        for position, char in enumerate(text):
            self.text(x + position * step, y, char, size)
        return width

    def rule(self, x0, y0, x1, y1, width=0.25):
        self.draw.line(
            [(x0 * MM, y0 * MM), (x1 * MM, y1 * MM)], fill=self.ink, width=max(1, int(width * MM))
        )

    def box(self, x0, y0, x1, y1, width=0.3, fill=None):
        self.draw.rectangle(
            [x0 * MM, y0 * MM, x1 * MM, y1 * MM],
            outline=self.ink,
            width=max(1, int(width * MM)),
            fill=fill,
        )

    def seal(self, cx, cy, radius, text, *, centre="★", bottom=""):
        """A red seal on its own layer: pressed over the text (multiplied) when finished."""
        draw = ImageDraw.Draw(self.seals)
        ink = tuple(min(255, c + self.rng.randrange(0, 30)) for c in SEAL_RED)
        r = radius * MM
        draw.ellipse(
            [cx * MM - r, cy * MM - r, cx * MM + r, cy * MM + r], outline=ink, width=int(0.9 * MM)
        )
        font = (
            _font(FONTS[0][1], FONTS[0][2], int(radius * 0.32 * MM))
            if Path(FONTS[0][1]).is_file()
            else None
        )
        star = _font(FONTS[0][1], FONTS[0][2], int(radius * 0.7 * MM)) if font else None
        if star:
            draw.text((cx * MM, cy * MM), centre, ink, star, anchor="mm")
        count = len(text)
        for position, char in enumerate(text):
            angle = math.radians(-130 + 260 * position / max(1, count - 1))
            x = cx * MM + 0.72 * r * math.sin(angle)
            y = cy * MM - 0.72 * r * math.cos(angle)
            layer = Image.new("L", (int(r), int(r)), 0)
            ImageDraw.Draw(layer).text((r / 2, r / 2), char, 255, font, anchor="mm")
            layer = layer.rotate(-math.degrees(angle), resample=Image.Resampling.BICUBIC)
            colour = Image.new("RGB", layer.size, ink)
            self.seals.paste(colour, (int(x - r / 2), int(y - r / 2)), layer)
        if bottom and font:
            draw.text((cx * MM, cy * MM + 0.45 * r), bottom, ink, font, anchor="mm")

    def photo(self, x0, y0, x1, y1):
        self.draw.rectangle([x0 * MM, y0 * MM, x1 * MM, y1 * MM], fill=(200, 208, 220))
        cx, w = (x0 + x1) / 2 * MM, (x1 - x0) * MM
        self.draw.ellipse(
            [cx - w * 0.22, y0 * MM + w * 0.2, cx + w * 0.22, y0 * MM + w * 0.7], fill=(95, 90, 88)
        )
        self.draw.pieslice(
            [cx - w * 0.45, y0 * MM + w * 0.75, cx + w * 0.45, y1 * MM + w * 0.5],
            180,
            360,
            fill=(60, 62, 80),
        )

    def qr(self, x, y, size):
        cells = 25
        step = size * MM / cells
        for row in range(cells):
            for col in range(cells):
                corner = (
                    (row < 7 and col < 7)
                    or (row < 7 and col >= cells - 7)
                    or (row >= cells - 7 and col < 7)
                )
                on = (
                    self.rng.random() < 0.5
                    if not corner
                    else (
                        row % 6 == 0
                        or col % 6 == 0
                        or 2 <= row % (cells - 7 if row >= 7 else 7) <= 4
                    )
                )
                if on:
                    self.draw.rectangle(
                        [
                            x * MM + col * step,
                            y * MM + row * step,
                            x * MM + (col + 1) * step,
                            y * MM + (row + 1) * step,
                        ],
                        fill=(0, 0, 0),
                    )

    def finish(self) -> Image.Image:
        return ImageChops.multiply(self.image, self.seals)


def _fonts(rng):
    fonts = available_fonts()
    if len(fonts) < len(FONTS):
        missing = ", ".join(name for name, path, _index in FONTS if not Path(path).is_file())
        raise FontsMissing(
            f"the held-out set needs the fonts {missing} (apt-get install {FONT_PACKAGES})"
        )
    label = rng.choice(fonts)
    return label, (rng.choice(fonts) if rng.random() < 0.7 else label)


def _date_cn(day) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def draw_business_licence(truth, rng, now) -> Sheet:
    """营业执照 (副本), landscape: the code above the title, two columns of justified labels."""
    sheet = Sheet(297, 210, rng, _fonts(rng))
    sheet.box(8, 8, 289, 202, width=1.6)
    sheet.box(11, 11, 286, 199, width=0.4)
    size = rng.uniform(4.2, 5.2)
    sheet.text(24, 30, "统一社会信用代码", 3.6)
    sheet.text(24, 38, truth["credit_code"], size * 0.95, value=True)
    sheet.qr(250, 20, 24)
    sheet.text(262, 49, "扫描二维码登录", 2.2, anchor="ms")
    sheet.text(148.5, 45, "营 业 执 照", 17, anchor="ms")
    sheet.text(148.5, 57, "（副　本）", 6, anchor="ms")
    sheet.text(200, 30, f"编号：S{rng.randrange(10**9, 10**10)}", 3, value=True)
    left = [
        ("名称", truth["enterprise_name"]),
        ("类型", rng.choice(("有限责任公司（自然人投资或控股）", "有限责任公司", "股份有限公司"))),
        ("法定代表人", _person(rng)),
        ("经营范围", "道路普通货物运输；货物专用运输（集装箱）"),
    ]
    right = [
        ("注册资本", f"{rng.choice(('伍佰', '壹仟', '叁佰', '贰仟'))}万元整"),
        ("成立日期", _date_cn(now.date() - datetime.timedelta(days=rng.randrange(400, 6000)))),
        ("营业期限", "长期"),
        (
            "住所",
            f"湖南省{rng.choice(PLACES)}市{rng.choice(DISTRICTS)}"
            f"{rng.choice(('栗雨路', '红旗路', '建设路'))}{rng.randrange(1, 300)}号",
        ),
    ]
    label_width = size * 5
    y = 80
    for label, value in left:
        sheet.justified(28, y, label, label_width, size)
        sheet.text(28 + label_width + 6, y, value, size, value=True)
        y += size * 3.1
    y = 80
    for label, value in right:
        sheet.justified(165, y, label, label_width, size)
        sheet.text(165 + label_width + 6, y, value, size, value=True)
        y += size * 3.1
    sheet.text(200, 170, "登记机关", size)
    sheet.text(
        200,
        185,
        _date_cn(now.date() - datetime.timedelta(days=rng.randrange(30, 400))),
        size,
        value=True,
    )
    sheet.seal(222, 175, 21, f"{rng.choice(PLACES)}市市场监督管理局")
    return sheet


def draw_vehicle_licence(truth, rng, now) -> Sheet:
    """机动车行驶证: a card in a table, each label with its English sub-label."""
    sheet = Sheet(88, 60, rng, _fonts(rng), paper=(246, 246, 236))
    size = rng.uniform(2.0, 2.4)
    stacked = rng.random() < 0.5
    sheet.text(44, 6.5, "中华人民共和国机动车行驶证", 3.2, anchor="ms")
    sheet.text(44, 9.6, "Vehicle License of the People's Republic of China", 1.6, anchor="ms")
    sheet.box(3, 11, 85, 57, width=0.2)
    rows = [11, 17, 23, 29, 35, 41, 47, 57]
    for y in rows[1:-1]:
        sheet.rule(3, y, 85, y, width=0.12)
    sheet.rule(20, 11, 20, 57, width=0.12)
    sheet.rule(48, 11, 48, 17, width=0.12)
    sheet.rule(63, 11, 63, 17, width=0.12)
    sheet.rule(48, 29, 48, 35, width=0.12)
    sheet.rule(63, 29, 63, 35, width=0.12)
    sheet.rule(48, 47, 48, 57, width=0.12)
    sheet.rule(63, 47, 63, 57, width=0.12)
    base = 3.6 if stacked else 4.0
    cells = [
        (4, rows[0], "号牌号码", "Plate No.", 21, truth["plate"]),
        (49, rows[0], "车辆类型", "Vehicle Type", 64, truth["vehicle_type"]),
        (4, rows[1], "所有人", "Owner", 21, truth["owner"]),
        (
            4,
            rows[2],
            "住址",
            "Address",
            21,
            f"湖南省{rng.choice(PLACES)}市{rng.choice(DISTRICTS)}物流园{rng.randrange(1, 40)}号",
        ),
        (4, rows[3], "使用性质", "Use Character", 21, "货运"),
        (49, rows[3], "品牌型号", "Model", 64, rng.choice(MODELS)[:12]),
        (
            4,
            rows[4],
            "车辆识别代号",
            "VIN",
            21,
            "LFW" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(14)),
        ),
        (4, rows[5], "发动机号码", "Engine No.", 21, f"{rng.randrange(10**7, 10**8)}"),
        (
            4,
            rows[6],
            "注册日期",
            "Register Date",
            21,
            (now.date() - datetime.timedelta(days=rng.randrange(200, 3000))).isoformat(),
        ),
        (
            49,
            rows[6],
            "发证日期",
            "Issue Date",
            64,
            (now.date() - datetime.timedelta(days=rng.randrange(10, 200))).isoformat(),
        ),
    ]
    for x, top, label, english, value_x, value in cells:
        label_size = size * (0.78 if len(label) > 4 else 0.9)
        if stacked:
            sheet.text(x, top + base, label, label_size)
            sheet.text(x, top + base + 1.7, english, 1.15)
        else:
            sheet.text(x, top + base, label, label_size * 0.8)
            sheet.text(x, top + base + 1.4, english, 1.0)
        value_size = size if len(value) < 14 else size * 0.8
        sheet.text(value_x + 0.8, top + 4.0, value, value_size, value=True)
    sheet.seal(
        rng.uniform(16, 30), rng.uniform(44, 50), 9, f"{rng.choice(PLACES)}市公安局交通警察支队"
    )
    return sheet


def draw_driving_licence(truth, rng, now) -> Sheet:
    """机动车驾驶证: 证号 on top, then the holder's fields with English sub-labels, a photo."""
    sheet = Sheet(88, 60, rng, _fonts(rng), paper=(244, 246, 240))
    size = rng.uniform(2.2, 2.6)
    sheet.text(44, 6.5, "中华人民共和国机动车驾驶证", 3.2, anchor="ms")
    sheet.text(44, 9.6, "Driving License of the People's Republic of China", 1.6, anchor="ms")
    sheet.text(4, 15, "证号", size)
    sheet.text(12, 15, truth["id_number"], size * 1.05, value=True)
    number = truth["id_number"]
    try:  # an edited number may carry no real date: the licence still prints one
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = datetime.date(1980, 1, 1) + datetime.timedelta(days=rng.randrange(8000))
    first = now.date() - datetime.timedelta(days=rng.randrange(800, 5000))
    rows = [
        (
            ("姓名", "Name", truth["name"]),
            ("性别", "Sex", rng.choice("男女")),
            ("国籍", "Nationality", "中国"),
        ),
        (
            (
                "住址",
                "Address",
                f"湖南省{rng.choice(PLACES)}市{rng.choice(DISTRICTS)}{rng.randrange(1, 99)}栋",
            ),
        ),
        (("出生日期", "Date of Birth", birth.isoformat()),),
        (("初次领证日期", "Date of First Issue", first.isoformat()),),
        (("准驾车型", "Class", truth["licence_class"]),),
        (
            (
                "有效期限",
                "Valid Period",
                f"{first.isoformat()}至{first.replace(year=first.year + 10).isoformat()}",
            ),
        ),
    ]
    y = 22
    for row in rows:
        x = 4
        for label, english, value in row:
            sheet.text(x, y, label, size * (0.75 if len(label) > 4 else 0.9))
            sheet.text(x, y + 1.5, english, 1.0)
            value_x = x + (17 if len(row) == 1 else 9)
            sheet.text(value_x, y, value, size, value=True)
            x += 22
        y += 5.8
    sheet.photo(66, 21, 83, 43)
    sheet.seal(
        rng.uniform(12, 24), rng.uniform(46, 52), 8.5, f"{rng.choice(PLACES)}市公安局交通警察支队"
    )
    return sheet


def draw_nucleic_acid_report(truth, rng, now) -> Sheet:
    """A hospital's 新型冠状病毒核酸检测报告单: a grid of pairs, separate sampling, receiving
    and reporting times, a results table with a reference column, the lab's seal."""
    sheet = Sheet(210, 148 if rng.random() < 0.5 else 297, rng, _fonts(rng))
    size = rng.uniform(3.6, 4.4)
    sampled = datetime.datetime.fromisoformat(truth["sampled_at"])
    received = sampled + datetime.timedelta(minutes=rng.randrange(40, 300))
    reported = received + datetime.timedelta(minutes=rng.randrange(120, 600))
    hospitals = ("中心医院", "第一人民医院", "妇幼保健院", "疾病预防控制中心")
    hospital = f"{rng.choice(PLACES)}市{rng.choice(hospitals)}"
    sheet.text(105, 16, hospital, 6.5, anchor="ms")
    sheet.text(105, 25, "新型冠状病毒核酸检测报告单", 5.5, anchor="ms")
    sheet.rule(12, 29, 198, 29, width=0.5)
    identity = truth.get("id_number") or truth.get("id_number_masked")
    pairs = [
        (
            ("姓名", truth["name"]),
            ("性别", rng.choice("男女")),
            ("年龄", f"{rng.randrange(22, 60)}岁"),
        ),
        (("证件类型", "居民身份证"), ("证件号码", identity)),
        (("样本类型", "咽拭子"), ("样本编号", f"{rng.randrange(10**9, 10**10)}")),
        (("采样时间", f"{sampled:%Y-%m-%d %H:%M}"), ("接收时间", f"{received:%Y-%m-%d %H:%M}")),
    ]
    colon = rng.choice(("：", ":", ""))
    y = 37
    for row in pairs:
        x = 14
        for label, value in row:
            sheet.text(x, y, label + colon, size)
            sheet.text(x + size * 4.6, y, value, size, value=True)
            x += 62 if len(row) == 3 else 93
        y += size * 2.2
    sheet.rule(12, y - size, 198, y - size, width=0.3)
    y += size
    for x, header in ((14, "检测项目"), (90, "结果"), (125, "参考区间"), (160, "检测方法")):
        sheet.text(x, y, header, size)
    result = "阴性(-)" if truth["result"] == "negative" else "阳性(+)"
    for item in ("新型冠状病毒ORF1ab基因", "新型冠状病毒N基因"):
        y += size * 2
        sheet.text(14, y, item, size * 0.9, value=True)
        sheet.text(90, y, result, size * 0.9, value=True)
        sheet.text(125, y, "阴性", size * 0.9)
        sheet.text(160, y, "荧光PCR法", size * 0.9)
    y += size * 2.4
    sheet.text(14, y, "检测结果" + colon, size)
    sheet.text(
        14 + size * 4.6, y, "阴性" if truth["result"] == "negative" else "阳性", size, value=True
    )
    y += size * 2.4
    sheet.text(14, y, "报告时间" + colon, size * 0.9)
    sheet.text(14 + size * 4.6, y, f"{reported:%Y-%m-%d %H:%M}", size * 0.9, value=True)
    sheet.text(120, y, f"检验者：{_person(rng)}　审核者：{_person(rng)}", size * 0.9)
    sheet.text(14, y + size * 2, "注：本报告仅对所检样本负责。", size * 0.75)
    sheet.seal(rng.uniform(140, 175), y - size * rng.uniform(0, 3), 19, hospital + "检验专用章")
    return sheet


def draw_commitment_letter(truth, rng, now) -> Sheet:
    """承诺书: the company named inside a sentence and again above its seal."""
    sheet = Sheet(210, 297, rng, _fonts(rng))
    size = rng.uniform(4.4, 5.2)
    sheet.text(105, 40, "承　诺　书", 9, anchor="ms")
    name = truth["enterprise_name"]
    body = [
        f"本单位{name}郑重承诺：",
        "一、所报车辆、驾驶人及相关材料真实、有效；",
        "二、严格按照核定的时间、线路通行，服从交通管理；",
        "三、落实疫情防控要求，驾驶人核酸检测结果均为阴性；",
        "如有虚假，愿承担由此产生的一切法律责任。",
    ]
    y = 62
    for line in body:
        sheet.text(24 if line is body[0] else 32, y, line, size, value=line is body[0])
        y += size * 2.4
    y += 30
    sheet.text(100, y, "承诺单位（盖章）：", size)
    sheet.text(100, y + size * 2.2, name, size, value=True)
    sheet.text(100, y + size * 4.6, "法定代表人（签字）：", size)
    sheet.text(
        100,
        y + size * 7,
        _date_cn(now.date() - datetime.timedelta(days=rng.randrange(0, 20))),
        size,
        value=True,
    )
    sheet.seal(rng.uniform(130, 160), y + size * 2, 20, name)
    return sheet


DRAW = {
    "business_licence": draw_business_licence,
    "vehicle_licence": draw_vehicle_licence,
    "driving_licence": draw_driving_licence,
    "nucleic_acid_test": draw_nucleic_acid_report,
    "commitment_letter": draw_commitment_letter,
}


# --- Capture damage ----------------------------------------------------------------------------


def _at_dpi(image: Image.Image, dpi: float) -> Image.Image:
    factor = dpi / MASTER_DPI
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _noise(image: Image.Image, rng, amount: float) -> Image.Image:
    grain = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    grain = grain.convert("RGB")
    return Image.blend(image, grain, amount)


def _jpeg(
    image: Image.Image, quality: int, *, exif_orientation: int | None = None, dpi=None
) -> bytes:
    buffer = io.BytesIO()
    options = {"quality": quality}
    if dpi:
        options["dpi"] = (dpi, dpi)
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        options["exif"] = exif.tobytes()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _scan(image: Image.Image, dpi: int, rng, *, card: bool) -> Image.Image:
    """A flatbed scan: a card alone (cropped) or on the whole A4 bed; slight skew, the lamp's
    tint, sensor grain."""
    page = _at_dpi(image, dpi)
    if card and rng.random() < 0.5:
        bed = Image.new("RGB", (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)), (238, 238, 236))
        bed.paste(page, (round(dpi * rng.uniform(0.3, 1.2)), round(dpi * rng.uniform(0.3, 1.2))))
        page = bed
    page = page.rotate(
        rng.uniform(-1.6, 1.6),
        resample=Image.Resampling.BICUBIC,
        expand=True,
        fillcolor=(236, 236, 234),
    )
    page = _noise(page, rng, 0.03)
    return page


def _perspective_coefficients(source, target):
    """PIL's eight PERSPECTIVE coefficients mapping output points ``target`` to ``source``."""
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    matrix = np.array(rows, dtype=float)
    values = np.array([coordinate for point in source for coordinate in point], dtype=float)
    return np.linalg.solve(matrix, values).tolist()


DESKS = ((120, 84, 52), (70, 72, 76), (205, 200, 190), (48, 90, 70), (160, 120, 80), (30, 30, 34))


def _photo(image: Image.Image, rng) -> tuple[Image.Image, int | None]:
    """A phone photo on a desk: the page small in the frame, seen at an angle, lit unevenly."""
    frame = rng.choice(((4032, 3024), (3264, 2448), (2592, 1944), (1600, 1200)))
    if image.height > image.width:
        frame = frame[::-1]
    fill = rng.uniform(0.35, 0.8)  # the page's share of the frame's width
    scale = fill * frame[0] / image.width
    if image.height * scale > 0.92 * frame[1]:
        scale = 0.92 * frame[1] / image.height
    page = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    desk_colour = rng.choice(DESKS)
    desk = Image.new("RGB", frame, desk_colour)
    desk = _noise(desk, rng, 0.12).filter(ImageFilter.GaussianBlur(2))
    left = rng.randrange(0, max(1, frame[0] - page.width))
    top = rng.randrange(0, max(1, frame[1] - page.height))
    jitter = 0.06 * page.width
    corners = [
        (left, top),
        (left + page.width, top),
        (left + page.width, top + page.height),
        (left, top + page.height),
    ]
    target = [
        (x + rng.uniform(-jitter, jitter), y + rng.uniform(-jitter, jitter)) for x, y in corners
    ]
    source = [(0, 0), (page.width, 0), (page.width, page.height), (0, page.height)]
    coefficients = _perspective_coefficients(source, target)
    warped = page.transform(
        frame, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    mask = Image.new("L", page.size, 255).transform(
        frame, Image.Transform.PERSPECTIVE, coefficients
    )
    # A soft shadow of the sheet on the desk, then the sheet.
    shadow = mask.filter(ImageFilter.GaussianBlur(18))
    desk = Image.composite(
        Image.new("RGB", frame, tuple(c // 2 for c in desk_colour)),
        desk,
        shadow.point(lambda v: v // 2),
    )
    desk.paste(warped, (0, 0), mask)
    # Uneven light: brighter where the lamp is, a shadow band of the phone or a hand.
    light = Image.linear_gradient("L").resize(frame).rotate(rng.uniform(0, 360))
    light = light.point(lambda v: int(150 + v * 105 / 255))
    desk = ImageChops.multiply(desk, Image.merge("RGB", (light, light, light)))
    if rng.random() < 0.4:
        band = Image.new("L", frame, 255)
        ImageDraw.Draw(band).rectangle(
            [rng.randrange(frame[0]), 0, frame[0], frame[1]], fill=rng.randrange(150, 215)
        )
        band = band.filter(ImageFilter.GaussianBlur(60))
        desk = ImageChops.multiply(desk, Image.merge("RGB", (band, band, band)))
    desk = _noise(desk, rng, 0.04).filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.1)))
    orientation = None
    if rng.random() < 0.15:  # held sideways: the pixels turned, the EXIF tag says how to show them
        desk = desk.transpose(Image.Transpose.ROTATE_90)
        orientation = 6
    return desk, orientation


def _fax(image: Image.Image, rng) -> Image.Image:
    """A fax copy: 204 × 98 dpi (standard) or 196 (fine), black and white, speckled, streaked."""
    fine = rng.random() < 0.5
    width = round(image.width * 204 / MASTER_DPI)
    height = round(image.height * (196 if fine else 98) / MASTER_DPI)
    grey = image.convert("L").resize((width, height), Image.Resampling.BOX)
    grey = grey.resize((width, round(image.height * 196 / MASTER_DPI)), Image.Resampling.NEAREST)
    grey = grey.rotate(rng.uniform(-1.0, 1.0), fillcolor=255, expand=True)
    threshold = rng.randrange(140, 185)
    bw = grey.point(lambda v: 0 if v < threshold else 255)
    draw = ImageDraw.Draw(bw)
    for _ in range(int(bw.width * bw.height / 2500)):
        x, y = rng.randrange(bw.width), rng.randrange(bw.height)
        draw.point((x, y), fill=0)
    for _ in range(rng.randrange(0, 4)):
        y = rng.randrange(bw.height)
        draw.line([(0, y), (bw.width, y)], fill=0, width=1)
    header = f"FAX  {rng.randrange(1000, 9999)}-{rng.randrange(1000000, 9999999)}   P.01"
    draw.text((20, 6), header, 0)
    return bw.convert("1")


def capture(image: Image.Image, method: str, rng, *, card: bool) -> tuple[bytes, str]:
    """The page as it reaches the office: (file bytes, content type)."""
    if method.startswith("scan"):
        dpi = int(method[4:])
        scanned = _scan(image, dpi, rng, card=card)
        if dpi == 300 and rng.random() < 0.3:
            buffer = io.BytesIO()
            scanned.save(buffer, "PNG", dpi=(dpi, dpi))
            return buffer.getvalue(), "image/png"
        return _jpeg(scanned, rng.randrange(80, 95), dpi=dpi), "image/jpeg"
    if method == "pdf":
        dpi = rng.choice((150, 200, 200, 300))
        scanned = _scan(image, dpi, rng, card=card)
        buffer = io.BytesIO()
        scanned.save(buffer, "PDF", resolution=dpi, quality=rng.randrange(70, 90))
        return buffer.getvalue(), "application/pdf"
    if method == "fax":
        faxed = _fax(image, rng)
        buffer = io.BytesIO()
        if rng.random() < 0.5:
            faxed.save(buffer, "TIFF", compression="group4")
            return buffer.getvalue(), "image/tiff"
        faxed.save(buffer, "PNG")
        return buffer.getvalue(), "image/png"
    if method == "turned90":
        if rng.random() < 0.5:
            turned = _scan(image, rng.choice((150, 200)), rng, card=card)
            turned = turned.rotate(rng.choice((90, 270)), expand=True)
            return _jpeg(turned, 88), "image/jpeg"
        photo, _orientation = _photo(image, rng)
        return _jpeg(photo.rotate(rng.choice((90, 270)), expand=True), 85), "image/jpeg"
    photo, orientation = _photo(image, rng)
    if method == "blurred":
        # Out of focus or shaken, as strong on the page as 1.2-2.8 pixels of a 1280-pixel view.
        radius = rng.uniform(1.2, 2.8) * max(photo.size) / 1280
        if rng.random() < 0.5:
            photo = photo.filter(ImageFilter.GaussianBlur(radius))
        else:  # camera shake: copies of the frame along a short stroke, averaged
            steps = 6
            dx, dy = rng.uniform(-1, 1) * radius, rng.uniform(-1, 1) * radius
            shaken = photo
            for step in range(1, steps):
                moved = ImageChops.offset(photo, round(dx * step), round(dy * step))
                shaken = Image.blend(shaken, moved, 1 / (step + 1))
            photo = shaken
    return _jpeg(photo, rng.randrange(72, 92), exif_orientation=orientation), "image/jpeg"


# --- The set -----------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    quality: str  # the capture: scan300, pdf, fax, photo, turned90, blurred, ...
    truth: dict  # what the page shows, normalised as extraction returns it
    filed: dict  # what the enterprise filed (one field differs on altered samples)
    image: bytes = b""
    altered: bool = False
    extra: dict = field(default_factory=dict)
    content_type: str = "image/jpeg"
    alteration: str = ""  # e.g. "id_look_alike", "plate_look_alike", "date_day"
    fonts: tuple = ()


def _truth(kind, rng, now):
    if kind == "business_licence":
        return {"credit_code": _credit_code(rng), "enterprise_name": _company(rng)}, {}
    if kind == "vehicle_licence":
        type_key = rng.choice(sorted(VEHICLE_WORDING))
        truth = {
            "plate": _plate(rng),
            "vehicle_type": rng.choice(VEHICLE_WORDING[type_key]),
            "owner": _company(rng),
        }
        return truth, {"vehicle_type": type_key}
    if kind == "driving_licence":
        return {
            "name": _person(rng),
            "id_number": _id_number(rng),
            "licence_class": rng.choice(("A2", "B2", "A1", "B1", "A2D", "C1")),
        }, {}
    if kind == "nucleic_acid_test":
        sampled = now - datetime.timedelta(minutes=rng.randrange(90, 44 * 60))
        truth = {
            "name": _person(rng),
            "id_number": _id_number(rng),
            "sampled_at": sampled.replace(second=0, microsecond=0).isoformat(timespec="minutes"),
            "result": "negative",
        }
        if rng.random() < 0.2:  # many labs print the ID number masked
            number = truth.pop("id_number")
            truth["id_number_masked"] = f"{number[:6]}{'*' * 8}{number[-4:]}"
            return truth, {"id_number": number}
        return truth, {}
    return {"enterprise_name": _company(rng)}, {}


ALTERATIONS = {
    "business_licence": ("code_look_alike",) * 3 + ("code_other", "name_other"),
    "vehicle_licence": ("plate_look_alike",) * 3 + ("plate_other", "owner_other", "type_other"),
    "driving_licence": ("id_look_alike",) * 3 + ("id_other", "name_other", "name_look_alike"),
    "nucleic_acid_test": ("id_look_alike", "id_look_alike", "date_day", "date_day", "name_other"),
    "commitment_letter": ("name_other",),
}


def _alter(kind, truth, filed, extra, rng, choice=None) -> str | None:
    """Change one filed field so it differs from the page; the alteration's name, or None."""
    choice = choice or rng.choice(ALTERATIONS[kind])
    if choice == "code_look_alike":
        printed = _look_alike(
            truth["credit_code"],
            CODE_LOOK_ALIKES,
            range(2, 17),
            validators.validate_credit_code,
            rng,
            keep_valid=False,
        )
        if printed is None:
            return None
        # The page was edited: it shows the look-alike, the enterprise filed the real code.
        filed["credit_code"], truth["credit_code"] = truth["credit_code"], printed
    elif choice == "code_other":
        filed["credit_code"] = _credit_code(rng)
    elif choice in ("name_other", "owner_other"):
        key = (
            "owner"
            if kind == "vehicle_licence"
            else "enterprise_name"
            if "enterprise_name" in truth
            else "name"
        )
        other = _company(rng) if key != "name" else _person(rng)
        if other == truth[key]:
            return None
        filed[key] = other
    elif choice == "plate_look_alike":
        printed = _look_alike(
            truth["plate"],
            PLATE_LOOK_ALIKES,
            range(2, len(truth["plate"])),
            validators.validate_plate,
            rng,
            keep_valid=True,
        )
        if printed is None:
            return None
        filed["plate"], truth["plate"] = truth["plate"], printed
    elif choice == "plate_other":
        other = _plate(rng)
        if other == truth["plate"]:
            return None
        filed["plate"] = other
    elif choice == "type_other":
        others = [
            key for key in VEHICLE_WORDING if key != extra["vehicle_type"] and key not in ("van",)
        ]
        extra["filed_vehicle_type"] = rng.choice(others)
    elif choice == "id_look_alike":
        if "id_number" not in truth:
            return None
        printed = _look_alike(
            truth["id_number"],
            DIGIT_LOOK_ALIKES,
            range(6, 17),
            validators.validate_id_number,
            rng,
            keep_valid=False,
        )
        if printed is None:
            return None
        filed["id_number"], truth["id_number"] = truth["id_number"], printed
    elif choice == "id_other":
        filed["id_number"] = _id_number(rng)
    elif choice == "name_look_alike":
        name = truth["name"]
        spots = [i for i, char in enumerate(name) if char in NAME_LOOK_ALIKES]
        if not spots:
            return None
        spot = rng.choice(spots)
        filed["name"] = name[:spot] + NAME_LOOK_ALIKES[name[spot]] + name[spot + 1 :]
    elif choice == "date_day":
        sampled = datetime.datetime.fromisoformat(truth["sampled_at"])
        filed["sampled_at"] = (sampled + datetime.timedelta(days=rng.choice((-1, 1)))).isoformat(
            timespec="minutes"
        )
    return choice


def _captures(rng):
    pool = [name for name, weight in CAPTURES for _ in range(weight)]
    return rng.choice(pool)


def make_samples(count: int = 520, *, seed: int = 2028, altered_share: float = 0.3, now=None):
    """``count`` held-out samples, the kinds in turn, captures drawn from ``CAPTURES``; about
    ``altered_share`` filed with one field different from the page."""
    rng = random.Random(seed)
    now = now or datetime.datetime.now(datetime.UTC).astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    )
    samples = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        doc_rng = random.Random(f"{seed}-{index}")
        truth, extra = _truth(kind, doc_rng, now)
        filed = dict(truth)
        if "id_number_masked" in truth:
            filed["id_number"] = extra["id_number"]
            del filed["id_number_masked"]
        alteration = None
        if rng.random() < altered_share:
            alteration = _alter(kind, truth, filed, extra, doc_rng)
        method = _captures(rng)
        sheet = DRAW[kind](truth, doc_rng, now)
        image, content_type = capture(
            sheet.finish(), method, doc_rng, card=kind in ("vehicle_licence", "driving_licence")
        )
        samples.append(
            Sample(
                kind=kind,
                quality=method,
                truth=truth,
                filed=filed,
                image=image,
                altered=bool(alteration),
                extra=extra,
                content_type=content_type,
                alteration=alteration or "",
                fonts=(sheet.label_font[0], sheet.value_font[0]),
            )
        )
    return samples


def make_sample(
    kind: str, method: str = "scan300", *, seed: int = 0, now=None, alteration: str = ""
) -> Sample:
    """One document of ``kind`` captured by ``method``, filed as the page shows or with the
    named ``alteration`` (for tests and looking)."""
    now = now or datetime.datetime.now(datetime.UTC).astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    )
    rng = random.Random(f"one-{kind}-{method}-{seed}")
    truth, extra = _truth(kind, rng, now)
    filed = dict(truth)
    if "id_number_masked" in truth:
        filed["id_number"] = extra["id_number"]
        del filed["id_number_masked"]
    if alteration and _alter(kind, truth, filed, extra, rng, alteration) is None:
        raise ValueError(f"{alteration} does not apply to this {kind}")
    sheet = DRAW[kind](truth, rng, now)
    card = kind in ("vehicle_licence", "driving_licence")
    image, content_type = capture(sheet.finish(), method, rng, card=card)
    return Sample(
        kind, method, truth, filed, image, bool(alteration), extra, content_type, alteration
    )


def preview(sample: Sample) -> Image.Image:
    """The sample's first page as a picture (for looking at the set)."""
    if sample.content_type == "application/pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(sample.image)
        try:
            return document[0].render(scale=1).to_pil().convert("RGB")
        finally:
            document.close()
    with Image.open(io.BytesIO(sample.image)) as image:
        return ImageOps.exif_transpose(image).convert("RGB")
