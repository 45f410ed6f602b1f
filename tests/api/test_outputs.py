"""The output serializers' field cache (``outputs.ModelOut``): each instance binds fields of
its own, and what they show is what DRF's own ModelSerializer shows."""

import threading

import pytest
from django.utils import translation
from rest_framework import serializers

from passes.api import outputs
from passes.models import DocumentKind, PassRequest, RequestItem
from passes.requests import detail
from tests import factories
from tests.factories.issuing import issued_passes, staff
from tests.factories.review import add_document

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


def _approved_detail():
    """An approved request with two vehicles, documents and passes, ready for the detail."""
    pass_request = factories.submittable_request(vehicles=2)
    add_document(pass_request, kind=DocumentKind.BUSINESS_LICENCE)
    issued_passes(pass_request, staff("outputs-reviewer", "Reviewers"))
    return detail.load(PassRequest.objects.all(), pass_request.pk)


def test_represent_shows_what_a_fresh_serializer_shows():
    shown = _approved_detail()
    for serializer in (outputs.RequestDetailOut, outputs.ReviewDetailOut):
        for _ in range(2):  # the second call reuses the bound serializer
            assert serializer.represent(shown) == serializer(shown).data
        assert serializer.represent([shown, shown], many=True) == (
            serializer([shown, shown], many=True).data
        )
    assert len(outputs.RequestDetailOut.represent(shown)["passes"]) == 2


def test_represent_follows_the_language_and_keeps_one_serializer_per_thread():
    shown = _approved_detail()
    with translation.override("en"):
        english = outputs.RequestDetailOut.represent(shown)
        assert english == outputs.RequestDetailOut(shown).data
    with translation.override("zh-hans"):
        chinese = outputs.RequestDetailOut.represent(shown)
        assert chinese == outputs.RequestDetailOut(shown).data
    # The office's approval is shown as the office, in the reader's language.
    assert "Traffic office" in {event["actor"] for event in english["events"]}
    assert "交通管理部门" in {event["actor"] for event in chinese["events"]}

    seen = []

    def draw():
        outputs.ItemOut.represent(shown.items.all(), many=True)
        seen.append(outputs._bound.serializers[(outputs.ItemOut, translation.get_language())])

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 2 and seen[0] is not seen[1]
