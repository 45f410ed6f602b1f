"""The document and health-proof guards: required materials per request, vehicle and driver, and
the freshness of nucleic-acid tests at approval (48 hours, Asia/Shanghai)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from passes.models import AuditEvent, DocumentKind, Pass, PassRequest
from passes.requests import workflow
from passes.requests.workflow import WorkflowError
from tests import factories
from tests.factories.workflow import make_document

pytestmark = pytest.mark.django_db
Kind = DocumentKind
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_KINDS = [
    Kind.BUSINESS_LICENCE,
    Kind.VEHICLE_LICENCE,
    Kind.DRIVING_LICENCE,
    Kind.NUCLEIC_ACID_TEST,
    Kind.COMMITMENT_LETTER,
]


def fails(code, operation, *args, **kwargs):
    with pytest.raises(WorkflowError) as caught:
        operation(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


@pytest.fixture
def emergency_type():
    return factories.PassTypeFactory(
        name="重点物资运输车辆通行证",
        max_validity_days=14,
        required_document_kinds=list(ALL_KINDS),
        health_proof_max_age_hours=48,
    )


@pytest.fixture
def two_trucks(applicant, emergency_type):
    """A draft with two vehicles; the first has two drivers, the second one."""
    enterprise = applicant.membership.enterprise
    draft = factories.PassRequestFactory(enterprise=enterprise, pass_type=emergency_type)
    wang, li, zhao = (
        factories.DriverFactory(enterprise=enterprise, name=name)
        for name in ("王师傅", "李师傅", "赵师傅")
    )
    first = factories.RequestItemFactory(
        request=draft,
        vehicle=factories.VehicleFactory(enterprise=enterprise, plate="湘B10001"),
        drivers=[wang, li],
    )
    second = factories.RequestItemFactory(
        request=draft,
        vehicle=factories.VehicleFactory(enterprise=enterprise, plate="湘B10002"),
        drivers=[zhao],
    )
    return draft, (first, second), (wang, li, zhao)


def attach_everything(draft, items, drivers, tested_at=None):
    enterprise = draft.enterprise
    tested_at = tested_at or timezone.now() - datetime.timedelta(hours=6)
    make_document(enterprise, Kind.BUSINESS_LICENCE, request=draft)
    make_document(enterprise, Kind.COMMITMENT_LETTER, request=draft)
    for item in items:
        make_document(enterprise, Kind.VEHICLE_LICENCE, request=draft, item=item)
    for driver in drivers:
        make_document(enterprise, Kind.DRIVING_LICENCE, request=draft, driver=driver)
        make_document(
            enterprise, Kind.NUCLEIC_ACID_TEST, request=draft, driver=driver, tested_at=tested_at
        )


def missing(draft):
    with translation.override("en"):
        return workflow.missing_documents(draft)


def test_every_required_document_is_listed_per_vehicle_and_driver(two_trucks, applicant):
    draft, _items, _drivers = two_trucks
    assert missing(draft) == [
        "Business licence",
        "Vehicle licence for vehicle 湘B10001",
        "Vehicle licence for vehicle 湘B10002",
        # vehicle by vehicle; a vehicle's drivers by name
        "Driving licence for driver 李师傅",
        "Driving licence for driver 王师傅",
        "Driving licence for driver 赵师傅",
        "Nucleic-acid test report for driver 李师傅",
        "Nucleic-acid test report for driver 王师傅",
        "Nucleic-acid test report for driver 赵师傅",
        "Commitment letter",
    ]
    with translation.override("en"):
        error = fails("documents_missing", workflow.submit, draft, by=applicant)
    assert error.message.startswith("Required documents are missing: Business licence; ")
    draft.refresh_from_db()
    assert draft.status == PassRequest.Status.DRAFT
    assert not AuditEvent.objects.filter(request=draft).exists()


def test_with_everything_attached_the_request_is_submitted(two_trucks, applicant):
    draft, items, drivers = two_trucks
    attach_everything(draft, items, drivers)
    assert missing(draft) == []
    assert workflow.submit(draft, by=applicant).status == PassRequest.Status.SUBMITTED


def test_one_missing_document_is_named_alone(two_trucks, applicant):
    draft, items, drivers = two_trucks
    attach_everything(draft, items, drivers)
    draft.documents.filter(kind=Kind.VEHICLE_LICENCE, item=items[1]).delete()
    with translation.override("en"):
        error = fails("documents_missing", workflow.submit, draft, by=applicant)
    assert error.message == "A required document is missing: Vehicle licence for vehicle 湘B10002."


def test_a_driving_licence_of_one_driver_does_not_cover_another(two_trucks):
    draft, items, (wang, li, zhao) = two_trucks
    attach_everything(draft, items, [wang, zhao])
    assert missing(draft) == [
        "Driving licence for driver 李师傅",
        "Nucleic-acid test report for driver 李师傅",
    ]


def test_a_vehicle_licence_attached_by_vehicle_rather_than_item_counts(two_trucks):
    draft, items, drivers = two_trucks
    attach_everything(draft, items, drivers)
    draft.documents.filter(kind=Kind.VEHICLE_LICENCE).delete()
    for item in items:
        make_document(draft.enterprise, Kind.VEHICLE_LICENCE, request=draft, vehicle=item.vehicle)
    assert missing(draft) == []


def test_standing_documents_of_the_enterprise_vehicle_and_driver_count(two_trucks):
    """Kept once on the enterprise's file (request unset), reused by every request."""
    draft, items, drivers = two_trucks
    enterprise = draft.enterprise
    make_document(enterprise, Kind.BUSINESS_LICENCE)
    make_document(enterprise, Kind.COMMITMENT_LETTER, request=draft)
    for item in items:
        make_document(enterprise, Kind.VEHICLE_LICENCE, vehicle=item.vehicle)
    for driver in drivers:
        make_document(enterprise, Kind.DRIVING_LICENCE, driver=driver)
        make_document(enterprise, Kind.NUCLEIC_ACID_TEST, driver=driver, tested_at=timezone.now())
    assert missing(draft) == []


def test_documents_on_another_request_or_of_another_enterprise_do_not_count(two_trucks):
    draft, items, drivers = two_trucks
    enterprise = draft.enterprise
    other_request = factories.PassRequestFactory(enterprise=enterprise)
    make_document(enterprise, Kind.COMMITMENT_LETTER, request=other_request)
    make_document(factories.EnterpriseFactory(), Kind.BUSINESS_LICENCE)
    assert "Commitment letter" in missing(draft)
    assert "Business licence" in missing(draft)


def test_a_pass_type_without_requirements_needs_no_documents(applicant):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    assert workflow.missing_documents(draft) == []


# --- Health proofs at approval ------------------------------------------------------------------


def frozen(moment):
    """Stop every clock the workflow may read at ``moment`` (time-machine)."""
    return time_machine.travel(moment, tick=False)


TESTED = datetime.datetime(2022, 11, 26, 9, 0, tzinfo=SHANGHAI)  # sample taken 09:00 Beijing time


@pytest.fixture
def in_review(two_trucks, applicant, reviewer):
    """The two-truck request, complete and claimed, with every test taken at ``TESTED``."""
    draft, items, drivers = two_trucks
    start = TESTED + datetime.timedelta(days=1)
    with frozen(start):
        PassRequest.objects.filter(pk=draft.pk).update(
            valid_from=start, valid_until=start + datetime.timedelta(days=7)
        )
        attach_everything(draft, items, drivers, tested_at=TESTED)
        workflow.submit(draft, by=applicant)
        workflow.claim(draft, by=reviewer)
    return draft, drivers


def test_a_test_exactly_48_hours_old_is_still_fresh(in_review, reviewer):
    draft, _drivers = in_review
    # 2022-11-28 09:00 in Shanghai is 01:00 UTC: exactly 48 hours after the sample.
    approval = datetime.datetime(2022, 11, 28, 1, 0, tzinfo=datetime.UTC)
    with frozen(approval):
        passes = workflow.approve(draft, by=reviewer)
    assert len(passes) == 2


def test_one_second_past_48_hours_every_driver_is_named(in_review, reviewer):
    draft, _drivers = in_review
    approval = datetime.datetime(2022, 11, 28, 1, 0, 1, tzinfo=datetime.UTC)
    with frozen(approval), translation.override("en"):
        error = fails("health_proof_stale", workflow.approve, draft, by=reviewer)
    assert error.message == (
        "Nucleic-acid test missing or older than 48 hours for: 李师傅、王师傅、赵师傅."
    )
    draft.refresh_from_db()
    assert draft.status == PassRequest.Status.IN_REVIEW
    assert not Pass.objects.exists()


def test_local_times_are_read_as_beijing_time(in_review, reviewer):
    """A test time typed without a zone (as in a form) means Beijing time, not UTC: 8 hours
    earlier than UTC would make a stale test look fresh."""
    assert timezone.make_aware(datetime.datetime(2022, 11, 26, 9, 0)) == TESTED
    draft, _drivers = in_review
    # 16:59 Beijing time on the 28th: still fresh if the sample were 09:00 UTC, but it was
    # 09:00 Beijing time (01:00 UTC), so it is almost 56 hours old.
    with frozen(datetime.datetime(2022, 11, 28, 16, 59, tzinfo=SHANGHAI)):
        fails("health_proof_stale", workflow.approve, draft, by=reviewer)


def test_only_drivers_with_old_tests_are_named_and_a_newer_test_replaces_an_old_one(
    in_review, reviewer
):
    draft, (wang, li, zhao) = in_review
    approval = TESTED + datetime.timedelta(hours=60)
    make_document(
        draft.enterprise,
        Kind.NUCLEIC_ACID_TEST,
        request=draft,
        driver=wang,
        tested_at=approval - datetime.timedelta(hours=3),
    )
    make_document(  # a standing report on the driver's file counts too
        draft.enterprise,
        Kind.NUCLEIC_ACID_TEST,
        driver=zhao,
        tested_at=approval - datetime.timedelta(hours=47),
    )
    with frozen(approval), translation.override("en"):
        error = fails("health_proof_stale", workflow.approve, draft, by=reviewer)
    assert error.message.endswith("for: 李师傅.")


def test_a_report_on_another_request_does_not_count(in_review, reviewer):
    draft, (wang, li, zhao) = in_review
    approval = TESTED + datetime.timedelta(hours=60)
    other = factories.PassRequestFactory(enterprise=draft.enterprise)
    for driver in (wang, li, zhao):
        make_document(
            draft.enterprise,
            Kind.NUCLEIC_ACID_TEST,
            request=other,
            driver=driver,
            tested_at=approval - datetime.timedelta(hours=1),
        )
    with frozen(approval):
        fails("health_proof_stale", workflow.approve, draft, by=reviewer)


def test_a_test_dated_in_the_future_is_not_accepted(in_review, reviewer):
    draft, drivers = in_review
    approval = TESTED + datetime.timedelta(hours=60)
    draft.documents.filter(kind=Kind.NUCLEIC_ACID_TEST).update(
        tested_at=approval + datetime.timedelta(hours=1)
    )
    with frozen(approval):
        fails("health_proof_stale", workflow.approve, draft, by=reviewer)


def test_a_report_without_a_test_time_is_missing(in_review, reviewer):
    draft, _drivers = in_review
    draft.documents.filter(kind=Kind.NUCLEIC_ACID_TEST).update(tested_at=None)
    with frozen(TESTED + datetime.timedelta(hours=1)):
        fails("health_proof_stale", workflow.approve, draft, by=reviewer)


def test_pass_types_without_a_freshness_limit_ignore_test_dates(applicant, reviewer):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    assert workflow.stale_health_proofs(pass_request) == []
    assert len(workflow.approve(pass_request, by=reviewer)) == 1
