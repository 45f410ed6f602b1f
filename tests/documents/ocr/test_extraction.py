"""Fields picked out of what the engine read, per kind of document, through the validators."""

from passes.documents.ocr import engine
from passes.documents.ocr.extract import (
    credit_code_candidates,
    extract,
    id_number_candidates,
    plate_candidates,
    vehicle_type_of,
)


def test_plates_are_taken_exactly_as_read():
    assert plate_candidates("号牌号码：湘B·5J807") == ["湘B5J807"]  # separators are no characters
    assert plate_candidates("湘BD21836") == ["湘BD21836"]  # new energy: 8 characters
    assert plate_candidates("号牌号码：湘B5J8O7") == []  # O never stands in a plate: not read
    assert plate_candidates("号牌号码：湘812345") == []  # a digit cannot be 2nd: not guessed


def test_a_valid_different_plate_is_never_corrected_into_another():
    assert plate_candidates("号牌号码：湘B12346") == ["湘B12346"]


def test_a_credit_code_that_fails_its_check_character_is_kept_as_read_not_corrected():
    assert credit_code_candidates("代码：91430211MA4PHX7Q26") == (["91430211MA4PHX7Q26"], "")
    assert credit_code_candidates("代码：9143O211MA4PHX7Q2G") == ([], "9143O211MA4PHX7Q2G")


def test_id_number_goes_through_the_check_digit_as_read():
    assert id_number_candidates("证号：43020219780312031X")[0] == ["43020219780312031X"]
    found, failed = id_number_candidates("证号：430202197803120319")  # wrong check digit
    assert found == [] and failed == "430202197803120319"


def test_vehicle_type_wording():
    assert vehicle_type_of("重型厢式货车") == "heavy_truck"
    assert vehicle_type_of("冷藏车") == "refrigerated"
    assert vehicle_type_of("小型轿车") is None
    # The most particular wording wins: a heavy tractor is a tractor, not a heavy truck.
    assert vehicle_type_of("重型半挂牵引车") == "tractor"
    assert vehicle_type_of("重型冷藏车") == "refrigerated"
    assert vehicle_type_of("重型罐式货车") == "tanker"


def test_value_in_a_box_of_its_own_after_the_label():
    result = extract("vehicle_licence", ["号牌号码", "湘B6K302", "车辆类型", "重型货车"])
    assert result.fields["plate"] == "湘B6K302"
    assert result.fields["vehicle_type"] == "重型货车"


def test_masked_id_on_a_report_is_kept_as_masked():
    result = extract("nucleic_acid_test", ["姓名：王建军", "证件号码：430202********031X"])
    assert "id_number" not in result.fields
    assert result.fields["id_number_masked"] == "430202********031X"


def test_nucleic_acid_result_and_time():
    result = extract("nucleic_acid_test", ["采样时间：2022-11-20 09:30", "检测结果：阳性（+）"])
    assert result.fields["sampled_at"] == "2022-11-20T09:30+08:00"
    assert result.fields["result"] == "positive"


# --- Labels and values paired by their place on the page ---------------------------------------


def _boxed(*cells):
    """Lines with boxes: each cell is (text, left, top, right, bottom) as page fractions."""
    return [
        {
            "text": text,
            "confidence": 0.99,
            "page": 1,
            "box": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
        }
        for text, x0, y0, x1, y1 in cells
    ]


def test_the_value_is_the_cell_right_of_its_label_not_the_next_label():
    lines = _boxed(
        ("号牌号码", 0.05, 0.20, 0.20, 0.25),
        ("车辆类型", 0.55, 0.20, 0.70, 0.25),
        ("重型半挂牵引车", 0.72, 0.20, 0.95, 0.25),
        ("Plate No.", 0.05, 0.26, 0.15, 0.28),
        ("所有人", 0.05, 0.30, 0.15, 0.35),
        ("Owner", 0.05, 0.36, 0.12, 0.38),
        ("株洲湘运物流有限公司", 0.25, 0.30, 0.60, 0.35),
    )
    result = extract("vehicle_licence", lines)
    assert result.fields["owner"] == "株洲湘运物流有限公司"  # not "Owner", not "车辆类型"
    assert result.fields["vehicle_type"] == "重型半挂牵引车"
    assert "plate" not in result.fields


def test_a_label_read_as_a_name_is_no_name():
    lines = _boxed(
        ("姓名", 0.05, 0.20, 0.12, 0.25),
        ("证件类型", 0.30, 0.21, 0.40, 0.26),
        ("居民身份证", 0.42, 0.21, 0.55, 0.26),
    )
    assert "name" not in extract("nucleic_acid_test", lines).fields


def test_a_justified_label_read_in_two_pieces_still_leads_to_its_value():
    lines = _boxed(
        ("名", 0.08, 0.30, 0.10, 0.34),
        ("称", 0.15, 0.30, 0.17, 0.34),
        ("株洲市顺达物流有限公司", 0.20, 0.30, 0.45, 0.34),
        ("注册资本", 0.55, 0.30, 0.62, 0.34),
        ("伍佰万元整", 0.66, 0.30, 0.75, 0.34),
    )
    assert extract("business_licence", lines).fields["enterprise_name"] == "株洲市顺达物流有限公司"


def test_the_sampling_time_is_read_only_from_its_label_never_the_receiving_time():
    lines = _boxed(
        ("接收时间", 0.50, 0.40, 0.60, 0.44),
        ("2022-11-20 13:05", 0.62, 0.40, 0.80, 0.44),
        ("采样时间", 0.05, 0.40, 0.15, 0.44),
        ("2022-11-20 09:30", 0.17, 0.40, 0.35, 0.44),
        ("报告时间：2022-11-20 18:00", 0.05, 0.60, 0.40, 0.64),
    )
    assert extract("nucleic_acid_test", lines).fields["sampled_at"] == "2022-11-20T09:30+08:00"
    only_received = [line for line in lines if "采样" not in line["text"]]
    only_received = [line for line in only_received if "09:30" not in line["text"]]
    assert "sampled_at" not in extract("nucleic_acid_test", only_received).fields


def test_a_page_read_turned_is_paired_as_it_stood_when_read():
    # Boxes stored for the page as uploaded (turned 90°); "turns" sets them upright again.
    upright = _boxed(("姓名", 0.05, 0.20, 0.12, 0.25), ("王建军", 0.15, 0.20, 0.25, 0.25))
    for line in upright:
        line["box"] = [[1.0 - y, x] for x, y in line["box"]]
        line["turns"] = 1
    assert extract("driving_licence", upright).fields["name"] == "王建军"


# --- Read from held-out scans -------------------------------------------------------------------


def test_genuine_held_out_scans_are_read_and_never_flagged():
    """Documents from the held-out generator (never used for tuning; its fonts and layouts),
    scanned at 300 dpi: none of the genuine ones is a mismatch, and most are all-match."""
    from bench._ocr_heldout import KINDS, make_sample
    from bench.ocr import _filed_document
    from passes.documents.ocr.checks import outcome_of, run_checks

    outcomes = []
    for kind in KINDS:
        for seed in (0, 1):
            sample = make_sample(kind, "scan300", seed=seed)
            lines = [
                line.as_dict() for line in engine.read_file(sample.image, sample.content_type).lines
            ]
            checks = run_checks(_filed_document(sample), extract(kind, lines), lines)
            outcomes.append((kind, outcome_of(checks), checks))
    assert not [o for o in outcomes if o[1] == "mismatch"], outcomes
    assert sum(outcome == "all_match" for _kind, outcome, _checks in outcomes) >= 8, outcomes
