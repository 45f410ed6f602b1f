"""Amending a pass's drivers: a new pass replaces the old one, which is revoked."""

import datetime

import pytest
from django.utils import timezone

from passes.checkpoint.feed import revocations_since
from passes.issuing import rendering
from passes.models import AuditEvent, Pass, PassPdf, PassSerial
from passes.requests import workflow
from passes.requests.workflow import WorkflowError
from tests import factories
from tests.factories.issuing import make_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(enterprise):
    request = factories.submittable_request(vehicles=2, enterprise=enterprise)
    return make_passes(request)


def test_officer_amends_drivers(issued, officer, enterprise, django_capture_on_commit_callbacks):
    old, untouched = issued
    new_driver = factories.DriverFactory(enterprise=enterprise, name="王师傅")
    with django_capture_on_commit_callbacks(execute=True):
        new = workflow.amend_pass_drivers(old, [new_driver], by=officer, reason="司机换班")
    old.refresh_from_db()
    assert new.number != old.number and new.number.startswith(old.number[:6])
    assert (new.vehicle, new.plate, new.valid_from, new.valid_until) == (
        old.vehicle,
        old.plate,
        old.valid_from,
        old.valid_until,
    )
    assert new.replaces == old and new.status == Pass.Status.ACTIVE
    assert list(new.drivers.all()) == [new_driver]
    assert old.status == Pass.Status.REVOKED and new.number in old.revocation_reason
    assert AuditEvent.objects.filter(action="pass.amend", pass_obj=new, actor=officer).exists()
    assert AuditEvent.objects.filter(action="pass.revoke", pass_obj=old).exists()

    feed = revocations_since(None)
    numbers = {entry["number"]: entry for entry in feed["revoked"]}
    assert numbers[old.number]["reason"] == "replaced"
    assert new.number not in numbers and untouched.number not in numbers

    # The combined PDF was re-rendered after the commit: the new pass instead of the old.
    record = PassPdf.objects.get(request=old.request, pass_obj__isnull=True)
    printed = {p.number for p in rendering.printable_passes(old.request)}
    assert printed == {new.number, untouched.number}
    assert record.page_count == 2


def test_reviewer_without_revoke_permission_cannot_amend(issued, reviewer, enterprise):
    old = issued[0]
    with pytest.raises(WorkflowError) as caught:
        workflow.amend_pass_drivers(
            old, [factories.DriverFactory(enterprise=enterprise)], by=reviewer, reason="x"
        )
    assert caught.value.code == "not_allowed"
    assert Pass.objects.get(pk=old.pk).status == Pass.Status.ACTIVE


@pytest.mark.parametrize("problem", ["foreign_driver", "unchanged", "no_reason", "expired"])
def test_bad_amendments_change_nothing(issued, officer, enterprise, problem):
    old = issued[0]
    serial_before = PassSerial.objects.get().last_serial
    drivers = [factories.DriverFactory(enterprise=enterprise)]
    reason = "司机换班"
    if problem == "foreign_driver":
        drivers = [factories.DriverFactory()]  # another enterprise's driver
    elif problem == "unchanged":
        drivers = list(old.drivers.all())
    elif problem == "no_reason":
        reason = "  "
    else:
        Pass.objects.filter(pk=old.pk).update(
            valid_until=timezone.now() - datetime.timedelta(minutes=1)
        )
    with pytest.raises(WorkflowError) as caught:
        workflow.amend_pass_drivers(old, drivers, by=officer, reason=reason)
    assert caught.value.code in {
        "invalid_drivers",
        "drivers_unchanged",
        "reason_required",
        "pass_not_active",
    }
    assert Pass.objects.count() == 2
    assert Pass.objects.get(pk=old.pk).status == Pass.Status.ACTIVE
    assert PassSerial.objects.get().last_serial == serial_before  # no number used up


def test_health_proof_required_for_new_driver(issued, officer, enterprise):
    old = issued[0]
    old.request.pass_type.health_proof_max_age_hours = 48
    old.request.pass_type.save()
    with pytest.raises(WorkflowError) as caught:
        workflow.amend_pass_drivers(
            old, [factories.DriverFactory(enterprise=enterprise)], by=officer, reason="换人"
        )
    assert caught.value.code == "health_proof_stale"
