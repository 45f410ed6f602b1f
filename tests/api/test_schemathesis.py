"""Schemathesis against ``/api/schema/`` over the WSGI app: no generated request gets a 500.

Runs as an enterprise member over every enterprise operation, and as a reviewer over the review
operations. Half of the generated path ids are mapped onto objects that exist (the member's own
vehicles, drivers, requests and documents), so fuzzed bodies reach the services and not only
the 404 branch. Examples are bounded (``API_FUZZ_EXAMPLES``, default 10 per operation and mode mix).
"""

import pytest
from django.core.cache import cache

from tests import factories, fixtures_files
from tests.api_support import API, client_for, create_draft, fleet
from tests.factories.issuing import issued_passes
from tests.fuzzing import fuzz, load_schema


@pytest.fixture
def api_schema(db):
    return load_schema()


@pytest.fixture
def world(db):
    """A member with a fleet, a draft with a document, a submitted request; a reviewer."""
    cache.clear()
    pass_type = factories.PassTypeFactory()
    enterprise = factories.EnterpriseFactory()
    member = factories.MembershipFactory(enterprise=enterprise).user
    api = client_for(member)
    vehicles, drivers = fleet(enterprise, vehicles=3, drivers=3)
    draft = create_draft(api, pass_type, vehicles[:2], drivers[:2])
    document = api.post(
        f"{API}/requests/{draft['id']}/documents/",
        {"file": fixtures_files.upload("a.png", fixtures_files.png_bytes()), "kind": "other"},
        format="multipart",
    ).json()
    submitted = create_draft(api, pass_type, vehicles[2:], drivers[2:])
    api.post(f"{API}/requests/{submitted['id']}/submit/")
    reviewer = factories.UserFactory(username="fuzz-reviewer", is_staff=True, groups=["Reviewers"])
    officer = factories.UserFactory(username="fuzz-officer", is_staff=True, groups=["Officers"])
    issued = issued_passes(
        factories.submittable_request(vehicles=2, enterprise=enterprise, pass_type=pass_type),
        reviewer=reviewer,
    )
    # The other side of the fence, to make sure fuzzing never reaches it.
    factories.VehicleFactory(enterprise=factories.EnterpriseFactory())
    return {
        "member_token": client_for(member)._credentials["HTTP_AUTHORIZATION"],
        "reviewer_token": client_for(reviewer)._credentials["HTTP_AUTHORIZATION"],
        "officer_token": client_for(officer)._credentials["HTTP_AUTHORIZATION"],
        "numbers": [p.number for p in issued],
        "ids": {
            "vehicles": [v.pk for v in vehicles],
            "drivers": [d.pk for d in drivers],
            "requests": [draft["id"], submitted["id"]],
            "review": [submitted["id"]],
        },
        "documents": [document["id"]],
    }


def _aim_at_real_objects(case, world):
    """Map every other generated id onto an existing object of the caller."""
    params = case.path_parameters or {}
    collection = case.path.removeprefix(f"{API}/").split("/", 1)[0]
    real = world["ids"].get(collection)
    if "id" in params and real and isinstance(params["id"], int) and params["id"] % 2 == 0:
        params["id"] = real[params["id"] // 2 % len(real)]
    number = params.get("number")
    if isinstance(number, str) and number and number[-1] in "02468":
        params["number"] = world["numbers"][int(number[-1]) // 2 % len(world["numbers"])]
    doc = params.get("document_id")
    if isinstance(doc, int) and doc % 2 == 0:
        params["document_id"] = world["documents"][0]


def _fuzz(schema, path_regex, token, world) -> list[str]:
    return fuzz(schema, path_regex, token, lambda case: _aim_at_real_objects(case, world))


def test_enterprise_operations_never_fail_with_500(api_schema, world):
    failures = _fuzz(
        api_schema, r"^/api/v1/(vehicles|drivers|requests)", world["member_token"], world
    )
    assert not failures, "\n\n".join(failures)


def test_review_and_token_operations_never_fail_with_500(api_schema, world):
    failures = _fuzz(api_schema, r"^/api/v1/(review|auth)", world["reviewer_token"], world)
    assert not failures, "\n\n".join(failures)


def test_pass_and_catalogue_operations_never_fail_with_500(api_schema, world):
    failures = _fuzz(
        api_schema, r"^/api/v1/(passes|pass-types|checkpoints)", world["member_token"], world
    )
    assert not failures, "\n\n".join(failures)


def test_officer_pass_operations_never_fail_with_500(api_schema, world):
    failures = _fuzz(api_schema, r"^/api/v1/passes", world["officer_token"], world)
    assert not failures, "\n\n".join(failures)
