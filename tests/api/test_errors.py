"""One error shape, in the client's language; throttling; lockout; pagination everywhere."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.throttling import ScopedRateThrottle

from passes.api.errors import lockout_response
from passes.models import Document
from tests import factories, fixtures_files
from tests.api_support import API, assert_error, client_for, create_draft, fleet


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_unauthenticated_is_401_in_the_clients_language(db):
    english = client_for(language="en").get(f"{API}/vehicles/")
    error = assert_error(english, 401, "not_authenticated")
    assert error["message"] == "Authentication credentials were not provided."
    assert english["WWW-Authenticate"] == "Token"

    chinese = client_for(language="zh-hans").get(f"{API}/vehicles/")
    assert assert_error(chinese, 401, "not_authenticated")["message"] == "身份认证信息未提供。"


def test_bad_token_is_401(db):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get(f"{API}/requests/"), 401, "authentication_failed")


def test_validation_errors_name_the_field_in_the_clients_language(applicant):
    english = client_for(applicant).post(f"{API}/drivers/", {}, format="json")
    error = assert_error(english, 400, "invalid", field="name")
    assert error["fields"]["name"] == ["This field is required."]
    assert set(error["fields"]) == {"name", "id_number", "phone"}
    assert error["message"].startswith("name: ")

    chinese = client_for(applicant, language="zh-hans").post(f"{API}/drivers/", {}, format="json")
    assert assert_error(chinese, 400, field="name")["fields"]["name"] == ["该字段是必填项。"]


def test_nested_errors_are_dotted_paths(applicant):
    response = client_for(applicant).post(
        f"{API}/requests/",
        {"pass_type": 1, "items": [{"vehicle": 1}, {"vehicle": "x", "drivers": [0]}]},
        format="json",
    )
    error = assert_error(response, 400, field="items.1.vehicle")
    assert "items.1.drivers.0" in error["fields"]


def test_unknown_api_url_is_json_404_but_pages_keep_html(applicant):
    api = client_for(applicant)
    assert_error(api.get(f"{API}/no-such-thing/"), 404, "not_found")
    assert_error(api.get(f"{API}/vehicles/12345678901234567890123/"), 404, "not_found")
    page = api.get("/no-such-page/")
    assert page.status_code == 404
    assert not page["Content-Type"].startswith("application/json")


def test_method_parse_and_media_type_errors(applicant):
    api = client_for(applicant)
    assert_error(api.delete(f"{API}/vehicles/"), 405, "method_not_allowed")
    broken = api.generic("POST", f"{API}/vehicles/", b"{not json", content_type="application/json")
    assert_error(broken, 400, "parse_error")
    text = api.generic("POST", f"{API}/vehicles/", b"plate", content_type="text/plain")
    assert_error(text, 415, "unsupported_media_type")


def test_workflow_error_is_409_with_its_code(applicant, enterprise):
    api = client_for(applicant)
    body = create_draft(api, factories.PassTypeFactory(), *fleet(enterprise))
    api.post(f"{API}/requests/{body['id']}/withdraw/")
    error = assert_error(api.post(f"{API}/requests/{body['id']}/submit/"), 409)
    assert error["code"] == "invalid_transition"
    assert body["reference"] in error["message"]


# --- Throttling --------------------------------------------------------------------------------


def test_token_endpoint_is_throttled(applicant, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = client_for()
    for _ in range(3):
        response = client.post(
            f"{API}/auth/token/", {"username": applicant.username, "password": "x"}, format="json"
        )
        assert response.status_code == 400
    throttled = client.post(
        f"{API}/auth/token/",
        {"username": applicant.username, "password": "pw-for-tests-123"},
        format="json",
    )
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0


def test_uploads_are_throttled_per_user_but_not_deletes(applicant, enterprise, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "uploads", "2/min")
    api = client_for(applicant)
    body = create_draft(api, factories.PassTypeFactory(), *fleet(enterprise))
    url = f"{API}/requests/{body['id']}/documents/"
    images = [fixtures_files.png_bytes(300 + n, 200) for n in range(3)]
    created = []
    for number, image in enumerate(images):
        response = api.post(
            url,
            {"file": fixtures_files.upload(f"{number}.png", image), "kind": "other"},
            format="multipart",
        )
        created.append(response)
    assert [r.status_code for r in created[:2]] == [201, 201]
    assert_error(created[2], 429, "throttled")
    assert Document.objects.count() == 2
    assert api.delete(f"{url}{created[0].json()['id']}/").status_code == 204
    # Another user of the same enterprise has their own allowance.
    colleague = client_for(factories.MembershipFactory(enterprise=enterprise).user)
    response = colleague.post(
        url,
        {"file": fixtures_files.upload("c.png", images[2]), "kind": "other"},
        format="multipart",
    )
    assert response.status_code == 201


# --- Lockout (django-axes) ---------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_out_from_that_address(
    applicant, settings, enterprise
):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    client = client_for()

    def attempt(username, password):
        return client.post(
            f"{API}/auth/token/", {"username": username, "password": password}, format="json"
        )

    for _ in range(2):
        assert_error(attempt(applicant.username, "wrong"), 400, "invalid_credentials")
    assert_error(attempt(applicant.username, "wrong"), 429, "locked_out")
    # Now even the right password is refused, with the same answer.
    locked = attempt(applicant.username, "pw-for-tests-123")
    error = assert_error(locked, 429, "locked_out")
    assert "Too many failed sign-in attempts" in error["message"]
    # Another account from the same address is not locked.
    colleague = factories.MembershipFactory(enterprise=enterprise).user
    assert attempt(colleague.username, "pw-for-tests-123").status_code == 200


def test_a_successful_sign_in_resets_the_failure_count(applicant, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    client = client_for()
    for _ in range(2):
        client.post(
            f"{API}/auth/token/", {"username": applicant.username, "password": "no"}, format="json"
        )
    ok = client.post(
        f"{API}/auth/token/",
        {"username": applicant.username, "password": "pw-for-tests-123"},
        format="json",
    )
    assert ok.status_code == 200
    for _ in range(2):
        response = client.post(
            f"{API}/auth/token/", {"username": applicant.username, "password": "no"}, format="json"
        )
        assert_error(response, 400, "invalid_credentials")


def test_lockout_response_outside_the_api_is_a_plain_429(settings):
    settings.AXES_LOCKOUT_TEMPLATE = None
    response = lockout_response(RequestFactory().post("/accounts/login/"))
    assert response.status_code == 429
    assert not response["Content-Type"].startswith("application/json")


# --- Pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["vehicles/", "drivers/", "requests/"])
def test_every_enterprise_list_is_paginated(applicant, enterprise, path):
    api = client_for(applicant)
    create_draft(api, factories.PassTypeFactory(), *fleet(enterprise, vehicles=2, drivers=2))
    create_draft(api, factories.PassTypeFactory(), *fleet(enterprise, vehicles=1, drivers=1))
    page = api.get(f"{API}/{path}?page_size=1").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] >= 2 and len(page["results"]) == 1
    capped = api.get(f"{API}/{path}?page_size=100000").json()
    assert len(capped["results"]) == page["count"]  # the cap (200) is above what exists


def test_review_queue_is_paginated(applicant, enterprise, reviewer):
    api = client_for(applicant)
    for _ in range(3):
        body = create_draft(api, factories.PassTypeFactory(), *fleet(enterprise))
        api.post(f"{API}/requests/{body['id']}/submit/")
    page = client_for(reviewer).get(f"{API}/review/queue/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
