"""The lean path of POST /api/v1/scans/ (``passes.checkpoint.fastscan``): it answers exactly
what DRF's ScanView answers, and everything it is not sure about reaches DRF unchanged."""

import datetime
import json
import random
import uuid

import pytest
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.checkpoint import fastscan
from passes.models import ScanEvent, Verdict
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.checkpoint import make_pass

SCANS = "/api/v1/scans/"
pytestmark = pytest.mark.django_db
# Differ between two scans of the same thing, whichever path answered.
PER_SCAN = ("id", "nonce", "received_at")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def checkpoint(db):
    return factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")


@pytest.fixture
def token(inspector):
    return Token.objects.create(user=inspector).key


@pytest.fixture
def path_taken(monkeypatch):
    """Records, per request, whether the lean path answered it ("fast") or DRF did ("drf")."""
    taken = []
    real = fastscan.handle

    def spy(request):
        response = real(request)
        taken.append("drf" if response is None else "fast")
        return response

    monkeypatch.setattr(fastscan, "handle", spy)
    return taken


def post(token_key, data, *, raw=None, language="en", **headers):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if token_key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    payload = raw if raw is not None else json.dumps(data, ensure_ascii=False)
    content_type = headers.pop("content_type", "application/json")
    return client.post(SCANS, payload, content_type=content_type, **headers)


def body(cp, **fields):
    data = {
        "checkpoint": cp.code,
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
    }
    data.update(fields)
    return data


def _without_per_scan(data):
    return {key: value for key, value in data.items() if key not in PER_SCAN}


def _both_paths(monkeypatch, token_key, data, **headers):
    """The same scan sent twice (fresh nonces): once as it comes, once with the lean path
    switched off. Returns both responses."""
    fast = post(token_key, {**data, "nonce": str(uuid.uuid4())}, **headers)
    monkeypatch.setattr(fastscan, "handle", lambda request: None)
    slow = post(token_key, {**data, "nonce": str(uuid.uuid4())}, **headers)
    monkeypatch.undo()
    return fast, slow


def _revoked_pass(officer):
    issued = make_pass(plate="湘B12345")
    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    return issued


@pytest.mark.parametrize(
    "scan",
    [
        lambda o: {"code": signing.verification_url(signing_keys.sign_pass(make_pass()))},
        lambda o: {"code": signing_keys.sign_pass(_revoked_pass(o))},
        lambda o: {"code": "  HELLO" * 30},
        lambda o: {"number": make_pass(plate="湘B12345").number, "plate": " 湘b99999 "},
        lambda o: {"number": "430200999999", "plate": "湘B12345", "code": ""},
        lambda o: {
            "code": signing_keys.sign_pass(make_pass()),
            "scanned_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
        },
        lambda o: {
            "code": signing_keys.sign_pass(make_pass()),
            "scanned_at": timezone.localtime().replace(tzinfo=None).isoformat(),  # naive
        },
    ],
    ids=["url", "revoked", "forged", "typed-mismatch", "unknown", "late", "naive-time"],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_lean_and_drf_paths_give_the_same_answer(
    monkeypatch, token, checkpoint, officer, scan, language
):
    data = body(checkpoint, **scan(officer))
    fast, slow = _both_paths(monkeypatch, token, data, language=language)
    assert (fast.status_code, slow.status_code) == (201, 201)
    assert _without_per_scan(fast.json()) == _without_per_scan(slow.json())
    for header in ("Content-Type", "Allow", "Vary", "Content-Language"):
        assert fast.get(header) == slow.get(header), header
    assert ScanEvent.objects.count() == 2
    first, second = ScanEvent.objects.order_by("pk")
    assert (first.verdict, first.number, first.plate, first.scanned_at, first.is_late) == (
        second.verdict,
        second.number,
        second.plate,
        second.scanned_at,
        second.is_late,
    )


def test_lean_path_answers_a_token_scan_and_a_replay(path_taken, token, checkpoint):
    data = body(checkpoint, code=signing_keys.sign_pass(make_pass()))
    first = post(token, data)
    again = post(token, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["verdict"]["label"] == "Valid"
    assert path_taken == ["fast", "fast"]
    assert ScanEvent.objects.count() == 1


def test_lean_path_speaks_the_callers_language(path_taken, token, checkpoint):
    response = post(
        token, body(checkpoint, number="430200999999", plate="湘B1"), language="zh-hans"
    )
    with translation.override("zh-hans"):
        expected = str(Verdict.UNKNOWN.label)
    assert expected != "Unknown pass"
    assert response.json()["verdict"]["label"] == expected
    assert path_taken == ["fast"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "", "number": "430200000001"}, "non_field_errors"),
        ({"code": "X", "nonce": "short"}, "nonce"),
        ({"code": "X", "nonce": "  "}, "nonce"),
        ({"code": "X", "checkpoint": "no-such-bridge"}, "checkpoint"),
        ({"code": "X", "checkpoint": ""}, "checkpoint"),
        ({"code": "X", "scanned_at": "yesterday"}, "scanned_at"),
        ({"code": "X", "scanned_at": None}, "scanned_at"),
        ({"code": None}, "code"),
        ({"code": "X" * 4097}, "code"),
        ({"number": "430200000001", "plate": "湘B" + "1" * 15}, "plate"),
        ({"code": "X\x00"}, "code"),
    ],
)
def test_invalid_input_is_left_to_drf_and_gets_its_400(
    path_taken, token, checkpoint, fields, field
):
    response = post(token, body(checkpoint, **fields))
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert path_taken == ["drf"]
    assert ScanEvent.objects.count() == 0


def test_missing_required_field_is_left_to_drf(path_taken, token, checkpoint):
    data = body(checkpoint, code="X")
    del data["scanned_at"]
    response = post(token, data)
    assert response.status_code == 400
    assert "scanned_at" in response.json()["error"]["fields"]
    assert path_taken == ["drf"]


def test_a_number_where_drf_converts_it_gets_drfs_answer_on_the_lean_path(
    monkeypatch, path_taken, token, checkpoint
):
    issued = make_pass(plate="湘B12345")
    data = body(checkpoint, number=int(issued.number), plate="湘B12345")
    fast, slow = _both_paths(monkeypatch, token, data)
    assert (fast.status_code, slow.status_code) == (201, 201)
    assert fast.json()["verdict"]["code"] == "valid"
    assert _without_per_scan(fast.json()) == _without_per_scan(slow.json())
    assert path_taken == ["fast"]


def _variants(checkpoint, issued, signed):
    """Each input field's valid and invalid forms, as DRF's fields and the cross-field rules
    see them (``MISSING``: the key left out)."""
    return {
        "code": [MISSING, MISSING, "", None, signed, f"  {signed}  ", "HELLO", "X" * 4097, 7],
        "number": [MISSING, issued.number, f" {issued.number} ", "430200999999", "12", 4302, ""],
        "plate": [MISSING, "湘B12345", " 湘b99999 ", "", "湘B" + "1" * 15, None],
        "checkpoint": [checkpoint.code, f" {checkpoint.code} ", "", "no-such-bridge", MISSING],
        "nonce": [FRESH, FRESH, "short", "  ", "a" * 65, MISSING],
        "scanned_at": [
            timezone.now().isoformat(),
            timezone.localtime().replace(tzinfo=None).isoformat(),
            (timezone.now() - datetime.timedelta(hours=3)).isoformat(),
            "yesterday",
            None,
            MISSING,
        ],
    }


MISSING, FRESH = object(), object()


def _scan_input(choice):
    data = {}
    for name, value in choice.items():
        if value is FRESH:
            value = str(uuid.uuid4())
        if value is not MISSING:
            data[name] = value
    return data


def test_the_lean_path_answers_many_inputs_exactly_as_drf(
    monkeypatch, path_taken, token, checkpoint
):
    """A seeded sample of valid and invalid inputs, in both languages: whichever path
    answers, the status, body and headers are DRF's; the lean path takes exactly the inputs
    the serializer accepts (it states no rule of its own)."""
    issued = make_pass(plate="湘B12345")
    variants = _variants(checkpoint, issued, signing_keys.sign_pass(issued))
    rng = random.Random(27)
    choices = [{name: rng.choice(values) for name, values in variants.items()} for _ in range(60)]
    # And the valid forms one at a time, so that every accepted shape is among them.
    choices += [
        {"code": code, "checkpoint": checkpoint.code, "nonce": FRESH, "scanned_at": moment}
        for code in variants["code"][4:6]
        for moment in variants["scanned_at"][:3]
    ]
    choices += [
        {
            "number": number,
            "plate": plate,
            "checkpoint": where,
            "nonce": FRESH,
            "scanned_at": variants["scanned_at"][0],
        }
        for number in variants["number"][1:4]
        for plate in variants["plate"][1:3]
        for where in variants["checkpoint"][:2]
    ]
    taken = {"fast": 0, "drf": 0}
    for number, choice in enumerate(choices):
        language = ("en", "zh-hans")[number % 2]
        path_taken.clear()
        fast = post(token, _scan_input(choice), language=language)
        lean = path_taken == ["fast"]
        taken["fast" if lean else "drf"] += 1
        with monkeypatch.context() as off:
            off.setattr(fastscan, "handle", lambda request: None)
            slow = post(token, _scan_input(choice), language=language)
        case = f"{choice} {language}"
        assert fast.status_code == slow.status_code, case
        fast_body, slow_body = fast.json(), slow.json()
        if fast.status_code in (200, 201):
            fast_body, slow_body = _without_per_scan(fast_body), _without_per_scan(slow_body)
        assert fast_body == slow_body, case
        for header in ("Content-Type", "Allow", "Vary", "Content-Language"):
            assert fast.get(header) == slow.get(header), (header, case)
        assert lean == (slow.status_code in (200, 201)), case
    assert taken["fast"] >= 15 and taken["drf"] >= 30, taken


@pytest.mark.parametrize(
    ("raw", "status"),
    [("[1, 2]", 400), ('{"code": NaN}', 400), ("{not json", 400)],
)
def test_bodies_that_are_not_a_json_object_get_drfs_answer(
    path_taken, token, checkpoint, raw, status
):
    response = post(token, None, raw=raw)
    assert response.status_code == status
    assert "error" in response.json()
    assert path_taken == ["drf"]


def test_bad_token_inactive_user_and_no_permission_get_drfs_401_and_403(
    path_taken, inspector, officer, checkpoint
):
    data = body(checkpoint, code="X")
    assert post("f" * 40, data).status_code == 401
    officer_token = Token.objects.create(user=officer).key
    assert post(officer_token, data).json()["error"]["code"] == "permission_denied"
    inspector_token = Token.objects.create(user=inspector).key
    inspector.is_active = False
    inspector.save()
    assert post(inspector_token, data).status_code == 401
    assert post(f"{inspector_token} extra", data).status_code == 401
    assert path_taken == ["drf"] * 4
    assert ScanEvent.objects.count() == 0


def test_session_requests_go_through_drf_and_its_csrf_check(path_taken, inspector, checkpoint):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(inspector)
    response = client.post(SCANS, body(checkpoint, code="X"), format="json")
    assert response.status_code == 403
    assert path_taken == ["drf"]
    assert ScanEvent.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_ACCEPT": "application/json; indent=4"},
        {"content_type": "application/json; charset=latin-1"},
        {"content_type": "application/x-www-form-urlencoded"},
    ],
)
def test_other_media_types_are_left_to_drf(path_taken, token, checkpoint, headers):
    post(token, body(checkpoint, code=signing_keys.sign_pass(make_pass())), **headers)
    assert path_taken == ["drf"]


def test_json_with_charset_and_wildcard_accept_stays_on_the_lean_path(
    path_taken, token, checkpoint
):
    response = post(
        token,
        body(checkpoint, code=signing_keys.sign_pass(make_pass())),
        content_type="application/json; charset=utf-8",
        HTTP_ACCEPT="*/*",
    )
    assert response.status_code == 201
    assert path_taken == ["fast"]


def test_the_schema_still_describes_the_scan_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/scans/"]["post"]
    assert set(operation["responses"]) >= {"200", "201"}
    assert operation["summary"] == "Record a checkpoint scan and get its verdict"
