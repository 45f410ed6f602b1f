"""The request detail read in plain SQL (``requests.detail``) shows exactly what the ORM's
prefetches showed, in a fixed number of statements, and leaves related managers that still
filter by their request."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from passes.api import outputs
from passes.models import (
    DocumentKind,
    DocumentReading,
    PassRequest,
)
from passes.requests import detail, workflow
from tests import factories
from tests.factories.issuing import issued_passes, member_of, staff
from tests.factories.review import add_document

pytestmark = pytest.mark.django_db


def _orm_detail(pk):
    """The detail as the ORM's prefetches read it (what the API did before)."""
    return detail.load_orm(PassRequest.objects.all(), pk)


@pytest.fixture
def approved():
    """An approved request with two vehicles, two checkpoints, a driver each, documents with
    and without a machine reading, and events by the enterprise and by office staff."""
    enterprise = factories.EnterpriseFactory()
    member_of(enterprise, "detail-applicant")
    pass_request = factories.submittable_request(vehicles=2, enterprise=enterprise)
    pass_request.checkpoints.set([factories.CheckpointFactory(), factories.CheckpointFactory()])
    item = pass_request.items.order_by("pk").first()
    read = add_document(pass_request, kind=DocumentKind.VEHICLE_LICENCE, item=item)
    DocumentReading.objects.create(
        document=read,
        status=DocumentReading.Status.READ,
        lines=["湘B12345"],
        fields={"plate": "湘B12345"},
        requested_at=timezone.now() - datetime.timedelta(minutes=1),
        read_at=timezone.now(),
    )
    add_document(pass_request, kind=DocumentKind.BUSINESS_LICENCE)
    reviewer = staff("detail-reviewer", "Reviewers")
    issued_passes(pass_request, reviewer)
    return pass_request


def test_the_detail_matches_what_the_orm_prefetches_showed(approved):
    loaded = detail.load(PassRequest.objects.all(), approved.pk)
    reference = _orm_detail(approved.pk)

    for serializer in (outputs.RequestDetailOut, outputs.ReviewDetailOut):
        shown = serializer(loaded).data
        assert shown == serializer(reference).data
    shown = outputs.RequestDetailOut(loaded).data
    assert len(shown["items"]) == 2 and all(item["drivers"] for item in shown["items"])
    assert len(shown["checkpoints"]) == 2
    assert len(shown["passes"]) == 2 and all(issued["drivers"] for issued in shown["passes"])
    assert {document["machine_check"]["status"] for document in shown["documents"]} == {
        "read",
        "not_read",
    }
    actors = {event["actor"] for event in shown["events"]}
    assert "Traffic office" in actors or "交通管理部门" in actors  # the office acts as one


def test_the_detail_takes_the_same_statements_whatever_the_number_of_vehicles(approved):
    def statements(pk):
        with CaptureQueriesContext(connection) as context:
            outputs.ReviewDetailOut(detail.load(PassRequest.objects.all(), pk)).data  # noqa: B018
        return len(context.captured_queries)

    bigger = factories.submittable_request(vehicles=4, enterprise=approved.enterprise)
    issued_passes(bigger, staff("detail-reviewer-2", "Reviewers"))
    assert statements(approved.pk) == statements(bigger.pk) == 8


def test_a_request_not_yet_approved_skips_the_passes_statement(approved):
    submitted = factories.submittable_request(vehicles=2, enterprise=approved.enterprise)

    with CaptureQueriesContext(connection) as context:
        loaded = detail.load(PassRequest.objects.all(), submitted.pk)
    assert len(context.captured_queries) == 6, "request, checkpoints, items, drivers, docs, events"
    assert list(loaded.passes.all()) == []
    assert (
        outputs.RequestDetailOut(loaded).data
        == outputs.RequestDetailOut(_orm_detail(submitted.pk)).data
    )


def test_no_transition_leaves_a_state_that_holds_passes():
    """The rule ``detail`` skips the passes statement by: passes come with approval only, and
    nothing moves a request out of the states that hold them."""
    assert {PassRequest.Status.APPROVED} == workflow.STATES_WITH_PASSES
    for action, (sources, _target) in workflow.TRANSITIONS.items():
        assert not sources & workflow.STATES_WITH_PASSES, action


def test_a_loaded_relation_still_filters_by_its_own_request(approved):
    other = factories.submittable_request(vehicles=3, enterprise=approved.enterprise)
    loaded = detail.load(PassRequest.objects.all(), approved.pk)

    assert len(loaded.items.all()) == 2
    # A further query starts from the request's own items, not from every item in the table.
    assert loaded.items.exclude(pk=0).count() == 2
    assert set(loaded.items.values_list("request_id", flat=True)) == {approved.pk}
    assert other.items.count() == 3


def test_a_request_outside_the_callers_scope_is_not_loaded(approved):
    other_enterprise = factories.EnterpriseFactory()
    assert detail.load(PassRequest.objects.filter(enterprise=other_enterprise), approved.pk) is None
    assert detail.load(PassRequest.objects.all(), approved.pk + 10_000) is None


def test_many_requests_keep_their_own_rows_and_order(approved):
    second = factories.submittable_request(vehicles=1, enterprise=approved.enterprise)
    loaded = detail.load_many(
        PassRequest.objects.filter(pk__in=[approved.pk, second.pk]).order_by("pk")
    )

    assert [r.pk for r in loaded] == [approved.pk, second.pk]
    assert len(loaded[0].items.all()) == 2 and len(loaded[1].items.all()) == 1
    assert list(loaded[1].passes.all()) == []
    assert all(item.request is loaded[0] for item in loaded[0].items.all())
