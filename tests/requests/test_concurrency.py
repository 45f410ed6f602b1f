"""Two reviewers press "approve" at the same moment (PostgreSQL, one connection per thread).

The first approval is slowed down while it holds the row lock, so the second one really arrives
while the first is still working; without the lock both would issue passes.
"""

import threading
import time

import pytest
from django.db import connection, connections

from passes.issuing import numbering as issuing
from passes.models import AuditEvent, Pass, PassRequest, PassSerial
from passes.requests import workflow
from passes.requests.workflow import WorkflowError
from tests import factories
from tests.factories.workflow import claimed_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TIMEOUT = 60


def run_together(*jobs):
    """Run each job in its own thread (own database connection), released by one barrier.
    Returns each job's result or raised exception, in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
        assert not thread.is_alive(), "a concurrent approval hung"
    return results


def other_connection_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def slow_issuing(monkeypatch):
    """Hold the lock while issuing until the other approval is seen queueing for it (not a
    fixed sleep: on a busy machine that may end before the other thread even started)."""
    real = issuing.issue_passes

    def slow(*args, **kwargs):
        passes = real(*args, **kwargs)
        deadline = time.monotonic() + TIMEOUT / 2
        while not other_connection_waits_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.01)
        return passes

    monkeypatch.setattr(issuing, "issue_passes", slow)


@pytest.mark.parametrize("second", ["officer", "same reviewer"])
def test_two_simultaneous_approvals_issue_one_set_of_passes(
    second, applicant, reviewer, officer, slow_issuing
):
    pass_request = claimed_request(applicant, reviewer, vehicles=2)
    other = officer if second == "officer" else reviewer

    results = run_together(
        lambda: workflow.approve(pass_request.pk, by=reviewer),
        lambda: workflow.approve(pass_request.pk, by=other),
    )

    succeeded = [r for r in results if isinstance(r, list)]
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(succeeded) == 1 and len(failed) == 1, results
    assert isinstance(failed[0], WorkflowError), repr(failed[0])
    assert failed[0].code == "invalid_transition"
    assert Pass.objects.filter(request=pass_request).count() == 2
    assert sorted(Pass.objects.values_list("number", flat=True)) == [
        "430200000001",
        "430200000002",
    ]
    assert PassSerial.objects.get(region_code="430200").last_serial == 2
    assert AuditEvent.objects.filter(request=pass_request, action="request.approve").count() == 1
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.APPROVED


def test_concurrent_approvals_of_different_requests_number_without_gaps(
    applicant, reviewer, monkeypatch
):
    vehicles = [1, 3, 2, 1, 2, 1]
    requests = [claimed_request(applicant, reviewer, vehicles=n) for n in vehicles]
    doomed = requests[2]  # fails after its numbers were taken: they must come back
    real = issuing.issue_passes

    def issue(pass_request, **kwargs):
        passes = real(pass_request, **kwargs)
        time.sleep(0.05)
        if pass_request.pk == doomed.pk:
            raise RuntimeError("printer on fire")
        return passes

    monkeypatch.setattr(issuing, "issue_passes", issue)

    results = run_together(*[lambda pk=r.pk: workflow.approve(pk, by=reviewer) for r in requests])

    assert isinstance(results[2], RuntimeError)
    assert all(isinstance(r, list) for i, r in enumerate(results) if i != 2), results
    numbers = sorted(Pass.objects.values_list("number", flat=True))
    total = sum(vehicles) - vehicles[2]
    assert numbers == [f"430200{serial:06d}" for serial in range(1, total + 1)]
    assert PassSerial.objects.get(region_code="430200").last_serial == total
    # Each request's passes form one consecutive block.
    for pass_request, count in zip(requests, vehicles, strict=True):
        serials = sorted(
            int(n[-6:])
            for n in Pass.objects.filter(request=pass_request).values_list("number", flat=True)
        )
        if pass_request == doomed:
            assert serials == []
            assert PassRequest.objects.get(pk=doomed.pk).status == PassRequest.Status.IN_REVIEW
        else:
            assert serials == list(range(serials[0], serials[0] + count))


def test_claims_race_one_reviewer_wins(applicant, reviewer, other_reviewer):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)

    results = run_together(
        lambda: workflow.claim(pass_request.pk, by=reviewer),
        lambda: workflow.claim(pass_request.pk, by=other_reviewer),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and getattr(errors[0], "code", None) == "claimed_by_other", results
    winner = PassRequest.objects.get(pk=pass_request.pk).assigned_reviewer
    assert winner in (reviewer, other_reviewer)
    assert AuditEvent.objects.filter(request=pass_request, action="request.claim").count() == 1
