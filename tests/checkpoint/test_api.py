"""POST /api/v1/scans/ and GET /api/v1/revocations/ through HTTP: verdicts, replays, errors in
the team's shape, permissions, and the revocation feed's incremental ``since``."""

import datetime
import json
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.checkpoint import feed
from passes.models import Pass, ScanEvent
from passes.requests import workflow
from passes.requests.workflow import expire_passes
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.checkpoint import make_pass

SCANS = "/api/v1/scans/"
FEED = "/api/v1/revocations/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made per test; PBKDF2's deliberate slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def checkpoint(db):
    return factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")


def client_for(user=None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def inspector_client(inspector):
    return client_for(inspector)


def body(cp, **fields):
    data = {
        "checkpoint": cp.code,
        "nonce": str(uuid.uuid4()),
        "scanned_at": timezone.now().isoformat(),
    }
    data.update(fields)
    return data


# --- Verdicts ---------------------------------------------------------------------------------


def test_inspector_scans_a_valid_qr_code_and_sees_the_pass(inspector_client, checkpoint):
    other_checkpoint = factories.CheckpointFactory(name="石峰大桥卡口")
    issued = make_pass(
        plate="湘B12345",
        driver_names=("李小明", "王芳"),
        checkpoints=[checkpoint, other_checkpoint],
    )
    url = signing.verification_url(signing_keys.sign_pass(issued))
    response = inspector_client.post(SCANS, body(checkpoint, code=url), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["verdict"] == {"code": "valid", "label": "Valid", "severity": "ok", "reason": ""}
    assert data["is_late"] is False
    assert data["checkpoint"]["code"] == checkpoint.code
    summary = data["pass"]
    assert summary["number"] == issued.number
    assert summary["plate"] == "湘B12345"
    assert summary["enterprise"] == issued.request.enterprise.name
    assert summary["origin"] == "株洲市荷塘区"
    assert summary["destination"] == "长沙市雨花区"
    assert {c["name"] for c in summary["checkpoints"]} == {"湘江大桥卡口", "石峰大桥卡口"}
    assert summary["valid_until"].endswith("+08:00")
    names = {driver["name"] for driver in summary["drivers"]}
    assert names == {"李小明", "王芳"}
    for driver, record in zip(
        sorted(summary["drivers"], key=lambda d: d["name"]),
        sorted(issued.drivers.all(), key=lambda d: d.name),
        strict=True,
    ):
        assert driver["id_number"] != record.id_number
        assert driver["id_number"].startswith(record.id_number[:6])
        assert driver["id_number"].endswith(record.id_number[-4:])
        assert "*" in driver["id_number"]
    assert "phone" not in str(summary)
    assert ScanEvent.objects.get().verdict == "valid"


def _revoked(officer):
    issued = make_pass(plate="湘B12345")
    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    return issued


@pytest.mark.parametrize(
    ("setup", "expected", "severity"),
    [
        (lambda o: {"code": signing_keys.sign_pass(make_pass())}, "valid", "ok"),
        (
            lambda o: {
                "code": signing_keys.sign_pass(
                    make_pass(valid_from=timezone.now() - datetime.timedelta(days=9))
                )
            },
            "expired",
            "warn",
        ),
        (
            lambda o: {
                "code": signing_keys.sign_pass(
                    make_pass(valid_from=timezone.now() + datetime.timedelta(hours=2))
                )
            },
            "not_yet_valid",
            "warn",
        ),
        (lambda o: {"code": signing_keys.sign_pass(_revoked(o))}, "revoked", "bad"),
        (lambda o: {"code": "HELLO" * 30}, "forged", "bad"),
        (lambda o: {"number": "430200999999", "plate": "湘B12345"}, "unknown", "bad"),
        (
            lambda o: {"number": make_pass(plate="湘B12345").number, "plate": "湘B99999"},
            "plate_mismatch",
            "bad",
        ),
        (lambda o: {"number": _revoked(o).number, "plate": "湘B12345"}, "revoked", "bad"),
    ],
)
def test_every_verdict_through_the_api(
    inspector_client, checkpoint, officer, setup, expected, severity
):
    response = inspector_client.post(SCANS, body(checkpoint, **setup(officer)), format="json")
    assert response.status_code == 201, response.content
    verdict = response.json()["verdict"]
    assert verdict["code"] == expected
    assert verdict["severity"] == severity
    assert ScanEvent.objects.get().verdict == expected


def test_forged_and_unknown_answers_carry_no_pass(inspector_client, checkpoint):
    forged = inspector_client.post(SCANS, body(checkpoint, code="not-a-pass"), format="json")
    assert forged.status_code == 201
    assert forged.json()["pass"] is None
    assert forged.json()["verdict"]["reason"] == "malformed"
    assert ScanEvent.objects.filter(verdict="forged", pass_obj=None).count() == 1


def test_label_follows_the_language_asked_for(inspector, checkpoint):
    client = client_for(inspector)
    response = client.post(
        SCANS,
        body(checkpoint, number="430200999999", plate="湘B12345"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["verdict"]["label"] == "Unknown pass"


# --- Replays, late uploads --------------------------------------------------------------------


def test_same_nonce_twice_is_one_scan_201_then_200(inspector_client, checkpoint):
    issued = make_pass()
    data = body(checkpoint, code=signing_keys.sign_pass(issued))
    first = inspector_client.post(SCANS, data, format="json")
    second = inspector_client.post(SCANS, data, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert ScanEvent.objects.count() == 1


def test_offline_scan_uploaded_an_hour_later_is_marked_late(inspector_client, checkpoint):
    issued = make_pass()
    scanned_at = timezone.now() - datetime.timedelta(hours=1)
    response = inspector_client.post(
        SCANS,
        body(checkpoint, code=signing_keys.sign_pass(issued), scanned_at=scanned_at.isoformat()),
        format="json",
    )
    data = response.json()
    assert data["is_late"] is True
    assert data["verdict"]["code"] == "valid"
    assert datetime.datetime.fromisoformat(data["scanned_at"]) == scanned_at


def test_checkpoint_may_be_given_by_id(inspector_client, checkpoint):
    issued = make_pass()
    response = inspector_client.post(
        SCANS,
        body(checkpoint, code=signing_keys.sign_pass(issued), checkpoint=str(checkpoint.pk)),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["checkpoint"]["code"] == checkpoint.code


# --- Validation errors in the team's shape -----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "", "number": "430200000001"}, "non_field_errors"),
        ({"code": "X", "nonce": "short"}, "nonce"),
        ({"code": "X", "checkpoint": "no-such-bridge"}, "checkpoint"),
        ({"code": "X", "scanned_at": "yesterday"}, "scanned_at"),
    ],
)
def test_bad_input_is_a_400_in_the_error_shape_and_nothing_is_saved(
    inspector_client, checkpoint, fields, field
):
    response = inspector_client.post(SCANS, body(checkpoint, **fields), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]
    assert field in error["fields"]
    assert ScanEvent.objects.count() == 0


def test_inactive_checkpoint_is_refused(inspector_client, checkpoint):
    checkpoint.is_active = False
    checkpoint.save()
    response = inspector_client.post(SCANS, body(checkpoint, code="X"), format="json")
    assert response.status_code == 400
    assert "checkpoint" in response.json()["error"]["fields"]


# --- Permissions ------------------------------------------------------------------------------


def test_anonymous_gets_401(checkpoint):
    response = client_for().post(SCANS, body(checkpoint, code="X"), format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("who", ["applicant", "reviewer", "officer"])
def test_users_without_the_scan_permission_get_403(request, checkpoint, who):
    user = request.getfixturevalue(who)
    response = client_for(user).post(SCANS, body(checkpoint, code="X"), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert ScanEvent.objects.count() == 0


def test_session_login_needs_the_csrf_token(inspector, checkpoint):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(inspector)
    response = client.post(SCANS, body(checkpoint, code="X"), format="json")
    assert response.status_code == 403
    assert ScanEvent.objects.count() == 0


# --- Revocation feed --------------------------------------------------------------------------


def _hours_ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


def test_feed_lists_revoked_and_expired_passes_oldest_first(officer):
    revoked = make_pass()
    workflow.revoke_pass(revoked, by=officer, reason="司机 张三 已更换")
    Pass.objects.filter(pk=revoked.pk).update(status_changed_at=_hours_ago(2))
    ended = make_pass(valid_from=_hours_ago(50), valid_until=_hours_ago(1))
    make_pass()  # active: not in the feed
    assert expire_passes() == 1

    response = client_for().get(FEED)
    assert response.status_code == 200
    data = response.json()
    assert [(e["number"], e["status"], e["reason"]) for e in data["revoked"]] == [
        (revoked.number, "revoked", "revoked"),
        (ended.number, "expired", "expired"),
    ]
    assert "张三" not in response.content.decode()  # the officer's free text stays inside
    assert revoked.plate not in response.content.decode()
    assert data["until"].endswith("Z")
    assert data["more"] is False


def test_feed_since_returns_only_later_changes_and_until_is_the_next_cursor(officer):
    old = make_pass()
    workflow.revoke_pass(old, by=officer, reason="过期作废")
    Pass.objects.filter(pk=old.pk).update(status_changed_at=_hours_ago(3))

    first = client_for().get(FEED).json()
    assert [e["number"] for e in first["revoked"]] == [old.number]
    until = datetime.datetime.fromisoformat(first["until"].replace("Z", "+00:00"))
    assert _hours_ago(3) < until <= timezone.now()

    later = make_pass()
    workflow.revoke_pass(later, by=officer, reason="企业申请")
    second = client_for().get(FEED, {"since": first["until"]}).json()
    assert [e["number"] for e in second["revoked"]] == [later.number]

    # An hour ago, in Beijing time with its offset (the + survives or turns into a space).
    since = timezone.localtime(_hours_ago(1)).isoformat()
    third = client_for().get(f"{FEED}?since={since}").json()
    assert [e["number"] for e in third["revoked"]] == [later.number]


def test_driver_amendment_puts_the_old_pass_in_the_feed_as_replaced(officer, inspector):
    from passes.requests import workflow

    old = make_pass(plate="湘B12345")
    old_token = signing_keys.sign_pass(old)
    new_driver = factories.DriverFactory(enterprise=old.request.enterprise, name="王新")
    new = workflow.amend_pass_drivers(old, [new_driver], by=officer, reason="司机换班")
    entries = client_for().get(FEED).json()["revoked"]
    assert [(e["number"], e["status"], e["reason"]) for e in entries] == [
        (old.number, "revoked", "replaced")
    ]
    # At the bridge: the old paper is red, the new one green.
    cp = factories.CheckpointFactory()
    scans = [
        client_for(inspector).post(SCANS, body(cp, code=code), format="json").json()
        for code in (old_token, signing_keys.sign_pass(new))
    ]
    assert [scan["verdict"]["code"] for scan in scans] == ["revoked", "valid"]
    assert [d["name"] for d in scans[1]["pass"]["drivers"]] == ["王新"]


def test_feed_pages_through_a_long_list(officer):
    passes = [make_pass() for _ in range(3)]
    for index, issued in enumerate(passes):
        workflow.revoke_pass(issued, by=officer, reason="测试")
        Pass.objects.filter(pk=issued.pk).update(status_changed_at=_hours_ago(5 - index))
    page = feed.revocations_since(None, limit=2)
    assert page["more"] is True
    assert [e["number"] for e in page["revoked"]] == [p.number for p in passes[:2]]
    cursor = datetime.datetime.fromisoformat(page["until"].replace("Z", "+00:00"))
    rest = feed.revocations_since(cursor, limit=2)
    # The entry at the cursor comes again (the list is a set); nothing is skipped.
    assert [e["number"] for e in rest["revoked"]] == [p.number for p in passes[1:]]
    assert rest["more"] is False


def test_feed_rejects_a_bad_since_in_the_error_shape():
    response = client_for().get(FEED, {"since": "last tuesday"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_since"
    assert "since" in response.json()["error"]["fields"]


def test_feed_is_public_and_rate_limited(settings):
    settings.PASSDESK_FEED_RATE_PER_MINUTE = 2
    client = client_for()
    assert [client.get(FEED).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(FEED).json()["error"]["code"] == "throttled"


def test_scan_permission_granted_to_the_user_directly_is_enough(checkpoint):
    from django.contrib.auth.models import Permission

    user = factories.UserFactory(username="direct-scanner")
    user.user_permissions.add(Permission.objects.get(codename="scan_pass"))
    response = client_for(user).post(SCANS, body(checkpoint, code="X"), format="json")
    assert response.status_code == 201


def test_inactive_inspector_and_unknown_token_get_401(inspector, checkpoint):
    client = client_for(inspector)
    inspector.is_active = False
    inspector.save()
    assert client.post(SCANS, body(checkpoint, code="X"), format="json").status_code == 401
    stranger = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert stranger.post(SCANS, body(checkpoint, code="X"), format="json").status_code == 401
    assert ScanEvent.objects.count() == 0


def test_inspector_logged_in_on_the_page_scans_with_session_and_csrf(inspector, checkpoint):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(inspector)
    page = client.get("/checkpoint/")
    csrf = page.cookies["csrftoken"].value
    response = client.post(SCANS, body(checkpoint, code="X"), format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201
    assert ScanEvent.objects.get().inspector == inspector


def test_offline_verifier_reads_the_feed_as_served(officer, tmp_path):
    """``python -m passes.verify --revocations FILE`` takes this endpoint's answer as it is."""
    from passes.signing import verify

    revoked = make_pass()
    token = signing_keys.sign_pass(revoked)
    workflow.revoke_pass(revoked, by=officer, reason="车辆已更换")
    ended = make_pass(valid_from=_hours_ago(50), valid_until=_hours_ago(1))
    expire_passes()
    path = tmp_path / "revocations.json"
    path.write_bytes(client_for().get(FEED).content)

    numbers, until = verify.load_revocations(str(path))
    assert numbers == {revoked.number}  # expiry is judged from the signed window offline
    assert until == json.loads(path.read_text())["until"]
    keys = signing.Keyring.from_json(client_for().get("/api/v1/keys/").json())
    assert verify.check(token, keys, numbers, None, timezone.now())["verdict"] == "revoked"
    assert ended.number not in numbers
