"""Validators for Chinese identifiers the domain depends on.

Each validator raises a translated ``ValidationError`` that says what is wrong, so the portal,
the API and the admin can show it as it is. ``normalize_plate`` is separate from validation so
that forms and serializers store the canonical spelling (``湘B12345``) whatever was typed.
"""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# --- Unified social credit code (统一社会信用代码), GB 32100-2015 ---------------------------------
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """Full-width characters (typed with a Chinese input method) become ASCII; upper case."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; %(count)d were given."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    bad = [char for char in code if char not in CREDIT_CODE_ALPHABET]
    if bad:
        raise ValidationError(
            _("The character “%(char)s” cannot appear in a unified social credit code."),
            code="credit_code_character",
            params={"char": bad[0]},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _(
                "Characters 3 to 8 of a unified social credit code are the digits of the "
                "registering region (e.g. 430200)."
            ),
            code="credit_code_region",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong; please check "
                "the code against the business licence."
            ),
            code="credit_code_checksum",
        )


# --- Resident identity card number (身份证号), GB 11643-1999 ---------------------------------
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")


def id_number_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


def normalize_id_number(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def validate_id_number(value: str) -> None:
    number = normalize_id_number(value)
    if not _ID_PATTERN.match(number):
        raise ValidationError(
            _("A resident ID number has 17 digits followed by a digit or X."),
            code="id_number_format",
        )
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this resident ID number does not exist."),
            code="id_number_birth_date",
        ) from None
    if birth.year < 1900 or birth > datetime.date.today():
        raise ValidationError(
            _("The birth date inside this resident ID number is not plausible."),
            code="id_number_birth_date",
        )
    if number[17] != id_number_check_character(number[:17]):
        raise ValidationError(
            _(
                "The check digit of this resident ID number is wrong; please check the number "
                "against the ID card."
            ),
            code="id_number_checksum",
        )


def mask_id_number(value: str) -> str:
    """Show the region and the last four characters only: 430202********0012."""
    if not value or len(value) < 10:
        return "*" * len(value or "")
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


# --- Licence plates (号牌) ---------------------------------------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O
_PLATE_PATTERNS = (
    # ordinary: 湘B12345, trailers 湘B1234挂
    re.compile(rf"^[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9挂]$"),
    # new-energy, small vehicles: 湘BD12345 / 湘BFA1234
    re.compile(rf"^[{PROVINCES}][{_LETTER}][DF][{_LETTER}0-9]\d{{4}}$"),
    # new-energy, large vehicles: 湘B12345D
    re.compile(rf"^[{PROVINCES}][{_LETTER}]\d{{5}}[DF]$"),
)
_PLATE_SEPARATORS = re.compile(r"[\s·•‧∙.\-_・]")


def normalize_plate(value: str) -> str:
    """``湘b·12345``, ``湘B 12345`` and full-width ``湘Ｂ１２３４５`` all become ``湘B12345``."""
    return _PLATE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def validate_plate(value: str) -> None:
    plate = normalize_plate(value)
    if not any(pattern.match(plate) for pattern in _PLATE_PATTERNS):
        raise ValidationError(
            _(
                "“%(plate)s” is not a valid plate: expected a province abbreviation, a letter and "
                "5 characters (湘B12345), or 6 for new-energy vehicles (湘BD12345)."
            ),
            code="plate_format",
            params={"plate": value},
        )


# --- Mobile numbers ----------------------------------------------------------------------------
_MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value or ""))
    return digits.removeprefix("+86")


def validate_mobile(value: str) -> None:
    if not _MOBILE_PATTERN.match(normalize_mobile(value)):
        raise ValidationError(
            _("A mobile number has 11 digits and starts with 13 to 19."),
            code="mobile_format",
        )
