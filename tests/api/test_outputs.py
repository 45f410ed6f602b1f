"""The output serializers' field cache (``outputs.ModelOut``): each instance binds fields of
its own, and what they show is what DRF's own ModelSerializer shows."""

import pytest
from rest_framework import serializers

from passes.api import outputs
from passes.models import RequestItem
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_instance_binds_fields_of_its_own():
    first, second = outputs.ItemOut(), outputs.ItemOut()

    for name in ("id", "vehicle", "drivers"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    # A nested list's child belongs to that instance's list, not to the cached prototype.
    assert first.fields["drivers"].child.parent is first.fields["drivers"]
    assert first.fields["drivers"].child is not second.fields["drivers"].child


def test_cached_fields_show_what_drfs_own_serializer_shows():
    pass_request = factories.submittable_request(vehicles=2)

    class PlainItemOut(serializers.ModelSerializer):
        vehicle = outputs.VehicleRef()
        drivers = outputs.DriverRef(many=True)

        class Meta:
            model = RequestItem
            fields = ["id", "vehicle", "drivers"]

    items = list(pass_request.items.order_by("pk"))
    for _ in range(2):  # the second round comes from the cache
        assert outputs.ItemOut(items, many=True).data == PlainItemOut(items, many=True).data
    assert [row["vehicle"]["plate"] for row in outputs.ItemOut(items, many=True).data] == [
        item.vehicle.plate for item in items
    ]
