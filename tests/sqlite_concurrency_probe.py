"""Run by ``test_sqlite_concurrency.py`` in a pytest of its own whose test database is a real
SQLite *file* (the embedded default's kind), so threads really contend for its write lock.
Not collected by the ordinary run (the name does not start with ``test_``)."""

import threading

import pytest
from django.db import connection, connections

from passes.models import Pass, PassRequest
from tests import factories
from tests.api_support import API, client_for
from tests.factories.workflow import claimed_request

TIMEOUT = 120


@pytest.mark.django_db(transaction=True)
def test_four_simultaneous_approvals_on_sqlite_give_one_200_and_409s(applicant, reviewer):
    assert connection.vendor == "sqlite" and "memory" not in str(connection.settings_dict["NAME"])
    pass_request = claimed_request(applicant, reviewer, vehicles=3)
    officers = [factories.UserFactory(is_staff=True, groups=["Officers"]) for _ in range(3)]
    clients = [client_for(user) for user in [reviewer, *officers]]
    barrier = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def approve(index, client):
        try:
            barrier.wait(timeout=TIMEOUT)
            response = client.post(f"{API}/review/{pass_request.pk}/approve/", {}, format="json")
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert sorted(statuses) == [200, 409, 409, 409]
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.APPROVED
    assert Pass.objects.filter(request=pass_request).count() == 3
