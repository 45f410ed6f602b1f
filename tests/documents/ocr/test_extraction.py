"""Fields picked out of what the engine read, per kind of document, through the validators."""

import pytest

from passes.benchmarks._ocr_samples import draw_lines, make_samples
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


# --- Read from real scans ----------------------------------------------------------------------

SAMPLES = {sample.kind: sample for sample in make_samples(5, altered_share=0)}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_is_read_from_a_drawn_scan(kind):
    sample = SAMPLES[kind]
    result = engine.read_file(sample.image, "image/jpeg")
    extraction = extract(kind, [line.text for line in result.lines])
    assert extraction.fields == sample.truth, (
        f"{draw_lines(kind, sample.truth)} read as {[line.text for line in result.lines]}"
    )
