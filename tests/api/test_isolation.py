"""An enterprise member tries every API route against another enterprise's objects.

Each attempt must answer 404 (or 400 for ids inside a body) without a trace of the other
enterprise's data, and change nothing: the other side's rows and audit trail stay as they were.
"""

import pytest
from django.core.cache import cache

from passes.models import AuditEvent, Document, Driver, PassRequest, RequestItem, Vehicle
from tests import factories, fixtures_files
from tests.api_support import API, assert_error, client_for, create_draft, fleet


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def world(db):
    """Two enterprises; B has a fleet, a draft with a document, and a submitted request."""
    pass_type = factories.PassTypeFactory()
    a = factories.EnterpriseFactory(name="甲物流")
    b = factories.EnterpriseFactory(name="乙物流")
    user_a = factories.MembershipFactory(enterprise=a).user
    user_b = factories.MembershipFactory(enterprise=b).user
    api_b = client_for(user_b)
    b_vehicles, b_drivers = fleet(b, vehicles=2, drivers=2)
    b_draft = create_draft(api_b, pass_type, b_vehicles[:1], b_drivers[:1])
    b_doc = api_b.post(
        f"{API}/requests/{b_draft['id']}/documents/",
        {"file": fixtures_files.upload("b.png", fixtures_files.png_bytes()), "kind": "other"},
        format="multipart",
    ).json()
    b_submitted = create_draft(api_b, pass_type, b_vehicles[1:], b_drivers[1:])
    api_b.post(f"{API}/requests/{b_submitted['id']}/submit/")
    a_vehicles, a_drivers = fleet(a)
    a_draft = create_draft(client_for(user_a), pass_type, a_vehicles, a_drivers)
    return {
        "api_a": client_for(user_a),
        "pass_type": pass_type,
        "a_draft": a_draft,
        "a_vehicles": a_vehicles,
        "a_drivers": a_drivers,
        "b": b,
        "b_vehicles": b_vehicles,
        "b_drivers": b_drivers,
        "b_draft": b_draft,
        "b_submitted": b_submitted,
        "b_doc": b_doc,
    }


def _snapshot(enterprise):
    """Everything of B's that an attack could change."""
    return {
        "vehicles": sorted(Vehicle.objects.filter(enterprise=enterprise).values_list()),
        "drivers": sorted(Driver.objects.filter(enterprise=enterprise).values_list()),
        "requests": sorted(
            PassRequest.objects.filter(enterprise=enterprise).values_list(
                "pk", "status", "origin", "updated_at"
            )
        ),
        "items": sorted(
            RequestItem.objects.filter(request__enterprise=enterprise).values_list(
                "pk", "vehicle_id", "drivers"
            )
        ),
        "documents": sorted(Document.objects.filter(enterprise=enterprise).values_list("pk")),
        "audit": AuditEvent.objects.filter(enterprise=enterprise).count(),
    }


def _leaks(response, world) -> bool:
    """Does the body mention anything of B's?"""
    text = response.content.decode()
    secrets = [world["b"].name, world["b_draft"]["reference"], world["b_submitted"]["reference"]]
    secrets += [v.plate for v in world["b_vehicles"]] + [d.name for d in world["b_drivers"]]
    return any(secret in text for secret in secrets)


def test_every_route_on_anothers_objects_is_404_and_changes_nothing(world):
    api = world["api_a"]
    vehicle = world["b_vehicles"][0].pk
    driver = world["b_drivers"][0].pk
    draft = world["b_draft"]["id"]
    submitted = world["b_submitted"]["id"]
    doc = world["b_doc"]["id"]
    a_draft = world["a_draft"]["id"]
    png = fixtures_files.png_bytes()
    before = _snapshot(world["b"])

    attempts = [
        ("get", f"{API}/vehicles/{vehicle}/", None, 404),
        ("put", f"{API}/vehicles/{vehicle}/", {"plate": "湘A11111"}, 404),
        ("patch", f"{API}/vehicles/{vehicle}/", {"licence_number": "x"}, 404),
        ("delete", f"{API}/vehicles/{vehicle}/", None, 404),
        ("get", f"{API}/drivers/{driver}/", None, 404),
        ("put", f"{API}/drivers/{driver}/", {"name": "x", "id_number": "x", "phone": "x"}, 404),
        ("patch", f"{API}/drivers/{driver}/", {"name": "改名"}, 404),
        ("delete", f"{API}/drivers/{driver}/", None, 404),
        ("get", f"{API}/requests/{draft}/", None, 404),
        ("put", f"{API}/requests/{draft}/", {"pass_type": world["pass_type"].pk}, 404),
        ("patch", f"{API}/requests/{draft}/", {"origin": "改了"}, 404),
        ("delete", f"{API}/requests/{draft}/", None, 405),
        ("post", f"{API}/requests/{draft}/submit/", None, 404),
        ("post", f"{API}/requests/{draft}/withdraw/", None, 404),
        ("post", f"{API}/requests/{submitted}/withdraw/", None, 404),
        ("post", f"{API}/requests/{submitted}/resubmit/", None, 404),
        ("delete", f"{API}/requests/{draft}/documents/{doc}/", None, 404),
        # Guessing the document under one's own request.
        ("delete", f"{API}/requests/{a_draft}/documents/{doc}/", None, 404),
        # And the review endpoints, which an enterprise member may not use at all.
        ("get", f"{API}/review/{submitted}/", None, 403),
        ("post", f"{API}/review/{submitted}/claim/", None, 403),
    ]
    for method, url, body, expected in attempts:
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == expected, (method, url, response.status_code)
        assert_error(response, expected)
        assert not _leaks(response, world), (method, url, response.content)

    upload = api.post(
        f"{API}/requests/{draft}/documents/",
        {"file": fixtures_files.upload("x.png", png), "kind": "other"},
        format="multipart",
    )
    assert_error(upload, 404, "not_found")
    assert _snapshot(world["b"]) == before


def test_lists_show_only_ones_own(world):
    api = world["api_a"]
    assert [v["id"] for v in api.get(f"{API}/vehicles/").json()["results"]] == [
        v.pk for v in world["a_vehicles"]
    ]
    assert [d["id"] for d in api.get(f"{API}/drivers/").json()["results"]] == [
        d.pk for d in world["a_drivers"]
    ]
    requests = api.get(f"{API}/requests/").json()
    assert [r["id"] for r in requests["results"]] == [world["a_draft"]["id"]]
    for url in ("vehicles", "drivers", "requests"):
        assert not _leaks(api.get(f"{API}/{url}/?page_size=200"), world)


def test_anothers_vehicle_or_driver_inside_ones_own_request_is_refused(world):
    api = world["api_a"]
    pass_type = world["pass_type"]
    b_vehicle, b_driver = world["b_vehicles"][0], world["b_drivers"][0]
    a_vehicle, a_driver = world["a_vehicles"][0], world["a_drivers"][0]
    requests_before = PassRequest.objects.count()

    foreign_vehicle = api.post(
        f"{API}/requests/",
        {"pass_type": pass_type.pk, "items": [{"vehicle": b_vehicle.pk, "drivers": [a_driver.pk]}]},
        format="json",
    )
    error = assert_error(foreign_vehicle, 400, field="items.0.vehicle")
    # Exactly what a vehicle id that does not exist gets: nothing to tell the two apart.
    missing = api.post(
        f"{API}/requests/",
        {"pass_type": pass_type.pk, "items": [{"vehicle": 987654, "drivers": [a_driver.pk]}]},
        format="json",
    )
    missing_error = assert_error(missing, 400, field="items.0.vehicle")
    assert error["fields"]["items.0.vehicle"][0].replace(str(b_vehicle.pk), "N") == missing_error[
        "fields"
    ]["items.0.vehicle"][0].replace("987654", "N")
    foreign_driver = api.post(
        f"{API}/requests/",
        {"pass_type": pass_type.pk, "items": [{"vehicle": a_vehicle.pk, "drivers": [b_driver.pk]}]},
        format="json",
    )
    assert_error(foreign_driver, 400, field="items.0.drivers")
    assert PassRequest.objects.count() == requests_before

    draft = world["a_draft"]["id"]
    items_before = list(RequestItem.objects.filter(request_id=draft).values_list("vehicle_id"))
    patched = api.patch(
        f"{API}/requests/{draft}/",
        {"items": [{"vehicle": a_vehicle.pk, "drivers": [b_driver.pk]}]},
        format="json",
    )
    assert_error(patched, 400, field="items.0.drivers")
    assert list(RequestItem.objects.filter(request_id=draft).values_list("vehicle_id")) == (
        items_before
    )
    assert not _leaks(patched, world) and not _leaks(foreign_driver, world)


def test_anothers_ids_in_document_upload_are_refused(world):
    api = world["api_a"]
    draft = world["a_draft"]["id"]
    b_item = RequestItem.objects.filter(request_id=world["b_draft"]["id"]).get()
    for field, value in (("item", b_item.pk), ("driver", world["b_drivers"][0].pk)):
        response = api.post(
            f"{API}/requests/{draft}/documents/",
            {
                "file": fixtures_files.upload("x.jpg", fixtures_files.jpeg_bytes()),
                "kind": "vehicle_licence" if field == "item" else "driving_licence",
                field: value,
            },
            format="multipart",
        )
        assert_error(response, 400, field=field)
        assert not _leaks(response, world)
    assert not Document.objects.filter(request_id=draft).exists()


def test_anothers_vehicle_in_a_standing_guess_of_ids(world):
    """Walking ids one by one finds only one's own objects."""
    api = world["api_a"]
    own = {v.pk for v in world["a_vehicles"]}
    top = Vehicle.objects.order_by("-pk").first().pk
    found = {pk for pk in range(1, top + 2) if api.get(f"{API}/vehicles/{pk}/").status_code == 200}
    assert found == own


def test_reviewer_cannot_act_on_a_draft(world, reviewer):
    staff = client_for(reviewer)
    draft = world["b_draft"]["id"]
    assert_error(staff.post(f"{API}/review/{draft}/claim/"), 404, "not_found")
    assert PassRequest.objects.get(pk=draft).status == "draft"
