"""factory-boy factories producing valid Chinese identifiers and ready-to-submit requests."""

import datetime
import random

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from passes import models, validators


def make_credit_code(seed: int) -> str:
    """A valid 18-character code: 91 (enterprise), 430200 (Zhuzhou), 9 organisation chars."""
    rng = random.Random(seed)
    body = "91430200" + "".join(rng.choice(validators.CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + validators.credit_code_check_character(body)


def make_id_number(seed: int, birth=datetime.date(1985, 6, 15)) -> str:
    body = f"430202{birth:%Y%m%d}{seed % 1000:03d}"
    return body + validators.id_number_check_character(body)


def make_plate(seed: int) -> str:
    return f"湘B{seed % 100000:05d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enterprise

    name = factory.Sequence(lambda n: f"株洲物流{n}号有限公司")
    credit_code = factory.Sequence(make_credit_code)
    address = "湖南省株洲市天元区"
    contact_name = "李经理"
    contact_phone = factory.Sequence(lambda n: f"139{n % 100000000:08d}")
    verification_status = models.Enterprise.Verification.VERIFIED


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    role = models.Membership.Role.OWNER


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Vehicle

    enterprise = factory.SubFactory(EnterpriseFactory)
    plate = factory.Sequence(make_plate)
    vehicle_type = models.Vehicle.VehicleType.HEAVY_TRUCK


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Driver

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"司机{n}")
    id_number = factory.Sequence(make_id_number)
    phone = factory.Sequence(lambda n: f"138{n % 100000000:08d}")


class PassTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PassType
        django_get_or_create = ("code",)

    name = "城区货车通行证"
    code = factory.Sequence(lambda n: f"type-{n}")
    max_validity_days = 30
    required_document_kinds = factory.LazyFunction(list)
    health_proof_max_age_hours = None


class CheckpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Checkpoint

    name = factory.Sequence(lambda n: f"湘江大桥{n}号卡口")
    code = factory.Sequence(lambda n: f"cp-{n}")


class PassRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PassRequest

    enterprise = factory.SubFactory(EnterpriseFactory)
    pass_type = factory.SubFactory(PassTypeFactory)
    cargo_category = models.PassRequest.CargoCategory.RAW_MATERIALS
    cargo_description = "木材原料"
    origin = "株洲市荷塘区"
    destination = "长沙市雨花区"
    route_description = "沪昆高速—京港澳高速"
    valid_from = factory.LazyFunction(timezone.now)
    valid_until = factory.LazyAttribute(lambda r: r.valid_from + datetime.timedelta(days=7))


class RequestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RequestItem
        skip_postgeneration_save = True

    request = factory.SubFactory(PassRequestFactory)
    vehicle = factory.LazyAttribute(lambda item: VehicleFactory(enterprise=item.request.enterprise))

    @factory.post_generation
    def drivers(self, create, extracted, **kwargs):
        if extracted is None:
            extracted = [DriverFactory(enterprise=self.request.enterprise)]
        self.drivers.set(extracted)


def submittable_request(vehicles=1, **kwargs):
    """A draft with vehicles and drivers whose pass type requires no documents."""
    pass_request = PassRequestFactory(**kwargs)
    for _ in range(vehicles):
        RequestItemFactory(request=pass_request)
    return pass_request
