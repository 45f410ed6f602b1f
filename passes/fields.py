"""Model fields that keep identifiers in their canonical spelling, whoever writes them."""

from django.db import models

from . import validators


class PlateField(models.CharField):
    """A licence plate stored normalised (``湘B12345``); lookups are normalised too."""

    default_validators = [validators.validate_plate]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return validators.normalize_plate(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return validators.normalize_plate(value) if value else value


class IdNumberField(models.CharField):
    """A resident ID number stored with an upper-case check character."""

    default_validators = [validators.validate_id_number]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return validators.normalize_id_number(value) if value else value


class MobileField(models.CharField):
    default_validators = [validators.validate_mobile]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 11)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return validators.normalize_mobile(value) if value else value


class CreditCodeField(models.CharField):
    default_validators = [validators.validate_credit_code]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.strip().upper() if value else value
