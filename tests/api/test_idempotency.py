"""``Idempotency-Key`` on create and submit: replay, conflict, scope, expiry, concurrency."""

import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from passes.api import idempotency
from passes.api.idempotency import purge_idempotency_keys
from passes.models import IdempotencyKey, PassRequest, Vehicle
from tests import factories
from tests.api_support import API, assert_error, client_for, fleet, request_payload


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def api(applicant):
    return client_for(applicant)


@pytest.fixture
def payload(enterprise):
    vehicles, drivers = fleet(enterprise)
    return request_payload(factories.PassTypeFactory(), vehicles, drivers)


def test_same_key_and_body_replays_the_first_response(api, payload):
    first = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    second = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert PassRequest.objects.count() == 1


def test_same_key_with_another_body_is_refused(api, payload):
    api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
    changed = {**payload, "origin": "别的地方"}
    response = api.post(f"{API}/requests/", changed, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
    assert_error(response, 422, "idempotency_key_reused")
    assert PassRequest.objects.count() == 1

    # Nor may the key be reused on another endpoint.
    other = api.post(
        f"{API}/vehicles/", {"plate": "湘B55555"}, format="json", HTTP_IDEMPOTENCY_KEY="order-2"
    )
    assert_error(other, 422, "idempotency_key_reused")
    assert not Vehicle.objects.filter(plate="湘B55555").exists()


def test_keys_belong_to_one_user(api, payload, enterprise):
    colleague = client_for(factories.MembershipFactory(enterprise=enterprise).user)
    mine = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    theirs = colleague.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_submit_with_a_key_replays_instead_of_a_conflict(api, payload):
    draft = api.post(f"{API}/requests/", payload, format="json").json()
    url = f"{API}/requests/{draft['id']}/submit/"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="submit-1")
    replayed = api.post(url, HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == replayed.status_code == 200
    assert replayed.json()["status"] == "submitted"
    assert replayed.json() == first.json()
    assert (
        PassRequest.objects.get(pk=draft["id"]).audit_events.filter(action="request.submit").count()
        == 1
    )
    # Without the key a second submit is the workflow's conflict.
    assert_error(api.post(url), 409, "invalid_transition")


def test_a_failed_first_attempt_does_not_pin_the_key(api, payload):
    bad = {**payload, "items": [{"vehicle": 999999}]}
    failed = api.post(f"{API}/requests/", bad, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert failed.status_code == 400
    fixed = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert fixed.status_code == 201
    assert IdempotencyKey.objects.get(key="retry-me").status_code == 201


def test_expired_keys_are_forgotten(api, payload):
    api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    again = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    assert PassRequest.objects.count() == 2

    IdempotencyKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert purge_idempotency_keys.delay().get(timeout=10) == 1  # the periodic task
    assert not IdempotencyKey.objects.exists()


def test_a_key_still_in_progress_is_a_conflict_until_abandoned(api, applicant, payload):
    pending = IdempotencyKey.objects.create(
        user=applicant,
        key="busy",
        method="POST",
        path=f"{API}/requests/",
        fingerprint="0" * 64,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    response = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert_error(response, 422, "idempotency_key_reused")  # another body: refused outright

    pending.fingerprint = _fingerprint_of(payload, f"{API}/requests/")
    pending.save()
    response = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert_error(response, 409, "idempotency_in_progress")
    assert not PassRequest.objects.exists()

    IdempotencyKey.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - idempotency.ABANDONED_AFTER - datetime.timedelta(seconds=1)
    )
    taken_over = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert taken_over.status_code == 201


def _fingerprint_of(payload, path):
    """The fingerprint the server computes for this JSON body on this path."""
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = APIRequestFactory().post(path, payload, format="json")
    return idempotency.fingerprint(Request(request, parsers=[JSONParser()]))


def test_malformed_keys_are_refused(api, payload):
    response = api.post(f"{API}/requests/", payload, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert_error(response, 400, "invalid_idempotency_key", field="Idempotency-Key")
    assert not PassRequest.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_request():
    """Eight threads race with the same key: one request is created; the others either wait
    for the insert and see it in progress (409) or replay its answer (201)."""
    enterprise = factories.EnterpriseFactory()
    user = factories.MembershipFactory(enterprise=enterprise).user
    vehicles, drivers = fleet(enterprise)
    body = request_payload(factories.PassTypeFactory(), vehicles, drivers)
    barrier = threading.Barrier(8)
    statuses = []

    def post():
        try:
            client = client_for(user)
            barrier.wait(timeout=30)
            response = client.post(
                f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == 8
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert PassRequest.objects.filter(enterprise=enterprise).count() == 1
