"""Fields of each kind of document, picked out of the lines the engine read.

Identifiers are not taken from a bare pattern: every candidate goes through the project's
validators (GB 32100 check character, GB 11643 check digit, plate rules). A character that
cannot stand where it was read (``O`` in a plate or an ID number) is replaced by the one OCR
usually confuses it with; a candidate that fails its check character is corrected only when
exactly one likely misreading makes it valid. A correction never turns one valid identifier
into another, so a document that carries a different plate or code reads as different.
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

# Characters OCR confuses with the ones an identifier may contain.
_DIGIT_FOR = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"}
_LETTER_FOR = {"0": "D", "8": "B", "2": "Z", "5": "S", "6": "G", "1": "T"}
# Single misreadings tried when a credit code or ID number fails its check character.
_CONFUSABLE = {
    "0": "DQ8",
    "D": "0",
    "Q": "0",
    "8": "B36",
    "B": "8",
    "6": "G85",
    "G": "6",
    "1": "7T",
    "7": "1",
    "T": "1",
    "M": "N",
    "N": "MH",
    "H": "N",
    "U": "W",
    "W": "U",
    "3": "8",
    "5": "6",
}
_SEPARATORS = re.compile(r"[\s·•‧∙・]")
_PLATE_RUN = re.compile(rf"[{validators.PROVINCES}][A-Z0-9]{{6,7}}")
_ALNUM_RUN = re.compile(r"[0-9A-Z]{18,}")
_MASKED_ID = re.compile(r"(\d{6})\*{4,}(\d{3}[\dX])")
_DATETIME = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[-T_]?(\d{1,2})[:时点](\d{2})")
_DRIVING_CLASS = re.compile(r"^((?:[ABC][1-6]|[DEFMNP])+)")

# What a vehicle licence says for each of the project's vehicle types.
VEHICLE_TYPE_WORDS = {
    Vehicle.VehicleType.HEAVY_TRUCK: ("重型货车", "重型半挂", "重型栏板", "重型厢式", "重型仓栅"),
    Vehicle.VehicleType.MEDIUM_TRUCK: ("中型货车", "中型栏板", "中型厢式", "中型仓栅"),
    Vehicle.VehicleType.LIGHT_TRUCK: ("轻型货车", "轻型栏板", "轻型普通", "轻型仓栅"),
    Vehicle.VehicleType.VAN: ("厢式货车", "轻型厢式", "封闭货车"),
    Vehicle.VehicleType.REFRIGERATED: ("冷藏车", "冷藏"),
    Vehicle.VehicleType.TANKER: ("罐式货车", "罐式", "罐车"),
    Vehicle.VehicleType.TRACTOR: ("牵引车", "半挂牵引"),
}


@dataclass
class Extraction:
    """Normalised field values, the line each came from, and why a field could not be read."""

    fields: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)  # field -> index into the lines
    problems: dict = field(default_factory=dict)  # field -> reason code

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


def _single_corrections(value: str, validator) -> list[str]:
    found = set()
    for position, char in enumerate(value):
        for other in _CONFUSABLE.get(char, ""):
            candidate = value[:position] + other + value[position + 1 :]
            if _is_valid(validator, candidate):
                found.add(candidate)
    return sorted(found)


def _checked(value: str, validator) -> tuple[str | None, str]:
    """``value`` if valid, else the one likely misreading that is valid, else (None, reason)."""
    if _is_valid(validator, value):
        return value, ""
    corrections = _single_corrections(value, validator)
    if len(corrections) == 1:
        return corrections[0], ""
    return None, "checksum"


def plate_candidates(text: str) -> list[str]:
    """Valid plates in one line, in the order they appear."""
    text = normalize_text(text).upper()
    found = []
    for match in _PLATE_RUN.finditer(text):
        run = match.group()
        for length in (8, 7):  # new-energy plates have one character more
            if len(run) < length:
                continue
            chars = list(run[:length])
            chars[1] = _LETTER_FOR.get(chars[1], chars[1])
            chars[2:] = [{"O": "0", "I": "1"}.get(char, char) for char in chars[2:]]
            plate = "".join(chars)
            if _is_valid(validators.validate_plate, plate):
                found.append(plate)
                break
    return found


def _windows(text: str, length: int = 18):
    for match in _ALNUM_RUN.finditer(normalize_text(text).upper()):
        run = match.group()
        for start in range(len(run) - length + 1):
            yield run[start : start + length]


def credit_code_candidates(text: str) -> tuple[list[str], bool]:
    """Valid unified social credit codes in one line; and whether an 18-character run was seen
    that no correction could make valid."""
    found, failed = [], False
    for window in _windows(text):
        code = "".join({"I": "1", "O": "0", "Z": "2", "S": "5"}.get(c, c) for c in window)
        if not code[2:8].isdigit():
            continue
        value, _reason = _checked(code, validators.validate_credit_code)
        if value:
            found.append(value)
        else:
            failed = True
    return found, failed


def id_number_candidates(text: str) -> tuple[list[str], bool]:
    found, failed = [], False
    for window in _windows(text):
        number = "".join(_DIGIT_FOR.get(c, c) for c in window[:17]) + (
            window[17] if window[17] == "X" else _DIGIT_FOR.get(window[17], window[17])
        )
        if not re.fullmatch(r"\d{17}[\dX]", number):
            continue
        value, _reason = _checked(number, validators.validate_id_number)
        if value:
            found.append(value)
        else:
            failed = True
    return found, failed


# --- Labelled values --------------------------------------------------------------------------


def _after_label(texts: list[str], labels) -> tuple[str, int] | None:
    """The text after the first of ``labels`` (and its colon), or the next line when the value
    stands in a box of its own."""
    for index, text in enumerate(texts):
        for label in labels:
            position = text.find(label)
            if position < 0:
                continue
            rest = text[position + len(label) :].lstrip(":")
            if rest:
                return rest, index
            if index + 1 < len(texts):
                return texts[index + 1], index + 1
    return None


def _labelled_or_anywhere(texts, labels, candidates_of):
    """Candidates on the labelled line first, then anywhere; (value, index, failed)."""
    labelled = _after_label(texts, labels)
    order = list(range(len(texts)))
    if labelled:
        order.remove(labelled[1])
        order.insert(0, labelled[1])
    failed = False
    for index in order:
        found, bad = candidates_of(texts[index])
        failed = failed or bad
        if found:
            return found[0], index, failed
    return None, None, failed


def _identifier(result, texts, name, labels, candidates_of):
    value, index, failed = _labelled_or_anywhere(texts, labels, candidates_of)
    if value:
        result.put(name, value, index)
    else:
        result.problem(name, "checksum" if failed else "not_found")


def _person_name(result, texts, labels=("姓名",)):
    labelled = _after_label(texts, labels)
    if not labelled:
        result.problem("name", "not_found")
        return
    value, index = labelled
    value = re.split(r"[:性别]|[A-Za-z0-9]", value, maxsplit=1)[0]
    if 2 <= len(value) <= 6:
        result.put("name", value, index)
    else:
        result.problem("name", "not_found")


def _enterprise_name(result, texts, labels):
    labelled = _after_label(texts, labels)
    if labelled and len(labelled[0]) >= 4:
        result.put("enterprise_name", labelled[0], labelled[1])
    else:
        result.problem("enterprise_name", "not_found")


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


def _business_licence(result, texts):
    _identifier(
        result,
        texts,
        "credit_code",
        ("统一社会信用代码", "信用代码"),
        credit_code_candidates,
    )
    _enterprise_name(result, texts, ("名称", "企业名称"))


def _vehicle_licence(result, texts):
    _identifier(
        result, texts, "plate", ("号牌号码", "号牌"), lambda text: (plate_candidates(text), False)
    )
    _enterprise_name(result, texts, ("所有人",))
    if "enterprise_name" in result.fields:
        result.fields["owner"] = result.fields.pop("enterprise_name")
        result.evidence["owner"] = result.evidence.pop("enterprise_name")
    else:
        result.problems.pop("enterprise_name", None)
        result.problem("owner", "not_found")
    labelled = _after_label(texts, ("车辆类型",))
    if labelled:
        result.put("vehicle_type", labelled[0], labelled[1])
    else:
        result.problem("vehicle_type", "not_found")


def _driving_licence(result, texts):
    _person_name(result, texts)
    _identifier(
        result, texts, "id_number", ("证号", "身份证号", "公民身份号码"), id_number_candidates
    )
    if "id_number" not in result.fields:
        _masked_id(result, texts)
    labelled = _after_label(texts, ("准驾车型",))
    match = _DRIVING_CLASS.match(labelled[0].upper()) if labelled else None
    if match:
        result.put("licence_class", match.group(1), labelled[1])
    else:
        result.problem("licence_class", "not_found")


def _nucleic_acid_test(result, texts):
    _person_name(result, texts)
    _identifier(result, texts, "id_number", ("证件号码", "身份证号", "证号"), id_number_candidates)
    if "id_number" not in result.fields:
        _masked_id(result, texts)
    labelled = _after_label(texts, ("采样时间", "采集时间", "采样日期"))
    lines = [labelled] if labelled else []
    lines += [(text, index) for index, text in enumerate(texts)]
    for text, index in lines:
        sampled = parse_datetime(text)
        if sampled:
            result.put("sampled_at", sampled.isoformat(timespec="minutes"), index)
            break
    else:
        result.problem("sampled_at", "not_found")
    labelled = _after_label(texts, ("检测结果", "结果"))
    candidates = [labelled] if labelled else []
    candidates += [(text, index) for index, text in enumerate(texts)]
    for text, index in candidates:
        negative, positive = "阴性" in text, "阳性" in text
        if negative != positive:
            result.put("result", "negative" if negative else "positive", index)
            break
    else:
        result.problem("result", "not_found")


def _commitment_letter(result, texts):
    _enterprise_name(result, texts, ("申请单位", "承诺单位", "单位名称"))


EXTRACTORS = {
    DocumentKind.BUSINESS_LICENCE: _business_licence,
    DocumentKind.VEHICLE_LICENCE: _vehicle_licence,
    DocumentKind.DRIVING_LICENCE: _driving_licence,
    DocumentKind.NUCLEIC_ACID_TEST: _nucleic_acid_test,
    DocumentKind.COMMITMENT_LETTER: _commitment_letter,
}


def extract(kind: str, texts: list[str]) -> Extraction:
    """The fields of a document of ``kind`` from its lines (in reading order)."""
    normalised = [normalize_text(text) for text in texts]
    result = Extraction()
    extractor = EXTRACTORS.get(kind)
    if extractor is not None:
        extractor(result, normalised)
    return result


def vehicle_type_of(text: str) -> str | None:
    """The project's vehicle type a licence's wording names, or None."""
    text = normalize_text(text)
    for vehicle_type, words in VEHICLE_TYPE_WORDS.items():
        if any(word in text for word in words):
            return vehicle_type
    return None
