"""One vehicle, one pass, one route: a route-bound pass is green at its checkpoints and amber
("off route") elsewhere, on the API (both the lean path and DRF), and the offline CLI gives the
same verdict for the same input from the office's signed list of active passes. Typed numbers
are normalised and must have 12 digits; the inspector's decision on an off-route vehicle is
kept on the scan."""

import datetime
import json
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.checkpoint import fastscan, offline_list
from passes.models import AuditEvent, ScanEvent
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import passlist
from passes.signing import tokens as signing
from tests import factories
from tests.factories.checkpoint import make_pass
from tests.signing.test_verify_cli import verify

SCANS = "/api/v1/scans/"
DECISION = "/api/v1/scans/decision/"
ACTIVE = "/api/v1/checkpoint/active-passes/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def places(db):
    on_route = factories.CheckpointFactory(code="zhuzhou-west", name="株洲西收费站")
    bridge = factories.CheckpointFactory(code="xiangjiang-1", name="湘江一桥")
    elsewhere = factories.CheckpointFactory(code="fengxi", name="枫溪大桥")
    return on_route, bridge, elsewhere


@pytest.fixture
def bound_pass(places):
    on_route, bridge, _elsewhere = places
    return make_pass(plate="湘B12345", checkpoints=[on_route, bridge])


@pytest.fixture
def client(inspector):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=inspector)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def scan(client, checkpoint, **fields):
    data = {
        "checkpoint": checkpoint.code,
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
        **fields,
    }
    return client.post(SCANS, json.dumps(data, ensure_ascii=False), content_type="application/json")


def qr(pass_obj):
    return signing.verification_url(signing_keys.sign_pass(pass_obj))


def test_bound_pass_is_green_on_its_route_and_amber_elsewhere(client, places, bound_pass):
    on_route, bridge, elsewhere = places
    for checkpoint in (on_route, bridge):
        data = scan(client, checkpoint, code=qr(bound_pass)).json()
        assert data["verdict"]["code"] == "valid"
    response = scan(client, elsewhere, code=qr(bound_pass))
    assert response.status_code == 201
    data = response.json()
    assert data["verdict"] == {
        "code": "off_route",
        "label": "Off route",
        "severity": "warn",
        "reason": "",
    }
    assert [c["name"] for c in data["pass"]["checkpoints"]] == ["株洲西收费站", "湘江一桥"]
    assert data["pass"]["route_bound"] is True
    typed = scan(client, elsewhere, number=bound_pass.number, plate="湘B12345").json()
    assert typed["verdict"]["code"] == "off_route"
    assert ScanEvent.objects.filter(verdict="off_route").count() == 2


def test_zone_pass_type_is_good_at_any_checkpoint(client, places):
    on_route, _bridge, elsewhere = places
    zone_pass = make_pass(plate="湘B54321", checkpoints=[on_route])
    zone_pass.request.pass_type.route_bound = False
    zone_pass.request.pass_type.save()
    assert scan(client, elsewhere, code=qr(zone_pass)).json()["verdict"]["code"] == "valid"


def test_worse_verdicts_win_over_off_route(client, places, bound_pass):
    _on_route, _bridge, elsewhere = places
    mismatch = scan(client, elsewhere, number=bound_pass.number, plate="湘A00000").json()
    assert mismatch["verdict"]["code"] == "plate_mismatch"
    assert mismatch["plate"] == "湘A00000"  # the typed plate, beside the pass's
    assert mismatch["pass"]["plate"] == "湘B12345"
    workflow.revoke_pass(
        bound_pass,
        by=factories.UserFactory(username="officer", is_staff=True, groups=["Officers"]),
        reason="车辆超载被查",
    )
    revoked = scan(client, elsewhere, code=qr(bound_pass)).json()
    assert revoked["verdict"]["code"] == "revoked"
    assert revoked["pass"]["revocation_reason"] == "车辆超载被查"
    assert revoked["pass"]["revoked_at"]


def test_lean_path_and_drf_give_the_same_off_route_answer(client, places, bound_pass, monkeypatch):
    _on_route, _bridge, elsewhere = places
    fast = scan(client, elsewhere, code=qr(bound_pass)).json()
    monkeypatch.setattr(fastscan, "handle", lambda request: None)
    slow = scan(client, elsewhere, code=qr(bound_pass)).json()
    for data in (fast, slow):
        for key in ("id", "nonce", "received_at", "scanned_at"):
            data.pop(key)
    assert fast == slow


@pytest.mark.parametrize("typed", ["４３０２００ ０００１２３", "430200　000123", "430200-000123"])
def test_full_width_and_spaced_numbers_are_normalised(client, places, typed):
    on_route, _bridge, _elsewhere = places
    issued = make_pass(plate="湘B12345", checkpoints=[on_route])
    typed = typed.replace("430200000123", issued.number)
    typed = typed.replace("４３０２００ ０００１２３", _full_width(issued.number))
    typed = typed.replace("430200　000123", f"{issued.number[:6]}\u3000{issued.number[6:]}")
    typed = typed.replace("430200-000123", f"{issued.number[:6]}-{issued.number[6:]}")
    data = scan(client, on_route, number=typed, plate="湘b12345").json()
    assert data["verdict"]["code"] == "valid"
    assert data["number"] == issued.number


def _full_width(number):
    return "".join(chr(ord(digit) + 0xFEE0) for digit in number[:6]) + " " + number[6:]


@pytest.mark.parametrize("use_lean_path", [True, False])
def test_a_short_number_is_refused_and_nothing_recorded(client, places, monkeypatch, use_lean_path):
    on_route, _bridge, _elsewhere = places
    if not use_lean_path:
        monkeypatch.setattr(fastscan, "handle", lambda request: None)
    response = scan(client, on_route, number="1234", plate="湘B12345")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["number"] == ["A pass number has 12 digits."]
    zh = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.credentials(**client._credentials)
    response = scan(zh, on_route, number="1234", plate="湘B12345")
    assert response.json()["error"]["fields"]["number"] == ["编号应为12位"]
    assert ScanEvent.objects.count() == 0


def test_decision_on_an_off_route_scan_is_kept_once_and_audited(
    client, inspector, places, bound_pass
):
    on_route, _bridge, elsewhere = places
    nonce = str(uuid.uuid4())
    scan(client, elsewhere, code=qr(bound_pass), nonce=nonce)
    response = client.post(DECISION, {"nonce": nonce, "decision": "turned_back"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["decision"] == "turned_back"
    stored = ScanEvent.objects.get(nonce=nonce)
    assert stored.decision == "turned_back" and stored.decided_at is not None
    assert AuditEvent.objects.filter(action="scan_decision", pass_obj=bound_pass).count() == 1
    # The same decision again (a retried upload) is fine; a different one is refused.
    again = client.post(DECISION, {"nonce": nonce, "decision": "turned_back"}, format="json")
    assert again.status_code == 200
    other = client.post(DECISION, {"nonce": nonce, "decision": "let_through"}, format="json")
    assert other.status_code == 409
    assert ScanEvent.objects.get(nonce=nonce).decision == "turned_back"
    # A green scan takes no decision; another inspector cannot decide on this one.
    green_nonce = str(uuid.uuid4())
    scan(client, on_route, code=qr(bound_pass), nonce=green_nonce)
    green = client.post(DECISION, {"nonce": green_nonce, "decision": "let_through"}, format="json")
    assert green.status_code == 409
    stranger = APIClient()
    token, _ = Token.objects.get_or_create(
        user=factories.UserFactory(username="inspector2", groups=["Inspectors"])
    )
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert (
        stranger.post(DECISION, {"nonce": nonce, "decision": "let_through"}, format="json")
    ).status_code == 404


# --- The signed list and the CLI --------------------------------------------------------------


def test_active_list_is_signed_compact_and_holds_no_plate(client, places, bound_pass):
    response = client.get(ACTIVE)
    assert response.status_code == 200
    document = response.json()
    assert "湘B12345" not in json.dumps(document, ensure_ascii=False)
    listed = passlist.read_list(document, signing_keys.server_keyring())
    assert listed.count == 1
    assert bound_pass.number not in json.dumps(document)
    entry = listed.lookup(bound_pass.number, "湘b·12345")
    assert entry.route == ("xiangjiang-1", "zhuzhou-west")
    assert listed.lookup(bound_pass.number, "湘B12346") is None
    tampered = dict(document, payload=document["payload"].replace('"count":1', '"count":2'))
    with pytest.raises(passlist.ListError):
        passlist.read_list(tampered, signing_keys.server_keyring())
    assert APIClient().get(ACTIVE).status_code in (401, 403)


@pytest.fixture
def lists(tmp_path, bound_pass):
    passes = tmp_path / "passes.json"
    passes.write_text(json.dumps(offline_list.signed_document()))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(signing_keys.public_keys_document()))
    return keys, passes


def _cli(lists, *args):
    keys, passes = lists
    return verify("--keys", str(keys), "--passes", str(passes), "--json", *args)


def test_cli_gives_the_server_verdicts_for_route_and_typed_numbers(
    client, places, bound_pass, lists
):
    on_route, _bridge, elsewhere = places
    token = signing_keys.sign_pass(bound_pass)
    cases = [
        (on_route, {"code": token}, ["--token", token]),
        (elsewhere, {"code": token}, ["--token", token]),
        (
            elsewhere,
            {"number": bound_pass.number, "plate": "湘B12345"},
            ["--number", bound_pass.number, "--plate", "湘B12345"],
        ),
        (
            on_route,
            {"number": bound_pass.number, "plate": "湘B99999"},
            ["--number", bound_pass.number, "--plate", "湘B99999"],
        ),
        (
            on_route,
            {"number": "430200999999", "plate": "湘B12345"},
            ["--number", "430200999999", "--plate", "湘B12345"],
        ),
    ]
    # Offline, a typed wrong plate is "unknown", as a wrong number is: the list holds a slow
    # hash of number and plate together, and neither in clear.
    expected = [
        ("valid", "valid"),
        ("off_route", "off_route"),
        ("off_route", "off_route"),
        ("plate_mismatch", "unknown"),
        ("unknown", "unknown"),
    ]
    for (checkpoint, fields, args), verdicts in zip(cases, expected, strict=True):
        server = scan(client, checkpoint, **fields).json()["verdict"]["code"]
        result = _cli(lists, *args, "--checkpoint", checkpoint.code)
        offline = json.loads(result.stdout)["verdict"]
        assert (server, offline) == verdicts, args
    assert _cli(lists, "--token", token, "--checkpoint", "fengxi").returncode == 9


def test_cli_typed_revoked_number_and_stale_list(client, places, bound_pass, lists, tmp_path):
    on_route, _bridge, _elsewhere = places
    workflow.revoke_pass(
        bound_pass,
        by=factories.UserFactory(username="officer", is_staff=True, groups=["Officers"]),
        reason="吊销",
    )
    feed = tmp_path / "revocations.json"
    feed.write_text(json.dumps(client.get("/api/v1/revocations/").json()))
    args = ["--number", bound_pass.number, "--plate", "湘B12345", "--checkpoint", on_route.code]
    result = _cli(lists, *args, "--revocations", str(feed))
    assert json.loads(result.stdout)["verdict"] == "revoked" and result.returncode == 5
    # Two days later the copies are past the office's 24 hours: a valid verdict is not trusted.
    later = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    fresh_pass = make_pass(plate="湘B77777", checkpoints=[on_route])
    keys, passes = lists
    passes.write_text(json.dumps(offline_list.signed_document()))
    token = signing_keys.sign_pass(fresh_pass)
    now_result = _cli(lists, "--token", token, "--checkpoint", on_route.code)
    assert now_result.returncode == 0
    stale = _cli(lists, "--token", token, "--checkpoint", on_route.code, "--at", later)
    assert stale.returncode == 10
    assert json.loads(stale.stdout)["stale"] is True
    text = verify("--keys", str(keys), "--passes", str(passes), "--token", token, "--at", later)
    assert "LISTS TOO OLD" in text.stdout


def test_cli_refuses_a_short_number(lists):
    result = _cli(lists, "--number", "1234", "--plate", "湘B12345")
    assert result.returncode == 2 and "12 digits" in result.stderr


def test_decisions_show_in_the_scan_log_and_the_dashboard(client, places, bound_pass, officer):
    from django.test import Client

    _on_route, _bridge, elsewhere = places
    nonces = [str(uuid.uuid4()) for _ in range(3)]
    for nonce in nonces:
        scan(client, elsewhere, code=qr(bound_pass), nonce=nonce)
    client.post(DECISION, {"nonce": nonces[0], "decision": "let_through"}, format="json")
    client.post(DECISION, {"nonce": nonces[1], "decision": "turned_back"}, format="json")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(officer)
    page = browser.get("/admin/passes/dashboard/").content.decode()
    row = page.split('id="pd-off-route"')[1].split("</table>")[0]
    assert "<td>枫溪大桥</td><td><strong>3</strong></td><td>1</td><td>1</td><td>1</td>" in row
    log = browser.get("/admin/passes/scanevent/?decision__exact=turned_back").content.decode()
    assert "Turned back" in log and log.count(bound_pass.number) == 1
