"""The published contract is what the code does: an integrator reading only ``/api/schema/``
must find every route under ``/api/v1/`` (with its methods), and every value of every enum the
code can answer with. A route or a value added without the schema fails here."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.schemas.generators import EndpointEnumerator

from passes.checkpoint import feed, verdicts
from passes.checkpoint.plates import plate_colour
from passes.models import Decision, Pass, PassRequest, SigningKey, Vehicle, Verdict
from passes.signing import tokens
from passes.signing.keys import sign_pass
from tests import factories
from tests.api_support import client_for
from tests.factories.checkpoint import make_pass

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/"
# Routes under /api/v1/ deliberately left out of the schema: path -> why. Keep it short.
EXCLUDED: dict[str, str] = {}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _methods(callback) -> set[str] | None:
    """What a DRF route answers (None for a plain Django view: it cannot say)."""
    actions = getattr(callback, "actions", None)
    if actions:
        # DRF adds "head" to a viewset's actions the first time it answers a GET (its
        # ``as_view`` mutates the dict): not a method the schema lists.
        return set(actions) - {"head"}
    view_class = getattr(callback, "cls", None)
    if view_class is None:
        return None
    return {method for method in HTTP_METHODS if hasattr(view_class, method)}


def api_routes() -> dict[str, set[str] | None]:
    """Every route under /api/v1/, written as the schema writes paths (``{name}``; ``pk`` is
    shown as ``id``), with its methods."""
    enumerator = EndpointEnumerator()
    routes = {}
    for regex, callback in _walk(get_resolver().url_patterns):
        path = enumerator.get_path_from_regex(regex).replace("{pk}", "{id}")
        if path.startswith(PREFIX):
            known = routes.get(path, set())
            methods = _methods(callback)
            routes[path] = None if methods is None or known is None else known | methods
    return routes


def test_every_api_route_is_in_the_schema_with_its_methods(schema):
    routes = api_routes()
    assert len(routes) > 40, routes  # the walk found the API at all
    paths = schema["paths"]
    missing, wrong_methods = [], []
    for path, methods in sorted(routes.items()):
        if path in EXCLUDED:
            continue
        if path not in paths:
            missing.append(path)
        elif methods is not None and not methods <= set(paths[path]):
            wrong_methods.append(f"{path}: {sorted(methods - set(paths[path]))}")
    assert not missing, f"routes missing from /api/schema/ (add them or EXCLUDED): {missing}"
    assert not wrong_methods, f"methods missing from /api/schema/: {wrong_methods}"
    documented_but_absent = sorted(p for p in paths if p.startswith(PREFIX) and p not in routes)
    assert not documented_but_absent, documented_but_absent


def test_exclusions_are_real_routes_with_reasons(schema):
    routes = api_routes()
    for path, reason in EXCLUDED.items():
        assert path in routes, f"{path} is excluded but is no route: drop it from EXCLUDED"
        assert path not in schema["paths"], f"{path} is excluded but in the schema"
        assert reason.strip(), path


def _enum(schema, name) -> set:
    component = schema["components"]["schemas"][name]
    return {value for value in component["enum"] if value not in ("", None)}


def _feed_codes() -> tuple[set, set]:
    """The revocation feed's statuses and reasons, read from what it answers."""
    revoked = make_pass()
    revoked.status, revoked.status_changed_at = Pass.Status.REVOKED, timezone.now()
    revoked.save(update_fields=["status", "status_changed_at"])
    replacing = make_pass()
    replacing.replaces = revoked
    replacing.save(update_fields=["replaces"])
    expired = make_pass()
    expired.status, expired.status_changed_at = Pass.Status.EXPIRED, timezone.now()
    expired.save(update_fields=["status", "status_changed_at"])
    plain = make_pass()
    plain.status, plain.status_changed_at = Pass.Status.REVOKED, timezone.now()
    plain.save(update_fields=["status", "status_changed_at"])
    entries = feed.revocations_since(None)["revoked"]
    return {e["status"] for e in entries}, {e["reason"] for e in entries}


def test_every_enum_value_the_code_returns_is_in_the_schema(schema):
    assert set(verdicts.SEVERITY) == set(Verdict) == set(verdicts.VERDICT_MEANINGS)
    service_reasons = {
        verdicts.SIGNED_BUT_NOT_ON_RECORD,
        verdicts.PLATE_DIFFERS_FROM_RECORD,
        verdicts.NO_SUCH_PASS,
        verdicts.OUTSIDE_ISSUER_REGION,
    }
    statuses, reasons = _feed_codes()
    now = timezone.now()
    colours = {
        plate_colour(plate, kind)
        for plate in ("湘B12345", "湘BD12345", "湘B1234挂")
        for kind in Vehicle.VehicleType.values
    }
    expected = {
        "VerdictEnum": set(Verdict.values) | {str(v) for v in tokens.Verdict},
        "SeverityEnum": set(verdicts.SEVERITY.values()),
        "VerdictReasonEnum": verdicts.token_reasons() | service_reasons,
        "DecisionEnum": set(Decision.values),
        "PassStatusEnum": set(Pass.Status.values),
        "RequestStatusEnum": set(PassRequest.Status.values),
        "StateEnum": {
            SigningKey(retired_at=retired, withdrawn_at=withdrawn).state
            for retired in (None, now)
            for withdrawn in (None, now)
        },
        "PlateColourEnum": colours,
        "RevocationEntryStatusEnum": statuses,
        "RevocationEntryReasonEnum": reasons,
    }
    for name, values in expected.items():
        published = _enum(schema, name)
        assert values <= published, f"{name} lacks {sorted(values - published)}"
    # Every reason has words for the inspector's page and the schema.
    assert verdicts.token_reasons() | service_reasons <= set(verdicts.REASONS)
    assert {"route_bound"} <= set(schema["components"]["schemas"]["PassTypeOut"]["properties"])
    assert {"route_bound"} <= set(schema["components"]["schemas"]["StaffPassOut"]["properties"])


def _shape(schema, name, data, where="") -> list[str]:
    """Keys of ``data`` that the schema component ``name`` does not describe, or the reverse,
    followed into nested objects."""
    component = schema["components"]["schemas"][name]
    properties = component["properties"]
    problems = [f"{where}{key}: not in {name}" for key in set(data) - set(properties)]
    problems += [f"{where}{key}: missing" for key in set(component.get("required", ())) - set(data)]
    for key, value in data.items():
        prop = properties.get(key, {})
        ref = prop.get("$ref") or next(
            (part["$ref"] for part in prop.get("allOf", []) if "$ref" in part), None
        )
        items = prop.get("items", {}).get("$ref")
        if isinstance(value, dict) and ref and "Enum" not in ref:
            problems += _shape(schema, ref.rsplit("/", 1)[1], value, f"{where}{key}.")
        elif isinstance(value, list) and value and items:
            problems += _shape(schema, items.rsplit("/", 1)[1], value[0], f"{where}{key}[0].")
        for enum_ref in [p.get("$ref", "") for p in prop.get("oneOf", []) + prop.get("allOf", [])]:
            if enum_ref.endswith("Enum") and value != "":
                enum = schema["components"]["schemas"][enum_ref.rsplit("/", 1)[1]]["enum"]
                if value not in enum:
                    problems.append(f"{where}{key}: {value!r} not in {enum_ref}")
    return problems


def test_a_real_scan_answer_is_what_the_schema_describes(schema, inspector):
    """The scan answer is built as plain data (the fast path writes it without DRF); the
    schema's description of it must not drift from what is sent."""
    here = factories.CheckpointFactory(code="shifeng-bridge")
    elsewhere = factories.CheckpointFactory(code="xiangjiang-bridge")
    issued = make_pass(plate="湘B12345", checkpoints=[elsewhere])
    response = client_for(inspector).post(
        "/api/v1/scans/",
        {
            "code": tokens.verification_url(sign_pass(issued)),
            "checkpoint": here.code,
            "nonce": str(uuid.uuid4()),
            "scanned_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["verdict"]["code"] == "off_route" and data["verdict"]["severity"] == "warn"
    assert data["pass"]["route_bound"] is True
    component = next(
        name for name in schema["components"]["schemas"] if re.fullmatch(r"ScanOutput\w*", name)
    )
    assert _shape(schema, component, data) == []
