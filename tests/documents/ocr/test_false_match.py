"""Never a false match: a document that differs from what was filed is never reported as a match,
whatever the engine made of it. These are the rules that stand between an edited licence and the
bulk approval of clean requests; each test fails if its rule is taken out."""

import datetime

from django.utils import timezone

from passes import validators
from passes.documents.ocr.checks import MATCH, MISMATCH, UNREADABLE, outcome_of, run_checks
from passes.documents.ocr.extract import extract
from passes.models import Document, DocumentKind, Driver, Enterprise, Vehicle

NAME = "株洲湘运物流有限公司"
# 430202198110166408 with its 6 printed as 5 (it fails the check digit, and changing that one 5
# back is the only single look-alike change that makes it valid: a "correction" makes it match).
FILED_ID, PRINTED_ID = "430202198110166408", "430202198110165408"
# 91430211B314F68YMK with its 8 printed as B: likewise one "correction" away from the filed code.
FILED_CODE, PRINTED_CODE = "91430211B314F68YMK", "91430211B314F6BYMK"


def _lines(texts, confidence=0.99):
    return [{"text": text, "confidence": confidence, "page": 1, "box": []} for text in texts]


def _document(kind, *, plate="湘B5J807", vehicle_type="heavy_truck", id_number=FILED_ID):
    enterprise = Enterprise(pk=1, name=NAME, credit_code=FILED_CODE)
    document = Document(kind=kind, enterprise=enterprise, uploaded_at=timezone.now())
    if kind == DocumentKind.VEHICLE_LICENCE:
        document.vehicle = Vehicle(
            pk=1, enterprise=enterprise, plate=plate, vehicle_type=vehicle_type
        )
    if kind in (DocumentKind.DRIVING_LICENCE, DocumentKind.NUCLEIC_ACID_TEST):
        document.driver = Driver(pk=1, enterprise=enterprise, name="王建军", id_number=id_number)
    return document


def _checks(kind, texts, confidence=0.99, **filed):
    lines = _lines(texts, confidence)
    document = _document(kind, **filed)
    checks = run_checks(document, extract(kind, lines), lines)
    return {check["field"]: check for check in checks}, outcome_of(checks)


def test_an_id_number_one_digit_off_is_never_corrected_into_the_filed_one():
    checks, outcome = _checks(
        DocumentKind.DRIVING_LICENCE, ["姓名：王建军", f"证号：{PRINTED_ID}", "准驾车型：A2"]
    )
    check = checks["id_number"]
    assert check["status"] == UNREADABLE
    assert check["reason"] == "checksum"
    # The raw text is shown (masked as every ID number is), not the filed value.
    assert check["read"] == validators.mask_id_number(PRINTED_ID)
    assert check["read"] != validators.mask_id_number(FILED_ID)
    assert outcome != "all_match"


def test_a_credit_code_with_a_look_alike_character_is_never_a_match():
    checks, outcome = _checks(
        DocumentKind.BUSINESS_LICENCE, [f"统一社会信用代码：{PRINTED_CODE}", f"名称：{NAME}"]
    )
    assert checks["credit_code"]["status"] == UNREADABLE
    assert checks["credit_code"]["read"] == PRINTED_CODE
    assert outcome != "all_match"


def test_a_letter_read_where_a_digit_must_stand_is_not_replaced():
    # 43020219811O166408: an O in an ID number is what the page shows or a misreading; either
    # way it is not proof of the filed 0.
    assert FILED_ID[11] == "0"
    checks, _outcome = _checks(
        DocumentKind.DRIVING_LICENCE, ["姓名：王建军", f"证号：{FILED_ID[:11]}O{FILED_ID[12:]}"]
    )
    assert checks["id_number"]["status"] == UNREADABLE


def test_a_plate_that_is_valid_only_after_a_substitution_is_unreadable():
    # "湘8 5J807": a digit where the letter must stand. Reading it as 湘B5J807 is a guess.
    checks, outcome = _checks(
        DocumentKind.VEHICLE_LICENCE, ["号牌号码：湘85J807", f"所有人：{NAME}"]
    )
    assert checks["plate"]["status"] == UNREADABLE
    assert outcome != "all_match"


def test_a_plate_with_a_look_alike_letter_is_a_mismatch():
    checks, outcome = _checks(
        DocumentKind.VEHICLE_LICENCE,
        ["号牌号码：湘B5J8D7", "车辆类型：重型厢式货车", f"所有人：{NAME}"],
    )
    assert checks["plate"]["status"] == MISMATCH
    assert outcome == "mismatch"


def test_an_identifier_read_unsurely_does_not_match_even_when_it_equals_the_filed_one():
    # A look-alike edit (D for 0) read as the filed 0 at low confidence proves nothing.
    checks, outcome = _checks(
        DocumentKind.VEHICLE_LICENCE,
        ["号牌号码：湘B5J807", "车辆类型：重型厢式货车", f"所有人：{NAME}"],
        confidence=0.6,
    )
    assert checks["plate"]["status"] == UNREADABLE
    assert checks["plate"]["reason"] == "low_confidence"
    assert outcome != "all_match"


def test_the_same_licence_read_surely_is_all_match():
    checks, outcome = _checks(
        DocumentKind.VEHICLE_LICENCE,
        ["号牌号码：湘B5J807", "车辆类型：重型厢式货车", f"所有人：{NAME}"],
    )
    assert {name: check["status"] for name, check in checks.items()} == {
        "plate": MATCH,
        "owner": MATCH,
        "vehicle_type": MATCH,
    }
    assert outcome == "all_match"


def test_a_sampling_time_moved_by_a_day_is_a_mismatch():
    filed = timezone.localtime(timezone.now() - datetime.timedelta(hours=30)).replace(
        second=0, microsecond=0
    )
    printed = filed + datetime.timedelta(days=1)
    lines = _lines(
        [
            "姓名：王建军",
            f"证件号码：{FILED_ID}",
            f"采样时间：{printed:%Y-%m-%d %H:%M}",
            "检测结果：阴性",
        ]
    )
    document = _document(DocumentKind.NUCLEIC_ACID_TEST)
    document.tested_at = filed
    checks = {c["field"]: c for c in run_checks(document, extract(document.kind, lines), lines)}
    assert checks["sampled_at"]["status"] == MISMATCH


def test_no_extracted_identifier_ever_fails_its_validator():
    """Whatever the engine returns, a value put into ``fields`` is valid exactly as read: the
    checks may trust it. Single edits of valid identifiers, one character at a time."""
    alphabet = "0123456789ABDGOQSZX"
    for position in range(18):
        for char in alphabet:
            id_text = FILED_ID[:position] + char + FILED_ID[position + 1 :]
            code_text = FILED_CODE[:position] + char + FILED_CODE[position + 1 :]
            read = extract(DocumentKind.DRIVING_LICENCE, [f"证号：{id_text}"])
            if "id_number" in read.fields:
                assert read.fields["id_number"] == id_text
                validators.validate_id_number(id_text)
            read = extract(DocumentKind.BUSINESS_LICENCE, [f"统一社会信用代码：{code_text}"])
            if "credit_code" in read.fields:
                assert read.fields["credit_code"] == code_text
                validators.validate_credit_code(code_text)


# --- Read from held-out scans -------------------------------------------------------------------


def test_look_alike_edits_on_held_out_scans_are_never_a_match():
    """Held-out documents (never used for tuning) whose page carries one look-alike character
    the enterprise did not file (an ID number's 6 printed as 8, a credit code's 8 as B, a
    plate's 0 as D), or a sampling time a day off: read by the engine, none is a match."""
    from bench._ocr_heldout import make_sample
    from bench.ocr import ALTERED_FIELD, _filed_document
    from passes.documents.ocr import engine

    cases = [
        ("driving_licence", "id_look_alike"),
        ("nucleic_acid_test", "id_look_alike"),
        ("business_licence", "code_look_alike"),
        ("vehicle_licence", "plate_look_alike"),
        ("nucleic_acid_test", "date_day"),
    ]
    for kind, alteration in cases:
        sample = make_sample(kind, "scan300", seed=1, alteration=alteration)
        result = engine.read_file(sample.image, sample.content_type)
        lines = [line.as_dict() for line in result.lines]
        checks = run_checks(_filed_document(sample), extract(kind, lines), lines)
        status = {check["field"]: check["status"] for check in checks}[ALTERED_FIELD[alteration]]
        assert status != MATCH, (kind, alteration, checks)
        assert outcome_of(checks) != "all_match", (kind, alteration, checks)
