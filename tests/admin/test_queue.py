"""The review queue: what it lists, in which order, with which marks, filters and search."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from passes.models import Pass, PassRequest
from passes.requests import workflow
from tests import factories
from tests.factories.review import add_document, queued_request

pytestmark = pytest.mark.django_db
QUEUE = "admin:passes_reviewqueue_changelist"


def rows(response):
    return [obj.reference for obj in response.context["cl"].result_list]


def get(client, **params):
    return client.get(reverse(QUEUE), params, HTTP_ACCEPT_LANGUAGE="en")


def test_queue_lists_waiting_requests_oldest_first(client, reviewer):
    newer = queued_request(hours_waiting=1)
    older = queued_request(hours_waiting=9, status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    factories.submittable_request()  # a draft: not in the queue
    client.force_login(reviewer)
    response = get(client)
    assert rows(response) == [older.reference, newer.reference]


def test_queue_marks_late_requests_counts_vehicles_and_flags_key_enterprises(
    client, reviewer, settings
):
    settings.PASSDESK_REVIEW_TARGET_HOURS = 4
    key = factories.EnterpriseFactory(is_key_enterprise=True, name="株洲重点物流")
    late = queued_request(hours_waiting=5, vehicles=3, enterprise=key)
    queued_request(hours_waiting=1)
    client.force_login(reviewer)
    html = get(client).content.decode()
    assert html.count("pd-late") == 1
    assert "★" in html and "株洲重点物流" in html
    assert [obj.vehicle_count() for obj in get(client).context["cl"].result_list][0] == 3
    assert late.reference in html


def test_waiting_target_comes_from_settings(client, reviewer, settings):
    settings.PASSDESK_REVIEW_TARGET_HOURS = 0.5
    queued_request(hours_waiting=1)
    client.force_login(reviewer)
    request = PassRequest.objects.get()
    assert "pd-late" in get(client).content.decode()
    assert rows(get(client, overdue="yes")) == [request.reference]
    settings.PASSDESK_REVIEW_TARGET_HOURS = 2
    assert "pd-late" not in get(client).content.decode()
    assert rows(get(client, overdue="yes")) == []


def test_filters_mine_unassigned_key_and_overdue(client, reviewer, other_reviewer, settings):
    settings.PASSDESK_REVIEW_TARGET_HOURS = 4
    mine = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer, hours_waiting=2)
    theirs = queued_request(
        status=PassRequest.Status.IN_REVIEW, reviewer=other_reviewer, hours_waiting=3
    )
    free = queued_request(
        hours_waiting=6, enterprise=factories.EnterpriseFactory(is_key_enterprise=True)
    )
    client.force_login(reviewer)
    assert rows(get(client, reviewer="mine")) == [mine.reference]
    assert rows(get(client, reviewer="unassigned")) == [free.reference]
    assert rows(get(client, reviewer="others")) == [theirs.reference]
    assert rows(get(client, key="yes")) == [free.reference]
    assert rows(get(client, overdue="yes")) == [free.reference]
    assert rows(get(client, status="submitted")) == [free.reference]


def test_search_by_plate_driver_credit_code_and_pass_number(client, reviewer):
    wanted = queued_request(vehicles=2)
    other = queued_request()
    item = wanted.items.first()
    driver = item.drivers.first()
    client.force_login(reviewer)
    assert rows(get(client, q=item.vehicle.plate)) == [wanted.reference]
    # Written the way people type plates: with a dot and in lower case.
    spaced = item.vehicle.plate[:2] + "·" + item.vehicle.plate[2:].lower()
    assert rows(get(client, q=spaced)) == [wanted.reference]
    assert rows(get(client, q=driver.name)) == [wanted.reference]
    assert rows(get(client, q=wanted.enterprise.credit_code)) == [wanted.reference]
    assert rows(get(client, q=other.reference)) == [other.reference]
    # A plate that holds an earlier pass: searching its number finds the request it was on.
    old = factories.submittable_request(enterprise=wanted.enterprise)
    old.items.all().delete()
    factories.RequestItemFactory(request=old, vehicle=item.vehicle)
    PassRequest.objects.filter(pk=old.pk).update(
        status=PassRequest.Status.SUBMITTED, submitted_at=timezone.now()
    )
    workflow.claim(old, by=reviewer)
    issued = workflow.approve(old, by=reviewer)
    assert rows(get(client, q=issued[0].number)) == []  # approved: no longer in the queue
    # Two drivers of one request share a name fragment: still one row (distinct results).
    for extra in wanted.items.all():
        extra.drivers.add(factories.DriverFactory(enterprise=wanted.enterprise, name="王师傅"))
    assert rows(get(client, q="王师傅")) == [wanted.reference]


def test_queue_shows_warnings_for_each_row(client, reviewer):
    pending = factories.EnterpriseFactory(verification_status="pending", name="待核企业")
    flagged = queued_request(enterprise=pending)
    plate_request = queued_request()
    item = plate_request.items.first()
    Pass.objects.create(
        number="430200999999",
        request=plate_request,
        item=item,
        vehicle=item.vehicle,
        plate=item.vehicle.plate,
        valid_from=timezone.now() - datetime.timedelta(days=1),
        valid_until=timezone.now() + datetime.timedelta(days=3),
    )
    clean = queued_request()
    add_document(clean)
    client.force_login(reviewer)
    result = {obj.reference: obj.review_warnings for obj in get(client).context["cl"].result_list}
    assert [w.code for w in result[flagged.reference]] == ["enterprise_not_verified"]
    assert [w.code for w in result[plate_request.reference]] == ["plate_has_active_pass"]
    assert result[clean.reference] == []


def test_claim_action_and_the_race_for_one_request(client, reviewer, other_reviewer):
    pass_request = queued_request()
    client.force_login(reviewer)
    client.post(reverse("admin:passes_review_claim", args=[pass_request.pk]))
    second = Client()
    second.force_login(other_reviewer)
    response = second.post(
        reverse("admin:passes_review_claim", args=[pass_request.pk]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    pass_request.refresh_from_db()
    assert pass_request.assigned_reviewer == reviewer
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"Request {pass_request.reference} is already being reviewed by reviewer."]


def test_claim_next_takes_the_oldest_unassigned(client, reviewer):
    queued_request(hours_waiting=1)
    oldest = queued_request(hours_waiting=8)
    client.force_login(reviewer)
    response = client.post(reverse("admin:passes_review_next"))
    assert response["Location"] == reverse("admin:passes_reviewqueue_change", args=[oldest.pk])
    oldest.refresh_from_db()
    assert oldest.assigned_reviewer == reviewer


def test_officer_reassigns_a_claimed_request(client, reviewer, other_reviewer, officer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    client.force_login(officer)
    response = client.post(
        reverse("admin:passes_review_assign", args=[pass_request.pk]),
        {"reviewer": other_reviewer.pk},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    pass_request.refresh_from_db()
    assert pass_request.assigned_reviewer == other_reviewer
    assert "now assigned to reviewer2" in [str(m) for m in response.context["messages"]][0]
