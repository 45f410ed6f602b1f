"""Model fields that keep identifiers in their canonical spelling, whoever writes them.

The value is normalised when a form or ``full_clean`` cleans it (``to_python``), on the instance
when it is saved (``pre_save``) and in lookups (``get_prep_value``), so ``湘b·12345`` typed in a
form, given to an API serializer or used in a filter all mean ``湘B12345``.
"""

from django.db import models

from . import validators


class NormalizedCharField(models.CharField):
    default_max_length = 18

    @staticmethod
    def normalize(value: str) -> str:
        raise NotImplementedError

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", self.default_max_length)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalize(value) if value else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value:
            value = self.normalize(value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return self.normalize(value) if value else value


class PlateField(NormalizedCharField):
    """A licence plate stored normalised (``湘B12345``)."""

    default_max_length = 10
    default_validators = [validators.validate_plate]
    normalize = staticmethod(validators.normalize_plate)


class IdNumberField(NormalizedCharField):
    """A resident ID number stored with an upper-case check character."""

    default_validators = [validators.validate_id_number]
    normalize = staticmethod(validators.normalize_id_number)


class MobileField(NormalizedCharField):
    default_max_length = 11
    default_validators = [validators.validate_mobile]
    normalize = staticmethod(validators.normalize_mobile)


class CreditCodeField(NormalizedCharField):
    default_validators = [validators.validate_credit_code]
    normalize = staticmethod(validators.normalize_credit_code)
