"""The passes a combined PDF prints (``rendering.printable_passes``, read in plain SQL): the
same passes, data and order as the ORM read them, so the stored files' fingerprints hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from passes.issuing import rendering
from passes.models import Pass
from passes.requests import workflow
from passes.signing.keys import current_signer
from tests import factories
from tests.factories.issuing import make_passes

pytestmark = pytest.mark.django_db


def _orm_printable(pass_request):
    """What ``printable_passes`` read through the ORM before."""
    return list(
        Pass.objects.filter(request=pass_request)
        .exclude(status=Pass.Status.REVOKED)
        .select_related("request__enterprise", "request__pass_type__office", "vehicle", "replaces")
        .prefetch_related("drivers", "request__checkpoints")
        .order_by("number")
    )


@pytest.fixture
def amended(enterprise, officer):
    """Three passes with two drivers each and two checkpoints; the first amended (revoked and
    replaced by a new pass naming another driver)."""
    pass_request = factories.submittable_request(vehicles=3, enterprise=enterprise)
    pass_request.checkpoints.set([factories.CheckpointFactory(), factories.CheckpointFactory()])
    for item in pass_request.items.all():
        item.drivers.add(factories.DriverFactory(enterprise=enterprise))
    first, *_others = make_passes(pass_request)
    replacement = factories.DriverFactory(enterprise=enterprise, name="王师傅")
    workflow.amend_pass_drivers(first, [replacement], by=officer, reason="司机换班")
    return pass_request


def test_the_printed_passes_are_what_the_orm_read(amended):
    printed = rendering.printable_passes(amended)
    reference = _orm_printable(amended)

    assert [p.number for p in printed] == [p.number for p in reference]
    assert len(printed) == 3 and all(p.status != Pass.Status.REVOKED for p in printed)
    signer = current_signer(amended.pass_type.office_id)
    assert rendering.fingerprint(printed, signer) == rendering.fingerprint(reference, signer)
    for mine, theirs in zip(printed, reference, strict=True):
        assert [d.pk for d in mine.drivers.all()] == [d.pk for d in theirs.drivers.all()]
        assert rendering.sheet_for(mine, signer) == rendering.sheet_for(theirs, signer)
    assert (
        [p.replaces.number for p in printed if p.replaces_id]
        == [p.replaces.number for p in reference if p.replaces_id]
        != []
    )


def test_the_printed_passes_take_four_statements_whatever_their_number(amended):
    signer = current_signer(amended.pass_type.office_id)
    with CaptureQueriesContext(connection) as queries:
        sheets = [rendering.sheet_for(p, signer) for p in rendering.printable_passes(amended)]
    assert len(sheets) == 3
    assert len(queries) == 4


def test_a_request_with_only_revoked_passes_prints_nothing(enterprise, officer):
    pass_request = factories.submittable_request(vehicles=1, enterprise=enterprise)
    (issued,) = make_passes(pass_request)
    workflow.revoke_pass(issued, by=officer, reason="车辆报废")
    assert rendering.printable_passes(pass_request) == []
    assert rendering.printable_passes(pass_request.pk + 10_000) == []
