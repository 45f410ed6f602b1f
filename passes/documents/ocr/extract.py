"""Fields of each kind of document, picked out of the lines the engine read.

Identifiers are not taken from a bare pattern: every candidate goes through the project's
validators (GB 32100 check character, GB 11643 check digit, plate rules), exactly as read. Nothing
is corrected: a one-character "correction" of a number that fails its check character is exactly
how an edited document (…2541 filed as …2641) would be turned into the filed one. A candidate
that fails is kept in ``raw`` (the text as read), so the check can show it as unreadable.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from ... import validators
from ...models import DocumentKind, Vehicle

_SEPARATORS = re.compile(r"[\s·•‧∙・]")
_PLATE_RUN = re.compile(rf"[{validators.PROVINCES}][A-Z0-9]{{6,7}}")
_ALNUM_RUN = re.compile(r"[0-9A-Z]{18,}")
_MASKED_ID = re.compile(r"(\d{6})\*{4,}(\d{3}[\dX])")
_DATETIME = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[-T_]?(\d{1,2})[:时点](\d{2})")
_DRIVING_CLASS = re.compile(r"^((?:[ABC][1-6]|[DEFMNP])+)")

# What a vehicle licence says for each of the project's vehicle types, most particular first:
# 重型半挂牵引车 is a tractor before it is heavy, 重型冷藏车 refrigerated, 重型罐式货车 a tanker.
VEHICLE_TYPE_WORDS = {
    Vehicle.VehicleType.TRACTOR: ("牵引车", "半挂牵引", "全挂牵引"),
    Vehicle.VehicleType.REFRIGERATED: ("冷藏车", "冷藏"),
    Vehicle.VehicleType.TANKER: ("罐式货车", "罐式", "罐车"),
    Vehicle.VehicleType.HEAVY_TRUCK: (
        "重型货车",
        "重型普通",
        "重型半挂",
        "重型栏板",
        "重型厢式",
        "重型仓栅",
        "重型封闭",
    ),
    Vehicle.VehicleType.MEDIUM_TRUCK: (
        "中型货车",
        "中型普通",
        "中型栏板",
        "中型厢式",
        "中型仓栅",
        "中型封闭",
    ),
    Vehicle.VehicleType.LIGHT_TRUCK: ("轻型货车", "轻型栏板", "轻型普通", "轻型仓栅"),
    Vehicle.VehicleType.VAN: ("厢式货车", "轻型厢式", "封闭货车", "轻型封闭"),
}


@dataclass
class Extraction:
    """Normalised field values, the line each came from, and why a field could not be read."""

    fields: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)  # field -> index into the lines
    problems: dict = field(default_factory=dict)  # field -> reason code
    raw: dict = field(default_factory=dict)  # field -> what was read where it failed its check

    def put(self, name, value, index):
        if value and name not in self.fields:
            self.fields[name] = value
            self.evidence[name] = index
            self.problems.pop(name, None)

    def problem(self, name, reason):
        if name not in self.fields:
            self.problems.setdefault(name, reason)


def normalize_text(text: str) -> str:
    """Full-width to ASCII, no spaces, one kind of colon: what every comparison works on."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SEPARATORS.sub("", text).replace("：", ":")


def normalize_name(text: str) -> str:
    """Names of people and enterprises compared without spaces, brackets' width or case."""
    return normalize_text(text).replace("（", "(").replace("）", ")").upper()


# --- Identifiers ------------------------------------------------------------------------------


def _is_valid(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _checked(value: str, validator) -> tuple[str | None, str]:
    """``value`` if it is valid exactly as read, else (None, "checksum")."""
    if _is_valid(validator, value):
        return value, ""
    return None, "checksum"


def plate_candidates(text: str) -> list[str]:
    """Valid plates in one line, exactly as read, in the order they appear."""
    return [plate for plate, valid in _plate_runs(text) if valid]


def _plate_runs(text: str) -> list[tuple[str, bool]]:
    """Every plate-like run in one line and whether it is a valid plate as read."""
    text = normalize_text(text).upper()
    runs = []
    for match in _PLATE_RUN.finditer(text):
        run = match.group()
        for length in (8, 7):  # new-energy plates have one character more
            if len(run) >= length and _is_valid(validators.validate_plate, run[:length]):
                runs.append((run[:length], True))
                break
        else:
            runs.append((run[:8], False))
    return runs


def _plate_candidates_or_failed(text: str) -> tuple[list[str], str]:
    runs = _plate_runs(text)
    return [plate for plate, valid in runs if valid], next(
        (plate for plate, valid in runs if not valid), ""
    )


def _windows(text: str, length: int = 18):
    for match in _ALNUM_RUN.finditer(normalize_text(text).upper()):
        run = match.group()
        for start in range(len(run) - length + 1):
            yield run[start : start + length]


def _identifier_candidates(text, looks_like, validator) -> tuple[list[str], str]:
    """Valid identifiers among the 18-character runs of one line, exactly as read; and the
    first run that looks like one but fails its check character ("" when none)."""
    found, failed = [], ""
    for window in _windows(text):
        if not looks_like(window):
            continue
        if _is_valid(validator, window):
            found.append(window)
        elif not failed:
            failed = window
    return found, failed


def credit_code_candidates(text: str) -> tuple[list[str], str]:
    """Valid unified social credit codes in one line; and the first 18-character run that
    looks like one but fails its check character, as read ("" when none)."""
    return _identifier_candidates(
        text,
        lambda window: sum(char.isdigit() for char in window[2:8]) >= 5,
        validators.validate_credit_code,
    )


def id_number_candidates(text: str) -> tuple[list[str], str]:
    """Valid resident ID numbers in one line; and the first run that looks like one but fails
    its check digit, as read ("" when none)."""
    return _identifier_candidates(
        text,
        lambda window: sum(char.isdigit() for char in window) >= 15,
        validators.validate_id_number,
    )


# --- The page's layout ------------------------------------------------------------------------

# Every label the office's documents print, so that none is ever taken for a value: a value
# that is a label ("证件类型" read as the name) is no value, and a value runs up to the next
# label ("王建军性别男" is 王建军).
KNOWN_LABELS = (
    "统一社会信用代码",
    "法定代表人",
    "经营范围",
    "注册资本",
    "成立日期",
    "营业期限",
    "登记机关",
    "名称",
    "类型",
    "住所",
    "号牌号码",
    "车辆类型",
    "所有人",
    "住址",
    "使用性质",
    "品牌型号",
    "车辆识别代号",
    "发动机号码",
    "注册日期",
    "发证日期",
    "证号",
    "姓名",
    "性别",
    "国籍",
    "出生日期",
    "初次领证日期",
    "准驾车型",
    "有效期限",
    "年龄",
    "证件类型",
    "证件号码",
    "样本类型",
    "样本编号",
    "采样时间",
    "采集时间",
    "接收时间",
    "报告时间",
    "检测时间",
    "检测结果",
    "检测项目",
    "检测方法",
    "参考区间",
    "送检单位",
    "检验者",
    "审核者",
    "承诺单位",
    "申请单位",
    "单位名称",
)
# The English sub-labels real licences print under or beside the Chinese ones (compared with
# spaces removed and in any case).
ENGLISH_LABELS = re.compile(
    r"(?i)(PlateNo\.?|VehicleType|Owner|Address|UseCharacter|Model|VIN|EngineNo\.?|"
    r"RegisterDate|IssueDate|DateofFirstIssue|DateofBirth|Nationality|ValidPeriod|Name|Sex|"
    r"Class)"
)
_LEAD = re.compile(r"^[:：;；,，.。、()（）\[\]【】|/_-]+")


@dataclass
class _Cell:
    index: int
    text: str  # normalised
    page: int
    left: float
    right: float
    top: float
    bottom: float


class Layout:
    """The lines of a page as cells on it, grouped in rows (boxes sharing a band of the page),
    so a value is looked for where a person looks: after its label in the same cell, in the
    cell to its right, or in the cell under it. Lines without boxes (a PDF's text layer, bare
    strings) stand one to a row, in order."""

    def __init__(self, lines):
        self.cells = []
        for index, line in enumerate(lines):
            raw = line if isinstance(line, str) else line.get("text", "")
            box = None if isinstance(line, str) else line.get("box")
            page = 1 if isinstance(line, str) else line.get("page", 1)
            if box:
                for _turn in range(line.get("turns", 0)):  # as the page stood when read
                    box = [[y, 1.0 - x] for x, y in box]
                xs, ys = [x for x, _y in box], [y for _x, y in box]
                left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
            else:
                left, right, top, bottom = 0.0, 1.0, float(index), index + 0.9
                page = 10**6 + page  # never in a row with boxed lines
            self.cells.append(_Cell(index, normalize_text(raw), page, left, right, top, bottom))
        self.texts = [cell.text for cell in self.cells]
        self.rows = self._rows()

    def _rows(self):
        rows = []
        for cell in sorted(self.cells, key=lambda c: (c.page, (c.top + c.bottom) / 2)):
            for row in rows:
                head = row[0]
                overlap = min(cell.bottom, head.bottom) - max(cell.top, head.top)
                height = min(cell.bottom - cell.top, head.bottom - head.top)
                if head.page == cell.page and overlap > 0.5 * height:
                    row.append(cell)
                    break
            else:
                rows.append([cell])
        return [sorted(row, key=lambda c: c.left) for row in rows]

    def _below(self, cell, limit=2):
        """Cells under ``cell`` (overlapping its columns), nearest first, at most ``limit``."""
        under = [
            other
            for other in self.cells
            if other.page == cell.page
            and other.top >= cell.bottom - 0.3 * (cell.bottom - cell.top)
            and min(other.right, cell.right) > max(other.left, cell.left)
            and other is not cell
        ]
        return sorted(under, key=lambda c: c.top)[:limit]

    def labelled(self, labels, *, below=False):
        """(candidate text, line index) for each place a value of ``labels`` may stand, best
        first: after the label in its cell, the cells to its right, and (with ``below``, or
        for lines without boxes) the cells under it."""
        found = []
        for row in self.rows:
            joined, owners = "", []
            for cell in row:
                joined += cell.text
                owners += [cell] * len(cell.text)
            for label in labels:
                position = joined.find(label)
                if position < 0:
                    continue
                end = position + len(label)
                cell = owners[end - 1]
                rest = cell.text[end - owners.index(cell) :]
                found.append((rest, cell.index))
                right = row[row.index(cell) + 1 :]
                for offset, neighbour in enumerate(right[:3]):
                    found.append((neighbour.text, neighbour.index))
                    if offset + 1 < len(right[:3]):  # a date and a time in two cells
                        found.append((neighbour.text + right[offset + 1].text, neighbour.index))
                label_cell = owners[position]
                if below or label_cell.page >= 10**6:
                    for neighbour in self._below(label_cell):
                        found.append((neighbour.text, neighbour.index))
        return [(clean_value(text), index) for text, index in found]


def clean_value(text: str) -> str:
    """A candidate value without the colon, the English sub-label and the labels around it."""
    text = ENGLISH_LABELS.sub("", text)
    text = _LEAD.sub("", text)
    for label in KNOWN_LABELS:
        position = text.find(label)
        if position == 0:
            text = _LEAD.sub("", text[len(label) :])
        elif position > 0:
            text = text[:position]
    return _LEAD.sub("", text).rstrip(":：;；,，、|/_-")


def _is_label(text: str) -> bool:
    return not text or text in KNOWN_LABELS


def _first(layout, labels, accept, *, below=False):
    """The first labelled candidate that ``accept`` turns into a value: (value, index)."""
    for text, index in layout.labelled(labels, below=below):
        if _is_label(text):
            continue
        value = accept(text)
        if value:
            return value, index
    return None


def _identifier(result, layout, name, labels, candidates_of):
    """An identifier: in its labelled place first, then anywhere on the page; only valid
    exactly as read (see ``_checked``)."""
    places = [(text, index) for text, index in layout.labelled(labels, below=True)]
    places += [(text, index) for index, text in enumerate(layout.texts)]
    failed, failed_index = "", None
    for text, index in places:
        found, bad = candidates_of(text)
        if found:
            result.put(name, found[0], index)
            return
        if bad and not failed:
            failed, failed_index = bad, index
    if failed:
        result.problem(name, "checksum")
        result.raw.setdefault(name, failed)
        result.evidence.setdefault(name, failed_index)
    else:
        result.problem(name, "not_found")


_PERSON = re.compile(r"^[\u3400-\u9fff·]{2,6}$")
# Pieces of labels that are never part of a person's name.
_NOT_IN_NAMES = ("证件", "类型", "号码", "身份", "性别", "年龄", "居民", "国籍", "住址", "日期")


def _person(text: str) -> str | None:
    text = re.split(r"[A-Za-z0-9:]", text, maxsplit=1)[0]
    if not _PERSON.match(text) or _is_label(text):
        return None
    return None if any(piece in text for piece in _NOT_IN_NAMES) else text


def _organisation(text: str) -> str | None:
    text = text.removeprefix("(盖章)").removeprefix("（盖章）")
    text = _LEAD.sub("", text)
    return text if len(text) >= 4 and not _is_label(text) else None


def _labelled(result, layout, name, labels, accept):
    found = _first(layout, labels, accept)
    if found:
        result.put(name, found[0], found[1])
    else:
        result.problem(name, "not_found")


def _masked_id(result, texts):
    for index, text in enumerate(texts):
        match = _MASKED_ID.search(normalize_text(text).upper())
        if match:
            result.put("id_number_masked", f"{match.group(1)}{'*' * 8}{match.group(2)}", index)
            return


def parse_datetime(text: str) -> datetime.datetime | None:
    match = _DATETIME.search(normalize_text(text))
    if not match:
        return None
    try:
        year, month, day, hour, minute = (int(part) for part in match.groups())
        return datetime.datetime(
            year, month, day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE)
        )
    except ValueError:
        return None


# --- Per kind ---------------------------------------------------------------------------------


def _business_licence(result, layout):
    _identifier(
        result, layout, "credit_code", ("统一社会信用代码", "信用代码"), credit_code_candidates
    )
    _labelled(result, layout, "enterprise_name", ("企业名称", "名称"), _organisation)


def _vehicle_licence(result, layout):
    _identifier(result, layout, "plate", ("号牌号码", "号牌"), _plate_candidates_or_failed)
    _labelled(result, layout, "owner", ("所有人",), _organisation)
    _labelled(
        result,
        layout,
        "vehicle_type",
        ("车辆类型",),
        lambda text: text if "车" in text and len(text) >= 3 else None,
    )


def _driving_class(text: str) -> str | None:
    match = _DRIVING_CLASS.match(text.upper())
    return match.group(1) if match else None


def _driving_licence(result, layout):
    _labelled(result, layout, "name", ("姓名",), _person)
    _identifier(
        result, layout, "id_number", ("证号", "身份证号", "公民身份号码"), id_number_candidates
    )
    if "id_number" not in result.fields:
        _masked_id(result, layout.texts)
    _labelled(result, layout, "licence_class", ("准驾车型",), _driving_class)


def _sampling_time(text: str) -> str | None:
    sampled = parse_datetime(text)
    return sampled.isoformat(timespec="minutes") if sampled else None


def _test_result(text: str) -> str | None:
    negative, positive = "阴性" in text, "阳性" in text
    if negative != positive:
        return "negative" if negative else "positive"
    return None


def _nucleic_acid_test(result, layout):
    _labelled(result, layout, "name", ("姓名",), _person)
    _identifier(result, layout, "id_number", ("证件号码", "身份证号", "证号"), id_number_candidates)
    if "id_number" not in result.fields:
        _masked_id(result, layout.texts)
    # Only the sampling time: a report also prints when the sample was received and reported.
    _labelled(result, layout, "sampled_at", ("采样时间", "采集时间", "采样日期"), _sampling_time)
    found = _first(layout, ("检测结果", "检测结论"), _test_result)
    if found:
        result.put("result", found[0], found[1])
        return
    # No labelled result: every line that names one must agree (a reference column says 阴性
    # beside a positive result).
    seen = {(_test_result(text), index) for index, text in enumerate(layout.texts)}
    values = {value for value, _index in seen if value}
    if len(values) == 1:
        value = values.pop()
        result.put("result", value, min(index for v, index in seen if v == value))
    else:
        result.problem("result", "not_found")


def _commitment_letter(result, layout):
    _labelled(
        result,
        layout,
        "enterprise_name",
        ("申请单位", "承诺单位", "单位名称"),
        _organisation,
    )


EXTRACTORS = {
    DocumentKind.BUSINESS_LICENCE: _business_licence,
    DocumentKind.VEHICLE_LICENCE: _vehicle_licence,
    DocumentKind.DRIVING_LICENCE: _driving_licence,
    DocumentKind.NUCLEIC_ACID_TEST: _nucleic_acid_test,
    DocumentKind.COMMITMENT_LETTER: _commitment_letter,
}


def extract(kind: str, lines: list) -> Extraction:
    """The fields of a document of ``kind`` from its lines (in reading order): the engine's
    line dicts (text, box, confidence) or bare strings."""
    result = Extraction()
    extractor = EXTRACTORS.get(kind)
    if extractor is not None:
        extractor(result, Layout(lines))
    return result


def vehicle_type_of(text: str) -> str | None:
    """The project's vehicle type a licence's wording names, or None."""
    text = normalize_text(text)
    for vehicle_type, words in VEHICLE_TYPE_WORDS.items():
        if any(word in text for word in words):
            return vehicle_type
    return None
