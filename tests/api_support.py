"""Helpers for the API tests: authenticated clients, error-shape checks, request payloads."""

import datetime

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories

API = "/api/v1"


def client_for(user=None, *, language="en") -> APIClient:
    """A client speaking ``language`` and, for a user, sending their API token."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_error(response, status_code, code=None, field=None) -> dict:
    """The one error shape, with the expected status, machine code and (optionally) field."""
    assert response.status_code == status_code, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
        assert error["fields"][field], error
    return error


def window(days=3, start_in=datetime.timedelta(hours=1)):
    start = timezone.now() + start_in
    return start.isoformat(), (start + datetime.timedelta(days=days)).isoformat()


def fleet(enterprise, vehicles=1, drivers=1):
    return (
        [factories.VehicleFactory(enterprise=enterprise) for _ in range(vehicles)],
        [factories.DriverFactory(enterprise=enterprise) for _ in range(drivers)],
    )


def request_payload(pass_type, vehicles, drivers, **extra) -> dict:
    valid_from, valid_until = window()
    return {
        "pass_type": pass_type.pk,
        "cargo_category": "raw_materials",
        "cargo_description": "木材原料",
        "origin": "株洲市荷塘区",
        "destination": "长沙市雨花区",
        "route_description": "沪昆高速—京港澳高速",
        "valid_from": valid_from,
        "valid_until": valid_until,
        "items": [{"vehicle": v.pk, "drivers": [d.pk for d in drivers]} for v in vehicles],
        **extra,
    }


def create_draft(client, pass_type, vehicles, drivers, **extra) -> dict:
    response = client.post(
        f"{API}/requests/", request_payload(pass_type, vehicles, drivers, **extra), format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()
