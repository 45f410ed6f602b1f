"""The validators for Chinese identifiers, with real published examples where they exist."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from passes import validators
from passes.models import Driver, Enterprise, Vehicle
from tests import factories


def error_code(validator, value):
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value.code


def english_message(validator, value):
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            validator(value)
        return caught.value.messages[0]  # lazy: read it while English is active


# --- Unified social credit code (GB 32100-2015) ----------------------------------------------

# Codes published by their holders (printed on business licences and in public registers):
# the example code of GB 32100-2015 itself, Huawei Technologies (Shenzhen), Tencent (Shenzhen),
# Xiaomi (Beijing), and others seen in public registers. The check character of each is
# computed by the standard's algorithm; a wrong algorithm would reject some of them.
PUBLISHED_CREDIT_CODES = [
    "91350100M000100Y43",
    "914403001922038216",
    "91440300708461136T",
    "91110108551385082Q",
    "91110000802100433B",
    "91110108740084270C",
    "91110105771583283D",
    "911101077776591113",
    "112302070019030687",  # a public institution (registration authority 1, category 1)
    "51610700305332460K",  # a social organisation (registration authority 5)
]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_codes_are_valid(code):
    validators.validate_credit_code(code)


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_check_character_is_recomputed_from_the_first_17(code):
    assert validators.credit_code_check_character(code[:17]) == code[17]


def test_check_character_zero_when_the_weighted_sum_is_a_multiple_of_31():
    # Weighted sum of "10000000000000000" is 1 -> 31 - 1 = 30 -> "Y"; find a body whose sum is
    # a multiple of 31 to exercise the (31 - 0) % 31 = 0 branch.
    body = "91430200MA4L2ADF5"
    for char in validators.CREDIT_CODE_ALPHABET:
        candidate = body[:-1] + char
        total = sum(
            validators.CREDIT_CODE_ALPHABET.index(c) * w
            for c, w in zip(candidate, validators.CREDIT_CODE_WEIGHTS, strict=True)
        )
        if total % 31 == 0:
            assert validators.credit_code_check_character(candidate) == "0"
            validators.validate_credit_code(candidate + "0")
            return
    pytest.fail("no body with a sum divisible by 31 found")  # pragma: no cover


def test_lower_case_and_surrounding_spaces_are_accepted():
    validators.validate_credit_code("  91350100m000100y43 ")


def test_full_width_input_is_accepted():
    validators.validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91350100M000100Y44", "credit_code_checksum"),  # last character changed
        ("91350100M000100Y34", "credit_code_checksum"),  # two characters swapped
        ("91440300708461136", "credit_code_length"),  # 17 characters
        ("9144030070846113600", "credit_code_length"),  # 19 characters
        ("", "credit_code_length"),
        ("91350100M000100I43", "credit_code_character"),  # I is not in the alphabet
        ("91350100M000100O43", "credit_code_character"),  # nor O
        ("91350100M0001S0Y43", "credit_code_character"),  # nor S
        ("91350100M0001V0Y43", "credit_code_character"),  # nor V
        ("91350100M0001Z0Y43", "credit_code_character"),  # nor Z
        ("9135010-M000100Y43", "credit_code_character"),
        ("91A50100M000100Y4X", "credit_code_region"),  # region must be digits
    ],
)
def test_invalid_credit_codes(code, expected):
    assert error_code(validators.validate_credit_code, code) == expected


def test_credit_code_errors_say_what_is_wrong():
    assert "18 characters; 17 were given" in english_message(
        validators.validate_credit_code, "91440300708461136"
    )
    assert "“I”" in english_message(validators.validate_credit_code, "91350100M000100I43")
    assert "check character" in english_message(
        validators.validate_credit_code, "91350100M000100Y44"
    )


# --- Resident ID number (GB 11643-1999) -------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example of GB 11643-1999 itself (check character X)
        "11010519491231002x",  # lower-case x is accepted (stored upper case)
        " 11010519491231002X ",
    ],
)
def test_standard_example_id_number_is_valid(number):
    validators.validate_id_number(number)


def test_check_digit_matches_factory_numbers_for_every_remainder():
    # Bodies chosen so every check character 0-9 and X occurs at least once.
    seen = {}
    for seed in range(400):
        number = factories.make_id_number(seed)
        validators.validate_id_number(number)
        seen.setdefault(number[-1], number)
    assert set(seen) == set("0123456789X")


def test_check_digit_algorithm_on_the_standard_example():
    # 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167; 167 % 11 = 2
    assert validators.id_number_check_character("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("110105194912310021", "id_number_checksum"),
        ("110105194912310029", "id_number_checksum"),
        ("11010519491231002", "id_number_format"),  # 17 characters
        ("11010519491231002XX", "id_number_format"),
        ("1101051949123100X2", "id_number_format"),  # X only as the last character
        ("11010519491231A02X", "id_number_format"),
        ("110105194913310027", "id_number_birth_date"),  # month 13
        ("110105194902300023", "id_number_birth_date"),  # 30 February
        ("440524188001010014", "id_number_birth_date"),  # GB example born 1880: implausible
    ],
)
def test_invalid_id_numbers(number, expected):
    assert error_code(validators.validate_id_number, number) == expected


def test_29_february_only_in_leap_years():
    leap = factories.make_id_number(7, birth=datetime.date(1988, 2, 29))
    validators.validate_id_number(leap)
    body = "430202" + "19890229" + "007"
    not_leap = body + validators.id_number_check_character(body)
    assert error_code(validators.validate_id_number, not_leap) == "id_number_birth_date"


def test_birth_date_in_the_future_is_refused():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    body = f"430202{tomorrow:%Y%m%d}001"
    number = body + validators.id_number_check_character(body)
    assert error_code(validators.validate_id_number, number) == "id_number_birth_date"


def test_id_number_errors_say_what_is_wrong():
    assert "check digit" in english_message(validators.validate_id_number, "110105194912310021")
    assert "does not exist" in english_message(validators.validate_id_number, "110105194902300023")


def test_id_number_is_masked_for_display():
    assert validators.mask_id_number("11010519491231002X") == "110105********002X"
    assert validators.mask_id_number("") == ""


# --- Plates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("湘B12345", "湘B12345"),  # ordinary
        ("湘B·12345", "湘B12345"),  # as printed on the plate
        ("湘B 12345", "湘B12345"),
        ("湘b12345", "湘B12345"),
        (" 湘b·a1234 ", "湘BA1234"),
        ("湘Ｂ１２３４５", "湘B12345"),  # full-width, from a Chinese input method
        ("湘BD12345", "湘BD12345"),  # new-energy, small
        ("湘bf·a1234", "湘BFA1234"),
        ("湘B12345D", "湘B12345D"),  # new-energy, large
        ("湘B1234挂", "湘B1234挂"),  # trailer
        ("粤A-8888F", "粤A8888F"),
    ],
)
def test_valid_plates_are_normalised(typed, stored):
    validators.validate_plate(typed)
    assert validators.normalize_plate(typed) == stored


@pytest.mark.parametrize(
    "plate",
    [
        "湘B1234",  # too short
        "湘B1234567",  # too long
        "湖B12345",  # not a province abbreviation
        "XB12345",
        "湘I12345",  # I and O are never used
        "湘BO1234",
        "湘1B2345",  # the second character is a letter
        "湘BDA12345",  # new-energy has 6 characters after the letter, not 7
        "湘BDA123A",  # new-energy small: the last four are digits
        "湘B12345X",  # large new-energy ends in D or F
        "湘B123挂4",  # 挂 only at the end
        "",
    ],
)
def test_invalid_plates(plate):
    assert error_code(validators.validate_plate, plate) == "plate_format"


def test_plate_error_names_the_plate():
    assert "“湘B1234”" in english_message(validators.validate_plate, "湘B1234")


# --- Mobile numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("19912345678", "19912345678"),
        ("１３９１２３４５６７８", "13912345678"),
    ],
)
def test_valid_mobiles(typed, stored):
    validators.validate_mobile(typed)
    assert validators.normalize_mobile(typed) == stored


@pytest.mark.parametrize(
    "mobile",
    ["12912345678", "10912345678", "1391234567", "139123456789", "0731-2812345", "1391234567a", ""],
)
def test_invalid_mobiles(mobile):
    assert error_code(validators.validate_mobile, mobile) == "mobile_format"


# --- The model fields store the canonical spelling --------------------------------------------


@pytest.mark.django_db
def test_fields_store_normalised_values_and_look_them_up_normalised():
    enterprise = factories.EnterpriseFactory(
        credit_code="91350100m000100y43", contact_phone="+86 139-1234-5678"
    )
    vehicle = factories.VehicleFactory(enterprise=enterprise, plate="湘b·12345")
    driver = factories.DriverFactory(enterprise=enterprise, id_number="11010519491231002x")

    # The instance itself is normalised on save, not only the stored row.
    assert vehicle.plate == "湘B12345"
    assert enterprise.credit_code == "91350100M000100Y43"
    enterprise.refresh_from_db()
    assert enterprise.contact_phone == "13912345678"
    assert Vehicle.objects.get(plate="湘B 12345") == vehicle
    assert Driver.objects.get(id_number="11010519491231002X") == driver
    assert Enterprise.objects.filter(credit_code="91350100M000100Y43").exists()


@pytest.mark.django_db
def test_full_clean_normalises_and_reports_each_bad_identifier():
    enterprise = Enterprise(
        name="株洲测试有限公司",
        credit_code="91350100M000100Y44",
        address="株洲",
        contact_name="王",
        contact_phone="12345",
    )
    with pytest.raises(ValidationError) as caught:
        enterprise.full_clean()
    assert set(caught.value.error_dict) == {"credit_code", "contact_phone"}

    vehicle = Vehicle(enterprise=factories.EnterpriseFactory(), plate="湘b·12345")
    vehicle.full_clean()
    assert vehicle.plate == "湘B12345"


@pytest.mark.django_db
def test_same_plate_twice_for_one_enterprise_is_refused_whatever_the_spelling():
    enterprise = factories.EnterpriseFactory()
    factories.VehicleFactory(enterprise=enterprise, plate="湘B12345")
    duplicate = Vehicle(enterprise=enterprise, plate="湘b·12345")
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert "__all__" in caught.value.error_dict
    # Another enterprise may register the same plate (e.g. a leased truck).
    Vehicle(enterprise=factories.EnterpriseFactory(), plate="湘B12345").full_clean()
