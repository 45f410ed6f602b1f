"""Every read written by hand (``models.sqlrows``) against its ORM twin, on PostgreSQL: the same
rows, in the same order, with the same values, and the related rows where the ORM puts them
(read back without a further query).

The reads: the API token's holder (``api.credentials``), a request's detail
(``requests.detail``), the passes a PDF prints (``issuing.rendering``), the pass a scan shows
(``checkpoint.summary``) and the signing keys' version (``signing.keys``). A new hand-written
read gets its twin and a test here.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from passes.api import credentials
from passes.checkpoint import summary
from passes.issuing import rendering
from passes.models import DocumentKind, DocumentReading, Membership, Pass, PassRequest, SigningKey
from passes.requests import detail, workflow
from passes.signing import keys
from tests import factories
from tests.factories.checkpoint import make_pass
from tests.factories.issuing import issued_passes, member_of, staff
from tests.factories.review import add_document

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def values(instance):
    """Every column's value as the model holds it (None for a missing row)."""
    if instance is None:
        return None
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def each(rows):
    return [values(row) for row in rows]


def membership_of(user):
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


@pytest.fixture
def reviewer():
    return staff("parity-reviewer", "Reviewers")


@pytest.fixture
def approved(reviewer):
    """An approved request with three vehicles (two drivers on one), two checkpoints,
    documents with and without a machine reading, one pass revoked and one amended (revoked,
    and a pass replacing it), and events by the enterprise and by office staff."""
    enterprise = factories.EnterpriseFactory()
    member_of(enterprise, "parity-applicant")
    pass_request = factories.submittable_request(vehicles=3, enterprise=enterprise)
    pass_request.checkpoints.set(
        [
            factories.CheckpointFactory(name="石峰大桥卡口"),
            factories.CheckpointFactory(name="湘江大桥卡口"),
        ]
    )
    item = pass_request.items.order_by("pk").first()
    item.drivers.add(factories.DriverFactory(enterprise=enterprise, name="欧阳小明"))
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
    first, second, _third = issued_passes(pass_request, reviewer)
    officer = staff("parity-officer", "Officers")
    workflow.revoke_pass(first, by=officer, reason="车辆已更换")
    workflow.amend_pass_drivers(
        second,
        [factories.DriverFactory(enterprise=enterprise, name="王五")],
        by=officer,
        reason="换司机",
    )
    return PassRequest.objects.get(pk=pass_request.pk)


def test_the_token_holder_is_the_orms(approved, reviewer):
    applicant = approved.enterprise.memberships.get().user
    stranger = factories.UserFactory(username="parity-stranger")
    boss = factories.UserFactory(username="parity-boss", is_staff=True, is_superuser=True)
    old = Token.objects.create(user=stranger)
    Token.objects.filter(pk=old.pk).update(
        created=timezone.now() - credentials.lifetime() - datetime.timedelta(minutes=1)
    )
    keys_ = [Token.objects.create(user=user).key for user in (applicant, reviewer, boss)]
    for key in [*keys_, old.key, "0" * 40]:
        by_sql, by_orm = credentials.token_holder(key), credentials.token_holder_orm(key)
        if by_orm is None:
            assert by_sql is None
            continue
        (user, token, fresh), (orm_user, orm_token, orm_fresh) = by_sql, by_orm
        assert values(user) == values(orm_user)
        assert (token.key, token.user_id, fresh) == (orm_token.key, orm_token.user_id, orm_fresh)
        membership, orm_membership = membership_of(user), membership_of(orm_user)
        assert values(membership) == values(orm_membership)
        if membership is not None:
            assert values(membership.enterprise) == values(orm_membership.enterprise)
        with CaptureQueriesContext(connection) as queries:
            permissions = user.get_all_permissions()
            membership_of(user)
        assert permissions == orm_user.get_all_permissions()
        if not user.is_superuser:
            assert queries.captured_queries == [], "the permissions came with the holder"
    assert credentials.token_holder(old.key)[2] is False


def _request_graph(pass_request):
    """Everything the detail shows, as plain values, read from the loaded request."""
    return {
        "request": values(pass_request),
        "related": [
            values(pass_request.pass_type),
            values(pass_request.enterprise),
            values(pass_request.assigned_reviewer),
        ],
        "checkpoints": each(pass_request.checkpoints.all()),
        "items": [
            (values(item), values(item.vehicle), each(item.drivers.all()))
            for item in pass_request.items.all()
        ],
        "documents": [
            (values(document), values(getattr(document, "reading", None)))
            for document in pass_request.documents.all()
        ],
        "events": [
            (
                values(event),
                values(event.actor),
                values(membership_of(event.actor)) if event.actor else None,
            )
            for event in pass_request.audit_events.all()
        ],
        "passes": [
            (values(issued), each(issued.drivers.all())) for issued in pass_request.passes.all()
        ],
    }


def test_the_request_detail_is_the_orms(approved):
    submitted = factories.submittable_request(vehicles=2, enterprise=approved.enterprise)
    returned = factories.submittable_request(vehicles=1, enterprise=approved.enterprise)
    reviewer = staff("parity-reviewer-2", "Reviewers")
    applicant = approved.enterprise.memberships.get().user
    workflow.submit(returned, by=applicant)
    workflow.claim(returned, by=reviewer)
    workflow.return_for_changes(returned, by=reviewer, reason="请补充行驶证")
    for pk in (approved.pk, submitted.pk, returned.pk):
        loaded = detail.load(PassRequest.objects.all(), pk)
        with CaptureQueriesContext(connection) as queries:
            shown = _request_graph(loaded)
        assert queries.captured_queries == [], "every related row came with the detail"
        assert shown == _request_graph(detail.load_orm(PassRequest.objects.all(), pk))
    assert len(_request_graph(detail.load(PassRequest.objects.all(), approved.pk))["passes"]) == 4


def _printed(passes):
    graph = []
    for issued in passes:
        request = issued.request
        graph.append(
            {
                "pass": values(issued),
                "vehicle": values(issued.vehicle),
                "replaces": values(issued.replaces),
                "drivers": each(issued.drivers.all()),
                "request": values(request),
                "enterprise": values(request.enterprise),
                "pass_type": values(request.pass_type),
                "office": values(request.pass_type.office),
                "checkpoints": each(request.checkpoints.all()),
            }
        )
    return graph


def test_the_printable_passes_are_the_orms(approved):
    printed = rendering.printable_passes(approved)
    with CaptureQueriesContext(connection) as queries:
        shown = _printed(printed)
    assert queries.captured_queries == []
    assert shown == _printed(rendering.printable_passes_orm(approved))
    assert len(shown) == 2, "the two revoked passes are not printed"
    assert [row["replaces"] is not None for row in shown].count(True) == 1
    submitted = factories.submittable_request(vehicles=1, enterprise=approved.enterprise)
    assert rendering.printable_passes(submitted) == rendering.printable_passes_orm(submitted) == []


def test_the_pass_a_scan_shows_is_the_orms(approved):
    bound = make_pass(
        plate="湘B54321",
        driver_names=("李小明", "欧阳小明"),
        checkpoints=[
            factories.CheckpointFactory(name="甲卡口"),
            factories.CheckpointFactory(name="乙卡口"),
        ],
    )
    bound.request.pass_type.route_bound = True
    bound.request.pass_type.save(update_fields=["route_bound"])
    every = list(Pass.objects.filter(request=approved)) + [bound]
    for issued in every:
        assert summary.load_pass(number=issued.number) == summary.load_pass_orm(
            number=issued.number
        )
        assert summary.load_pass(pk=issued.pk) == summary.load_pass_orm(pk=issued.pk)
    assert {summary.load_pass(pk=issued.pk).status for issued in every} >= {"revoked", "active"}
    assert (
        summary.load_pass(number="430200999999")
        is summary.load_pass_orm(number="430200999999")
        is None
    )


def test_the_signing_keys_version_is_the_orms():
    assert keys.table_version() == keys.table_version_orm()
    first = keys.create_key()
    keys.create_key(retire_others=True)
    assert SigningKey.objects.filter(pk=first.pk, retired_at__isnull=False).exists()
    assert keys.table_version() == keys.table_version_orm()
    keys.withdraw_key(first.kid, reason="test")
    assert keys.table_version() == keys.table_version_orm()
    assert keys.table_version()[0] == SigningKey.objects.count() >= 2
