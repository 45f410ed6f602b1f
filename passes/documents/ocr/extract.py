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
    failed, failed_index = "", None
    for index in order:
        found, bad = candidates_of(texts[index])
        if bad and not failed:
            failed, failed_index = bad, index
        if found:
            return found[0], index, "", None
    return None, None, failed, failed_index


def _identifier(result, texts, name, labels, candidates_of):
    value, index, failed, failed_index = _labelled_or_anywhere(texts, labels, candidates_of)
    if value:
        result.put(name, value, index)
    elif failed:
        result.problem(name, "checksum")
        result.raw.setdefault(name, failed)
        result.evidence.setdefault(name, failed_index)
    else:
        result.problem(name, "not_found")


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
    _identifier(result, texts, "plate", ("号牌号码", "号牌"), _plate_candidates_or_failed)
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


def extract(kind: str, lines: list) -> Extraction:
    """The fields of a document of ``kind`` from its lines (in reading order): the engine's
    line dicts (text, box, confidence) or bare strings."""
    texts = [line if isinstance(line, str) else line.get("text", "") for line in lines]
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
