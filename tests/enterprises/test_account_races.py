"""Check-then-insert races at sign-up and when an owner adds staff (PostgreSQL, one connection
per thread). Every request passes the early "already taken" check, then all insert at once: the
unique constraint picks one winner and the others see the same field error, never a 500."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.urls import reverse

from passes.enterprises import accounts
from passes.models import Enterprise, Membership
from tests import factories
from tests.portal_helpers import fresh_cache, jpeg, member, signup_data  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TIMEOUT = 60


def all_past_the_check(monkeypatch, count):
    """Hold each request after the early uniqueness check until all of them got there."""
    barrier = threading.Barrier(count)
    real = accounts._unsaved_user

    def held(*args, **kwargs):
        user = real(*args, **kwargs)
        barrier.wait(timeout=TIMEOUT)
        return user

    monkeypatch.setattr(accounts, "_unsaved_user", held)


def post_together(posts):
    responses = [None] * len(posts)

    def run(index, post):
        try:
            responses[index] = post()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    return responses


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize("shared", ["login", "credit_code"])
def test_six_simultaneous_signups_give_one_account_and_field_errors(shared, monkeypatch):
    all_past_the_check(monkeypatch, 6)

    def signup(n):
        data = signup_data(login=f"1391234000{n}", credit_code=factories.make_credit_code(500 + n))
        data[shared] = signup_data()[shared]
        client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        return lambda: client.post(reverse("passes:signup"), {**data, "licence": jpeg()})

    responses = post_together([signup(n) for n in range(6)])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 5 + [302], statuses
    for response in responses:
        if response.status_code == 200:
            assert response.context["form"].errors[shared], response.context["form"].errors
    assert Enterprise.objects.count() == 1
    assert get_user_model().objects.count() == 1


def test_owner_adding_one_login_four_times_at_once_adds_it_once(monkeypatch):
    owner = member()
    all_past_the_check(monkeypatch, 4)

    def add():
        client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        client.force_login(owner)
        data = {
            "full_name": "李师傅",
            "login": "13811112222",
            "password1": "Long-enough-pw-2022",
            "password2": "Long-enough-pw-2022",
        }
        return lambda: client.post(reverse("passes:staff-add"), data)

    responses = post_together([add() for _ in range(4)])

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 302]
    for response in responses:
        if response.status_code == 200:
            assert "already exists" in str(response.context["form"].errors["login"])
    assert Membership.objects.filter(user__username="13811112222").count() == 1
