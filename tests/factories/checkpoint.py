"""Helpers for checkpoint tests: issued passes with known windows, plates and drivers."""

import datetime

from django.db import transaction
from django.utils import timezone

from passes.issuing import numbering as issuing
from passes.models import Pass
from tests import factories


def make_pass(
    *,
    valid_from=None,
    valid_until=None,
    plate=None,
    driver_names=("李小明",),
    checkpoints=(),
    enterprise=None,
) -> Pass:
    """One active pass (one vehicle) issued directly, without the review workflow."""
    valid_from = valid_from or timezone.now() - datetime.timedelta(hours=1)
    valid_until = valid_until or valid_from + datetime.timedelta(days=3)
    kwargs = {"valid_from": valid_from, "valid_until": valid_until}
    if enterprise is not None:
        kwargs["enterprise"] = enterprise
    pass_request = factories.PassRequestFactory(**kwargs)
    if checkpoints:
        pass_request.checkpoints.set(checkpoints)
    vehicle_kwargs = {"enterprise": pass_request.enterprise}
    if plate:
        vehicle_kwargs["plate"] = plate
    vehicle = factories.VehicleFactory(**vehicle_kwargs)
    drivers = [
        factories.DriverFactory(enterprise=pass_request.enterprise, name=name)
        for name in driver_names
    ]
    item = factories.RequestItemFactory(request=pass_request, vehicle=vehicle, drivers=drivers)
    with transaction.atomic():
        (issued,) = issuing.issue_passes(
            pass_request, valid_from=valid_from, valid_until=valid_until, items=[item]
        )
    pass_request.status = pass_request.Status.APPROVED
    pass_request.save(update_fields=["status"])
    return Pass.objects.get(pk=issued.pk)
