"""Eight renewals of one pass sent at the same moment (PostgreSQL, one connection per thread):
exactly one renewal request is filed and the seven others get a clear 409.

The first renewal is held while it files its request until another one is seen queueing for
the pass's row lock, so the others really arrive while it is still working; without the lock
each of them would pass the "already being renewed?" check and file its own request.
"""

import time

import pytest

from passes.models import PassRequest, RequestItem
from passes.requests import filing
from tests import factories
from tests.api_support import API, client_for
from tests.factories.issuing import issued_passes
from tests.requests.test_concurrency import other_connection_waits_for_a_lock, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RENEWALS = 8


@pytest.fixture
def slow_filing(monkeypatch):
    """Hold the first renewal inside its transaction until another waits for the lock (at most
    a few seconds: without a lock nobody ever waits)."""
    real = filing.create_draft

    def slow(*args, **kwargs):
        draft = real(*args, **kwargs)
        deadline = time.monotonic() + 3
        while not other_connection_waits_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.01)
        return draft

    monkeypatch.setattr(filing, "create_draft", slow)


def test_eight_simultaneous_renewals_of_one_pass_file_exactly_one(
    applicant, enterprise, reviewer, slow_filing
):
    source = factories.submittable_request(vehicles=1, enterprise=enterprise)
    (old,) = issued_passes(source, reviewer=reviewer)
    clients = [client_for(applicant, language="en") for _ in range(RENEWALS)]

    def renew(api):
        return api.post(f"{API}/passes/renew/", {"passes": [old.number]}, format="json")

    responses = run_together(*[lambda api=api: renew(api) for api in clients])

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [201] + [409] * (RENEWALS - 1), statuses
    (winner,) = [r for r in responses if r.status_code == 201]
    (filed,) = winner.json()["requests"]
    renewals = RequestItem.objects.filter(renews=old)
    assert list(renewals.values_list("request_id", flat=True)) == [filed["id"]]
    assert PassRequest.objects.filter(enterprise=enterprise).count() == 2  # source + 1 renewal
    for loser in (r for r in responses if r.status_code == 409):
        error = loser.json()["error"]
        assert error["code"] == "already_renewing"
        assert error["message"] == (
            f"Pass {old.number} is already being renewed by request {filed['reference']}."
        )
