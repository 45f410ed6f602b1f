"""Pass numbers: 12 digits, the region code from settings and a serial that never repeats or
skips, even when an approval fails half-way. (Concurrency:
``tests/requests/test_concurrency.py``.)"""

from unittest import mock

import pytest
from django.db import transaction

from passes.issuing import numbering as issuing
from passes.models import Pass, PassRequest, PassSerial
from passes.requests import workflow
from tests.factories.workflow import claimed_request

pytestmark = pytest.mark.django_db


def test_numbers_are_region_code_plus_six_digit_serial(applicant, reviewer):
    passes = workflow.approve(claimed_request(applicant, reviewer, vehicles=3), by=reviewer)
    assert sorted(p.number for p in passes) == ["430200000001", "430200000002", "430200000003"]
    assert all(len(p.number) == 12 and p.number.isdigit() for p in passes)


def test_region_code_comes_from_settings(settings, applicant, reviewer):
    settings.PASSDESK_REGION_CODE = "430211"  # 天元区
    (issued,) = workflow.approve(claimed_request(applicant, reviewer), by=reviewer)
    assert issued.number == "430211000001"


def test_numbers_continue_across_requests(applicant, reviewer):
    first = workflow.approve(claimed_request(applicant, reviewer, vehicles=2), by=reviewer)
    second = workflow.approve(claimed_request(applicant, reviewer, vehicles=1), by=reviewer)
    assert sorted(p.number[-6:] for p in first) == ["000001", "000002"]
    assert [p.number[-6:] for p in second] == ["000003"]


def test_each_region_has_its_own_counter():
    with transaction.atomic():
        assert issuing.allocate_pass_numbers(2, "430200") == ["430200000001", "430200000002"]
        assert issuing.allocate_pass_numbers(1, "430211") == ["430211000001"]
        assert issuing.allocate_pass_numbers(1, "430200") == ["430200000003"]


def test_a_rolled_back_allocation_gives_its_numbers_back():
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        assert issuing.allocate_pass_numbers(3) == [
            "430200000001",
            "430200000002",
            "430200000003",
        ]
        raise Abort
    with transaction.atomic():
        assert issuing.allocate_pass_numbers(1) == ["430200000001"]


def test_an_approval_failing_after_numbering_leaves_no_gap(applicant, reviewer):
    pass_request = claimed_request(applicant, reviewer, vehicles=2)
    links = Pass.drivers.through.objects
    numbered = []

    def fail_after_the_passes(rows, *args, **kwargs):
        # The passes are written and numbered; naming their drivers fails.
        numbered.extend(Pass.objects.order_by("number").values_list("number", flat=True))
        raise RuntimeError("disk full while issuing")

    with (
        mock.patch.object(links, "bulk_create", side_effect=fail_after_the_passes),
        pytest.raises(RuntimeError),
    ):
        workflow.approve(pass_request, by=reviewer)

    assert numbered == ["430200000001", "430200000002"]  # numbered, then failed
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.IN_REVIEW
    assert not Pass.objects.exists()
    passes = workflow.approve(pass_request, by=reviewer)
    assert sorted(p.number for p in passes) == ["430200000001", "430200000002"]


def test_numbers_run_out_loudly_rather_than_wrap(applicant, reviewer):
    PassSerial.objects.create(region_code="430200", last_serial=999_999)
    pass_request = claimed_request(applicant, reviewer)
    with pytest.raises(issuing.PassNumbersExhausted):
        workflow.approve(pass_request, by=reviewer)
    assert PassSerial.objects.get(region_code="430200").last_serial == 999_999
    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.IN_REVIEW


def test_zero_vehicles_use_no_number():
    with transaction.atomic():
        assert issuing.allocate_pass_numbers(0) == []
        assert issuing.allocate_pass_numbers(1) == ["430200000001"]


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused():
    """Without a transaction the counter lock would be released at once: refuse."""
    with pytest.raises(RuntimeError):
        issuing.allocate_pass_numbers(1)
    assert not PassSerial.objects.filter(last_serial__gt=0).exists()


def test_a_number_is_never_given_twice(applicant, reviewer):
    numbers = []
    for _ in range(5):
        numbers += [
            p.number for p in workflow.approve(claimed_request(applicant, reviewer), by=reviewer)
        ]
    assert len(set(numbers)) == 5
    assert Pass.objects.values("number").distinct().count() == 5
    assert PassRequest.objects.filter(status="approved").count() == 5


def test_an_approval_numbers_and_writes_its_passes_in_one_statement_each(applicant, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    workflow.approve(claimed_request(applicant, reviewer), by=reviewer)  # the counter exists
    pass_request = claimed_request(applicant, reviewer, vehicles=3)
    with CaptureQueriesContext(connection) as queries:
        passes = workflow.approve(pass_request, by=reviewer)

    statements = [q["sql"] for q in queries]
    assert [p.number for p in passes] == ["430200000002", "430200000003", "430200000004"]
    assert len([s for s in statements if "passes_passserial" in s]) == 1
    assert len([s for s in statements if s.startswith('INSERT INTO "passes_pass" ')]) == 1
    # The approval e-mail lists the passes it was handed, without reading them back.
    assert not [s for s in statements if s.startswith("SELECT") and 'FROM "passes_pass" ' in s]
    assert set(Pass.objects.filter(request=pass_request).values_list("number", flat=True)) == {
        p.number for p in passes
    }
