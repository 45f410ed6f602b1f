"""Checks of what the machine read against what was filed: match, mismatch or unreadable.

A check says "match" only when the value read, valid exactly as read (nothing corrected), equals
the filed one after normalisation, and an identifier only when it was read with confidence: a
look-alike edit (0 for D, 8 for B) read unsurely is no proof of the filed value. A value that fails
its check character is "unreadable", shown as read; a value read with low confidence that differs
is "unreadable" too, never "match". ID numbers are kept
masked in the checks (they are shown in lists and to the enterprise).
"""

import datetime
import re
from difflib import SequenceMatcher

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ... import validators
from ...models import DocumentKind, DocumentReading
from ...wording import durations
from .extract import Extraction, normalize_name, normalize_text, vehicle_type_of

MATCH, MISMATCH, UNREADABLE = "match", "mismatch", "unreadable"
# A differing value read below this confidence is put down to the scan, not to the document;
# an identifier matches only when its least sure character reaches it.
CONFIDENT = 0.8
IDENTIFIERS = frozenset({"credit_code", "plate", "id_number"})

FIELD_LABELS = {
    "credit_code": gettext_lazy("unified social credit code"),
    "enterprise_name": gettext_lazy("enterprise name"),
    "plate": gettext_lazy("plate"),
    "owner": gettext_lazy("owner"),
    "vehicle_type": gettext_lazy("vehicle type"),
    "name": gettext_lazy("Name"),  # a person's: 姓名, not the 名称 of an organisation
    "id_number": gettext_lazy("ID number"),
    "licence_class": gettext_lazy("licence class"),
    "sampled_at": gettext_lazy("sampling time"),
    "result": gettext_lazy("test result"),
}
REASONS = {
    "not_found": gettext_lazy("not found on the scan"),
    "checksum": gettext_lazy("what was read fails its check character"),
    "low_confidence": gettext_lazy("read with low confidence"),
    "masked": gettext_lazy("masked on the document"),
    "not_filed": gettext_lazy("nothing filed to compare with"),
    "unknown_type": gettext_lazy("wording not recognised"),
    "too_old": gettext_lazy("older than the pass type allows"),
    "after_upload": gettext_lazy("later than the upload"),
    "positive": gettext_lazy("the result is positive"),
    "near_match": gettext_lazy("a few characters differ; please compare by eye"),
    "rare_character": gettext_lazy(
        "a rare character differs or is missing, as the recogniser often reads it; please "
        "compare by eye"
    ),
}


def _check(field, status, read="", filed="", reason=""):
    return {"field": field, "status": status, "read": read, "filed": filed, "reason": reason}


def _confidence(extraction: Extraction, lines, name) -> float:
    """How sure the engine was of a field: for an identifier its least sure character (one
    look-alike read unsurely is what matters; the label's characters beside it are not), else
    the line's mean."""
    index = extraction.evidence.get(name)
    if index is None or index >= len(lines):
        return 0.0
    line = lines[index]
    confidence = float(line.get("confidence", 0))
    if name not in IDENTIFIERS:
        return confidence
    value = extraction.fields.get(name) or extraction.raw.get(name) or ""
    within = _value_confidence(line, value)
    if within is not None:
        return within
    return min(confidence, float(line.get("lowest", confidence)))


def _differing_confidence(extraction, lines, name, read: str, filed: str) -> float:
    """The least sure of the characters of ``read`` that differ from ``filed`` (the whole
    value's least sure when they differ in length)."""
    index = extraction.evidence.get(name)
    read_n, filed_n = normalize_text(read).upper(), normalize_text(filed).upper()
    if index is None or index >= len(lines) or len(read_n) != len(filed_n):
        return _confidence(extraction, lines, name)
    per_char = _value_confidences(lines[index], read)
    if per_char is None:
        return _confidence(extraction, lines, name)
    differing = [c for c, a, b in zip(per_char, read_n, filed_n, strict=True) if a != b]
    return float(min(differing)) if differing else _confidence(extraction, lines, name)


def _value_confidence(line, value: str) -> float | None:
    confidences = _value_confidences(line, value)
    return float(min(confidences)) if confidences else None


def _value_confidences(line, value: str) -> list[float] | None:
    """The confidence of each character of ``value`` where it stands in ``line`` (None when
    the line has no per-character confidences or the value is not found in it)."""
    text, chars = line.get("text", ""), line.get("chars") or []
    if not value or len(chars) != len(text):
        return None
    normalised, confidences = "", []
    for char, confidence in zip(text, chars, strict=True):
        piece = normalize_text(char).upper()
        normalised += piece
        confidences += [confidence] * len(piece)
    start = normalised.find(normalize_text(value).upper())
    if start < 0:
        return None
    return confidences[start : start + len(normalize_text(value).upper())]


def _compare(extraction, lines, name, filed, *, normalise=normalize_name, mask=None):
    shown_filed = mask(filed) if mask else filed
    if not filed:
        return _check(name, UNREADABLE, reason="not_filed")
    if name not in extraction.fields:
        # What failed its check is shown as read: never turned into a value, never a match.
        raw = extraction.raw.get(name, "")
        return _check(
            name,
            UNREADABLE,
            read=mask(raw) if mask and raw else raw,
            filed=shown_filed,
            reason=extraction.problems.get(name, "not_found"),
        )
    read = extraction.fields[name]
    shown_read = mask(read) if mask else read
    confident = _confidence(extraction, lines, name) >= CONFIDENT
    if normalise(read) == normalise(filed):
        if name in IDENTIFIERS and not confident:
            return _check(name, UNREADABLE, shown_read, shown_filed, "low_confidence")
        return _check(name, MATCH, shown_read, shown_filed)
    if name in IDENTIFIERS:
        # A differing identifier is a mismatch when the characters that differ were read
        # surely (a province character read unsurely beside them does not make 8 less an 8).
        confident = _differing_confidence(extraction, lines, name, read, filed) >= CONFIDENT
    if not confident:
        return _check(name, UNREADABLE, shown_read, shown_filed, "low_confidence")
    if name in ("enterprise_name", "owner") and _similar(normalise(read), normalise(filed)):
        # A few characters of a long name (渌 read as 录) are as likely the engine as the
        # document: the reviewer compares by eye.
        return _check(name, UNREADABLE, shown_read, shown_filed, "near_match")
    if name == "name" and _rare_character_apart(normalise(read), normalise(filed)):
        return _check(name, UNREADABLE, shown_read, shown_filed, "rare_character")
    return _check(name, MISMATCH, shown_read, shown_filed)


def _similar(read: str, filed: str) -> bool:
    """Long names that differ in a few characters only (at least 80 % alike)."""
    return len(filed) >= 6 and SequenceMatcher(None, read, filed).ratio() >= 0.8


def is_common_character(char: str) -> bool:
    """Whether ``char`` is one of GB 2312's 3,755 level-1 characters (the common ones the
    recogniser knows well). Rarer ones (晟 渌 琛 垚 翀) are often read as a look-alike or
    dropped."""
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xD7


def _rare_character_apart(read: str, filed: str) -> bool:
    """A person's name read with one character different or missing, where the filed
    character is a rare one: the recogniser, not the document (晟 read as 成, 垚 dropped)."""
    if len(read) == len(filed):
        differing = [b for a, b in zip(read, filed, strict=True) if a != b]
        return len(differing) == 1 and not is_common_character(differing[0])
    if len(read) + 1 == len(filed):
        for position, char in enumerate(filed):
            if filed[:position] + filed[position + 1 :] == read:
                return not is_common_character(char)
    return False


def _id_check(extraction, lines, filed):
    if "id_number" in extraction.fields or "id_number_masked" not in extraction.fields:
        return _compare(
            extraction,
            lines,
            "id_number",
            filed,
            normalise=validators.normalize_id_number,
            mask=validators.mask_id_number,
        )
    masked = extraction.fields["id_number_masked"]
    shown = validators.mask_id_number(filed)
    if not filed:
        return _check("id_number", UNREADABLE, reason="not_filed")
    if masked[:6] == filed[:6] and masked[-4:] == filed[-4:]:
        return _check("id_number", MATCH, masked, shown, "masked")
    return _check("id_number", MISMATCH, masked, shown, "masked")


def _vehicle_for(document):
    if document.vehicle_id:
        return document.vehicle
    if document.item_id:
        return document.item.vehicle
    return None


def _organisation(extraction, lines, name, filed):
    """An organisation's name: a match when the filed name stands whole on the page (so the
    line holding it is boxed), else what the label gave, compared as any name."""
    if filed and name_on_page(lines, filed):
        wanted = normalize_name(filed)
        for index, line in enumerate(lines):
            if wanted in normalize_name(line.get("text", "")):
                extraction.evidence[name] = index
                break
        return _check(name, MATCH, filed, filed)
    return _compare(extraction, lines, name, filed)


def _business_licence(document, extraction, lines):
    enterprise = document.enterprise
    return [
        _compare(
            extraction,
            lines,
            "credit_code",
            enterprise.credit_code,
            normalise=validators.normalize_credit_code,
        ),
        _organisation(extraction, lines, "enterprise_name", enterprise.name),
    ]


def _vehicle_licence(document, extraction, lines):
    vehicle = _vehicle_for(document)
    checks = [
        _compare(
            extraction,
            lines,
            "plate",
            vehicle.plate if vehicle else "",
            normalise=validators.normalize_plate,
        ),
        _organisation(extraction, lines, "owner", document.enterprise.name),
    ]
    if vehicle is None:
        return checks
    filed_type = vehicle.get_vehicle_type_display()
    read = extraction.fields.get("vehicle_type")
    if not read:
        checks.append(_check("vehicle_type", UNREADABLE, filed=filed_type, reason="not_found"))
    elif vehicle.vehicle_type == "other":
        checks.append(_check("vehicle_type", UNREADABLE, read, filed_type, "not_filed"))
    else:
        read_type = vehicle_type_of(read)
        if read_type == vehicle.vehicle_type:
            checks.append(_check("vehicle_type", MATCH, read, filed_type))
        elif read_type is None or _confidence(extraction, lines, "vehicle_type") < CONFIDENT:
            checks.append(_check("vehicle_type", UNREADABLE, read, filed_type, "unknown_type"))
        else:
            checks.append(_check("vehicle_type", MISMATCH, read, filed_type))
    return checks


def _driving_licence(document, extraction, lines):
    driver = document.driver
    return [
        _compare(extraction, lines, "name", driver.name if driver else ""),
        _id_check(extraction, lines, driver.id_number if driver else ""),
    ]


def _sampling_checks(document, extraction):
    """The sampling time against the one filed, the pass type's window and the validity."""
    read = extraction.fields.get("sampled_at")
    if not read:
        return [_check("sampled_at", UNREADABLE, reason=extraction.problems.get("sampled_at"))]
    sampled = datetime.datetime.fromisoformat(read)
    shown = timezone.localtime(sampled).strftime("%Y-%m-%d %H:%M")
    if document.tested_at:
        filed = timezone.localtime(document.tested_at)
        filed_shown = filed.strftime("%Y-%m-%d %H:%M")
        if abs(filed - sampled) >= datetime.timedelta(minutes=1):
            return [_check("sampled_at", MISMATCH, shown, filed_shown)]
    else:
        filed_shown = ""
    uploaded = document.uploaded_at or timezone.now()
    if sampled > uploaded + datetime.timedelta(minutes=5):
        return [_check("sampled_at", MISMATCH, shown, filed_shown, "after_upload")]
    request = document.request
    # The workflow's freshness rule (``PassType.health_proof_problem``), judged as the guards
    # judge it: now, the moment of this reading. (A sample up to five minutes after the upload
    # is the devices' clocks, settled above; the guard judges it again at the decision.)
    if request and request.pass_type.health_proof_problem(sampled, timezone.now()) == "too_old":
        check = _check("sampled_at", MISMATCH, shown, filed_shown, "too_old")
        check["limit_hours"] = request.pass_type.health_proof_max_age_hours  # named when shown
        return [check]
    return [_check("sampled_at", MATCH, shown, filed_shown)]


def _nucleic_acid_test(document, extraction, lines):
    checks = _driving_licence(document, extraction, lines)
    checks += _sampling_checks(document, extraction)
    result = extraction.fields.get("result")
    if result == "negative":
        checks.append(_check("result", MATCH, _("negative"), _("negative")))
    elif result == "positive":
        checks.append(_check("result", MISMATCH, _("positive"), _("negative"), "positive"))
    else:
        checks.append(_check("result", UNREADABLE, filed=_("negative"), reason="not_found"))
    return checks


# What may stand right before an organisation's name found on the page: a label, or nothing.
_NAME_LEAD_INS = ("名称", "所有人", "OWNER", "单位", "(盖章)", "盖章", ":", "章")
# What, right after a name, makes it part of a longer one (a branch of the filed company).
_LONGER_NAME = re.compile(r"^.{0,10}?(分公司|分厂|分部|分店|办事处|营业部)")


def name_on_page(lines, name: str) -> bool:
    """Whether the organisation ``name`` stands on the page as a whole name: in one line, or
    across the boxes of one row, led in by a label or by nothing, and not the start of a
    longer name (a branch). Names are found, not cut out: a label read in two pieces
    (名　　称) or a value in the next cell does not matter."""
    wanted = normalize_name(name)
    if len(wanted) < 4:
        return False
    for text in _texts_and_rows(lines):
        start = text.find(wanted)
        while start >= 0:
            before, after = text[:start], text[start + len(wanted) :]
            led_in = not before or not _is_cjk(before[-1]) or before.endswith(_NAME_LEAD_INS)
            if led_in and not _LONGER_NAME.match(after):
                return True
            start = text.find(wanted, start + 1)
    return False


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _texts_and_rows(lines):
    """Each line's text, then each row's (the lines whose boxes share a band of the page,
    left to right), all normalised."""
    texts = [normalize_name(line.get("text", "")) for line in lines]
    yield from texts
    boxed = [
        (line.get("page", 1), _band(line["box"]), min(x for x, _y in line["box"]), text)
        for line, text in zip(lines, texts, strict=True)
        if line.get("box")
    ]
    for page, (top, bottom), _left, _text in boxed:
        row = sorted(
            (left, text)
            for other_page, (other_top, other_bottom), left, text in boxed
            if other_page == page
            and min(bottom, other_bottom) - max(top, other_top)
            > 0.5 * min(bottom - top, other_bottom - other_top)
        )
        if len(row) > 1:
            yield "".join(text for _left, text in row)


def _band(box):
    ys = [y for _x, y in box]
    return min(ys), max(ys)


def _names_present(document, extraction, lines):
    name = document.enterprise.name
    if name_on_page(lines, name):
        return [_check("enterprise_name", MATCH, name, name)]
    if document.kind == DocumentKind.COMMITMENT_LETTER:
        return [_compare(extraction, lines, "enterprise_name", name)]
    return []


CHECKERS = {
    DocumentKind.BUSINESS_LICENCE: _business_licence,
    DocumentKind.VEHICLE_LICENCE: _vehicle_licence,
    DocumentKind.DRIVING_LICENCE: _driving_licence,
    DocumentKind.NUCLEIC_ACID_TEST: _nucleic_acid_test,
    DocumentKind.COMMITMENT_LETTER: _names_present,
    DocumentKind.OTHER: _names_present,
}


def run_checks(document, extraction: Extraction, lines: list[dict]) -> list[dict]:
    """The checks of ``document``'s kind, mismatches first."""
    checks = CHECKERS.get(document.kind, _names_present)(document, extraction, lines)
    order = {MISMATCH: 0, UNREADABLE: 1, MATCH: 2}
    return sorted(checks, key=lambda check: order[check["status"]])


def outcome_of(checks: list[dict]) -> str:
    statuses = {check["status"] for check in checks}
    if not statuses:
        return DocumentReading.Outcome.NONE
    if MISMATCH in statuses:
        return DocumentReading.Outcome.MISMATCH
    if UNREADABLE in statuses:
        return DocumentReading.Outcome.INCOMPLETE
    return DocumentReading.Outcome.ALL_MATCH


def describe(check: dict, kind_label) -> str:
    """One sentence for a person: 行驶证上的号牌读作湘B12345，与申请车辆湘B12346不符."""
    field = FIELD_LABELS.get(check["field"], check["field"])
    params = {
        "document": kind_label,
        "field": field,
        "read": check.get("read") or "",
        "filed": check.get("filed") or "",
        "reason": REASONS.get(check.get("reason"), ""),
    }
    if check["status"] == MATCH:
        return _("%(document)s: the %(field)s read matches what was filed (%(read)s).") % params
    if check["status"] == MISMATCH:
        if check["field"] == "plate":
            return (
                _(
                    "The plate on the %(document)s reads %(read)s, which does not match the "
                    "vehicle filed, %(filed)s."
                )
                % params
            )
        if check.get("reason") == "too_old" and check.get("limit_hours"):
            return _(
                "%(document)s: sampled %(read)s, more than %(age)s ago, the most this pass "
                "type allows; upload a report sampled within %(age)s before the office "
                "decides."
            ) % {**params, "age": durations.span(check["limit_hours"])}
        if check.get("reason") in ("too_old", "after_upload", "positive"):
            return _("%(document)s: the %(field)s %(read)s: %(reason)s.") % params
        return (
            _("%(document)s: the %(field)s reads “%(read)s”, but “%(filed)s” was filed.") % params
        )
    return _("%(document)s: the %(field)s could not be checked: %(reason)s.") % params
