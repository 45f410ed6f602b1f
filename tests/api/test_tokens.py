"""API tokens expire, and their holder can revoke them; a password change revokes them too.
The contract clients know stays: ``POST /api/v1/auth/token/`` gives ``{"token": …}`` for
``Authorization: Token …``."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.api.credentials import token_holder
from passes.models import AuditEvent
from tests import factories
from tests.api_support import API, assert_error

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-123"  # noqa: S105 - the factories' test password


def sign_in(user) -> str:
    response = APIClient().post(
        f"{API}/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def api_with(token) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def age(token, days):
    Token.objects.filter(key=token).update(created=timezone.now() - datetime.timedelta(days=days))


def test_a_token_expires_after_its_lifetime_and_signing_in_gives_a_new_one(applicant, settings):
    settings.PASSDESK_API_TOKEN_LIFETIME_DAYS = 30
    token = sign_in(applicant)
    assert api_with(token).get(f"{API}/requests/").status_code == 200
    assert sign_in(applicant) == token  # still valid: the same token
    age(token, 29)
    assert api_with(token).get(f"{API}/requests/").status_code == 200
    age(token, 31)
    error = assert_error(api_with(token).get(f"{API}/requests/"), 401)
    assert "expired" in error["message"]
    fresh = sign_in(applicant)
    assert fresh != token
    assert api_with(fresh).get(f"{API}/requests/").status_code == 200


def test_an_expired_token_cannot_scan_at_a_checkpoint(inspector):
    token = sign_in(inspector)
    checkpoint = factories.CheckpointFactory(code="cp-1")
    scan = {"checkpoint": checkpoint.code, "nonce": "n-1", "scanned_at": timezone.now().isoformat()}
    assert api_with(token).post(f"{API}/scans/", scan, format="json").status_code != 401
    age(token, 400)
    response = api_with(token).post(f"{API}/scans/", {**scan, "nonce": "n-2"}, format="json")
    assert response.status_code == 401


def test_the_holder_revokes_the_token_through_the_api(applicant):
    token = sign_in(applicant)
    assert api_with(token).delete(f"{API}/auth/token/").status_code == 204
    assert_error(api_with(token).get(f"{API}/requests/"), 401)
    assert AuditEvent.objects.filter(action="api.token_revoke").count() == 1
    assert APIClient().delete(f"{API}/auth/token/").status_code == 401


def test_the_holder_revokes_the_token_on_the_enterprise_page(applicant):
    token = sign_in(applicant)
    portal = Client(HTTP_ACCEPT_LANGUAGE="en")
    portal.force_login(applicant)
    page = portal.get(reverse("passes:enterprise")).content.decode()
    assert "Your API token" in page and "Expires" in page
    response = portal.post(reverse("passes:api-token-revoke"), follow=True)
    assert "Your API token was revoked" in response.content.decode()
    assert_error(api_with(token).get(f"{API}/requests/"), 401)
    assert "You have no API token" in portal.get(reverse("passes:enterprise")).content.decode()


def test_a_password_change_revokes_the_token(applicant):
    token = sign_in(applicant)
    applicant.first_name = "改名"
    applicant.save()  # other changes leave the token alone
    assert api_with(token).get(f"{API}/requests/").status_code == 200
    applicant.set_password("A-brand-new-password-2026")
    applicant.save()
    assert_error(api_with(token).get(f"{API}/requests/"), 401)


def test_an_unknown_token_and_an_inactive_holder_are_refused_in_the_callers_language(applicant):
    token = sign_in(applicant)
    error = assert_error(api_with("0" * 40).get(f"{API}/requests/"), 401)
    assert error["message"] == "Invalid token."
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert assert_error(chinese.get(f"{API}/requests/"), 401)["message"] == "令牌无效。"
    type(applicant).objects.filter(pk=applicant.pk).update(is_active=False)
    error = assert_error(api_with(token).get(f"{API}/requests/"), 401)
    assert error["message"] == "User inactive or deleted."


def test_a_reviewers_call_reads_token_holder_and_permissions_in_one_statement(reviewer):
    """On PostgreSQL the permissions come with the token's holder, as ModelBackend would
    compute them; a permission taken away holds from the very next call."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = sign_in(reviewer)
    client = api_with(token)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/review/queue/").status_code == 200
    touching = [q["sql"] for q in queries if "auth_permission" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(touching) == 1, touching
        assert "authtoken_token" in touching[0]
        holder, _token, fresh = token_holder(token)
        fresh_user = type(reviewer).objects.get(pk=reviewer.pk)
        assert fresh and holder._perm_cache == ModelBackend().get_all_permissions(fresh_user)
        assert "passes.review_passrequest" in holder._perm_cache
    reviewer.groups.remove(Group.objects.get(name="Reviewers"))
    assert client.get(f"{API}/review/queue/").status_code == 403


def test_a_members_call_reads_token_holder_and_enterprise_in_one_statement(applicant):
    """The enterprise the caller acts for comes with the token's holder; a member moved to
    another enterprise acts for that one from the very next call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from passes.models import Membership

    vehicle = factories.VehicleFactory(enterprise=applicant.membership.enterprise)
    client = api_with(sign_in(applicant))
    with CaptureQueriesContext(connection) as queries:
        listed = client.get(f"{API}/vehicles/")
    assert [row["id"] for row in listed.json()["results"]] == [vehicle.pk]
    membership_reads = [q["sql"] for q in queries if "passes_membership" in q["sql"]]
    assert len(membership_reads) == 1, membership_reads
    assert "authtoken_token" in membership_reads[0]

    Membership.objects.filter(user=applicant).update(enterprise=factories.EnterpriseFactory())
    assert client.get(f"{API}/vehicles/").json()["results"] == []


def test_the_token_holder_comes_with_typed_values_on_every_database(applicant):
    """The holder, the membership and the enterprise are read in plain SQL, with the values
    typed as the ORM types them."""
    holder, token, fresh = token_holder(sign_in(applicant))
    enterprise = holder.membership.enterprise
    assert fresh and token.user is holder and holder.pk == applicant.pk
    assert isinstance(holder.date_joined, datetime.datetime) and holder.date_joined.tzinfo
    assert isinstance(enterprise.created_at, datetime.datetime)
    assert enterprise == applicant.membership.enterprise
    assert (enterprise.name, enterprise.credit_code) == (
        applicant.membership.enterprise.name,
        applicant.membership.enterprise.credit_code,
    )
    assert token_holder("0" * 40) is None
