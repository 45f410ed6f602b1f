"""record_scan and evaluate: every verdict on both paths, time edges in Asia/Shanghai, nonce
idempotency, late uploads, and that failed scans are kept."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone

from passes.checkpoint import services
from passes.models import Pass, ScanEvent, Verdict
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.checkpoint import make_pass

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made per test; PBKDF2's deliberate slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def checkpoint(db):
    return factories.CheckpointFactory(code="xiangjiang-bridge", name="湘江大桥卡口")


def scan(inspector, checkpoint, nonce="nonce-0001", scanned_at=None, **kwargs):
    return services.record_scan(
        inspector=inspector,
        checkpoint=checkpoint,
        nonce=nonce,
        scanned_at=scanned_at or timezone.now(),
        **kwargs,
    )


def foreign_token(pass_obj):
    """A well-formed token for a real pass, signed by a key the office never had."""
    private = Ed25519PrivateKey.generate()
    signer = signing.Signer(kid=signing.key_id_for(private.public_key()), private_key=private)
    return signing_keys.sign_pass(pass_obj, signer=signer)


# --- Token path -----------------------------------------------------------------------------


def test_valid_token_is_valid_and_linked_to_the_pass(inspector, checkpoint):
    issued = make_pass(plate="湘B12345")
    url = signing.verification_url(signing_keys.sign_pass(issued))
    recorded, created = scan(inspector, checkpoint, code=url)
    assert created
    assert recorded.verdict == Verdict.VALID
    assert recorded.pass_obj == issued
    assert recorded.number == issued.number
    assert recorded.code == url
    assert recorded.details["kid"]


def test_bare_token_in_lower_case_is_accepted(inspector, checkpoint):
    issued = make_pass()
    recorded, _ = scan(inspector, checkpoint, code=signing_keys.sign_pass(issued).lower())
    assert recorded.verdict == Verdict.VALID


def test_tampered_token_is_forged_and_kept(inspector, checkpoint):
    issued = make_pass()
    token = signing_keys.sign_pass(issued)
    index = len(token) - 10  # inside the signature
    tampered = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    recorded, created = scan(inspector, checkpoint, code=tampered)
    assert created
    assert recorded.verdict == Verdict.FORGED
    assert recorded.pass_obj is None
    assert recorded.details["reason"] == "forged"
    assert ScanEvent.objects.filter(verdict=Verdict.FORGED).count() == 1


def test_token_from_an_unknown_key_is_forged(inspector, checkpoint):
    issued = make_pass()
    recorded, _ = scan(inspector, checkpoint, code=foreign_token(issued))
    assert recorded.verdict == Verdict.FORGED
    assert recorded.details["reason"] == "unknown_key"


def test_garbage_code_is_forged_kept_and_truncated(inspector, checkpoint):
    garbage = "https://example.com/?" + "x" * 2000
    recorded, _ = scan(inspector, checkpoint, code=garbage)
    assert recorded.verdict == Verdict.FORGED
    assert recorded.details["reason"] == "malformed"
    assert len(recorded.code) == 512
    assert recorded.pass_obj is None


def test_genuine_token_for_a_pass_not_on_record_is_unknown(inspector, checkpoint):
    issued = make_pass()
    ghost = Pass(
        number="430200999999",
        plate=issued.plate,
        valid_from=issued.valid_from,
        valid_until=issued.valid_until,
    )
    recorded, _ = scan(inspector, checkpoint, code=signing_keys.sign_pass(ghost))
    assert recorded.verdict == Verdict.UNKNOWN
    assert recorded.number == "430200999999"
    assert recorded.pass_obj is None


def test_token_with_a_typed_plate_of_another_truck_is_plate_mismatch(inspector, checkpoint):
    issued = make_pass(plate="湘B12345")
    recorded, _ = scan(inspector, checkpoint, code=signing_keys.sign_pass(issued), plate="湘B99999")
    assert recorded.verdict == Verdict.PLATE_MISMATCH
    assert recorded.plate == "湘B99999"


def test_revoked_pass_scanned_by_token_is_revoked(inspector, checkpoint, officer):
    issued = make_pass()
    token = signing_keys.sign_pass(issued)
    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    recorded, _ = scan(inspector, checkpoint, code=token)
    assert recorded.verdict == Verdict.REVOKED


def test_token_uses_the_recorded_window_not_only_the_signed_one(inspector, checkpoint):
    """Expired by the clock at the time of the scan, whatever the sweeper has done."""
    start = timezone.now() - datetime.timedelta(days=5)
    issued = make_pass(valid_from=start, valid_until=start + datetime.timedelta(days=2))
    recorded, _ = scan(inspector, checkpoint, code=signing_keys.sign_pass(issued))
    assert issued.status == Pass.Status.ACTIVE
    assert recorded.verdict == Verdict.EXPIRED


def test_not_yet_valid_token(inspector, checkpoint):
    start = timezone.now() + datetime.timedelta(days=1)
    issued = make_pass(valid_from=start)
    recorded, _ = scan(inspector, checkpoint, code=signing_keys.sign_pass(issued))
    assert recorded.verdict == Verdict.NOT_YET_VALID


# --- Number + plate path --------------------------------------------------------------------


def test_typed_number_and_plate_in_loose_spelling_are_valid(inspector, checkpoint):
    issued = make_pass(plate="湘B12345")
    spaced = f"{issued.number[:6]} {issued.number[6:]}"
    recorded, _ = scan(inspector, checkpoint, number=spaced, plate="湘b·12345")
    assert recorded.verdict == Verdict.VALID
    assert recorded.pass_obj == issued
    assert recorded.number == issued.number
    assert recorded.plate == "湘B12345"


def test_typed_wrong_plate_is_plate_mismatch(inspector, checkpoint):
    issued = make_pass(plate="湘B12345")
    recorded, _ = scan(inspector, checkpoint, number=issued.number, plate="湘B54321")
    assert recorded.verdict == Verdict.PLATE_MISMATCH
    assert recorded.pass_obj == issued


def test_typed_unknown_number_is_unknown_and_kept(inspector, checkpoint):
    recorded, created = scan(inspector, checkpoint, number="430200123456", plate="湘B12345")
    assert created
    assert recorded.verdict == Verdict.UNKNOWN
    assert recorded.pass_obj is None
    assert recorded.number == "430200123456"


def test_typed_garbage_number_is_unknown(inspector, checkpoint):
    recorded, _ = scan(inspector, checkpoint, number="12ab", plate="湘B12345")
    assert recorded.verdict == Verdict.UNKNOWN


def test_typed_revoked_pass_is_revoked(inspector, checkpoint, officer):
    issued = make_pass(plate="湘B12345")
    workflow.revoke_pass(issued, by=officer, reason="企业申请注销")
    recorded, _ = scan(inspector, checkpoint, number=issued.number, plate="湘B12345")
    assert recorded.verdict == Verdict.REVOKED


# --- Time: Asia/Shanghai edges, late uploads, clocks ------------------------------------------


@pytest.fixture
def november_pass(db, time_machine):
    """Valid 2026-11-01 08:00 to 2026-11-10 00:00, Beijing time; the clock is set inside that
    window, so that scans and uploads are judged as on the day whatever today is."""
    time_machine.move_to(datetime.datetime(2026, 11, 5, 12, 0, tzinfo=SHANGHAI))
    return make_pass(
        plate="湘B12345",
        valid_from=datetime.datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI),
        valid_until=datetime.datetime(2026, 11, 10, 0, 0, tzinfo=SHANGHAI),
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime.datetime(2026, 11, 1, 7, 59, 59), Verdict.NOT_YET_VALID),
        (datetime.datetime(2026, 11, 1, 8, 0, 0), Verdict.VALID),
        (datetime.datetime(2026, 11, 9, 23, 59, 59), Verdict.VALID),
        (datetime.datetime(2026, 11, 10, 0, 0, 0), Verdict.EXPIRED),
    ],
)
def test_window_edges_in_shanghai_time_on_both_paths(november_pass, moment, expected):
    at = moment.replace(tzinfo=SHANGHAI)
    token = signing_keys.sign_pass(november_pass)
    assert services.evaluate(at=at, code=token).verdict == expected
    typed = services.evaluate(at=at, number=november_pass.number, plate="湘B12345")
    assert typed.verdict == expected


def test_the_same_instant_in_utc_gives_the_same_verdict(november_pass):
    # 2026-11-09 16:00 UTC is 2026-11-10 00:00 in Beijing: the end of the window.
    at = datetime.datetime(2026, 11, 9, 16, 0, tzinfo=datetime.UTC)
    assert services.evaluate(at=at, number=november_pass.number).verdict == Verdict.EXPIRED
    just_before = at - datetime.timedelta(seconds=1)
    assert services.evaluate(at=just_before, number=november_pass.number).verdict == Verdict.VALID


def test_naive_device_time_is_read_as_beijing_time(inspector, checkpoint, november_pass):
    recorded, _ = scan(
        inspector,
        checkpoint,
        number=november_pass.number,
        plate="湘B12345",
        scanned_at=datetime.datetime(2026, 11, 9, 23, 59, 59),
    )
    assert recorded.verdict == Verdict.VALID
    assert recorded.scanned_at == datetime.datetime(2026, 11, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_offline_scan_uploaded_late_keeps_its_time_and_is_judged_then(
    inspector, checkpoint, november_pass, time_machine
):
    scanned_at = datetime.datetime(2026, 11, 9, 22, 0, tzinfo=SHANGHAI)
    time_machine.move_to(datetime.datetime(2026, 11, 12, 9, 0, tzinfo=SHANGHAI))  # uploaded then
    recorded, _ = scan(
        inspector, checkpoint, code=signing_keys.sign_pass(november_pass), scanned_at=scanned_at
    )
    assert recorded.is_late
    assert recorded.scanned_at == scanned_at
    assert recorded.received_at > scanned_at
    assert recorded.verdict == Verdict.VALID  # valid when the truck was at the bridge


def test_scan_uploaded_at_once_is_not_late(inspector, checkpoint):
    issued = make_pass()
    recorded, _ = scan(
        inspector,
        checkpoint,
        code=signing_keys.sign_pass(issued),
        scanned_at=timezone.now() - datetime.timedelta(seconds=20),
    )
    assert not recorded.is_late


def test_late_threshold_comes_from_settings(inspector, checkpoint, settings):
    settings.PASSDESK_SCAN_LATE_AFTER_SECONDS = 10
    issued = make_pass()
    recorded, _ = scan(
        inspector,
        checkpoint,
        code=signing_keys.sign_pass(issued),
        scanned_at=timezone.now() - datetime.timedelta(seconds=20),
    )
    assert recorded.is_late


def test_late_upload_of_a_scan_made_before_revocation_is_flagged(inspector, checkpoint, officer):
    issued = make_pass()
    token = signing_keys.sign_pass(issued)
    workflow.revoke_pass(issued, by=officer, reason="车辆已更换")
    recorded, _ = scan(
        inspector, checkpoint, code=token, scanned_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert recorded.verdict == Verdict.REVOKED
    assert recorded.details["revoked_after_scan"] is True


def test_device_clock_far_ahead_is_not_believed(inspector, checkpoint):
    issued = make_pass(valid_until=timezone.now() + datetime.timedelta(days=1))
    recorded, _ = scan(
        inspector,
        checkpoint,
        code=signing_keys.sign_pass(issued),
        scanned_at=timezone.now() + datetime.timedelta(days=30),
    )
    assert recorded.verdict == Verdict.VALID  # judged at arrival, not a month from now
    assert recorded.details["clock_ahead_seconds"] > 29 * 86400


# --- Idempotency and the append-only trail ----------------------------------------------------


def test_same_nonce_twice_returns_the_first_scan(inspector, checkpoint):
    issued = make_pass(plate="湘B12345")
    first, created = scan(
        inspector, checkpoint, nonce="device-nonce-1", code=signing_keys.sign_pass(issued)
    )
    again, created_again = scan(
        inspector, checkpoint, nonce="device-nonce-1", number="430200000000", plate="湘B00000"
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert again.verdict == Verdict.VALID
    assert ScanEvent.objects.count() == 1


def test_same_nonce_from_two_inspectors_is_two_scans(inspector, checkpoint):
    other = factories.UserFactory(username="inspector2", groups=["Inspectors"])
    issued = make_pass()
    token = signing_keys.sign_pass(issued)
    scan(inspector, checkpoint, nonce="shared-nonce", code=token)
    _, created = scan(other, checkpoint, nonce="shared-nonce", code=token)
    assert created
    assert ScanEvent.objects.count() == 2


def test_scans_are_never_edited_or_deleted(inspector, checkpoint):
    recorded, _ = scan(inspector, checkpoint, number="430200123456", plate="湘B12345")
    recorded.verdict = Verdict.VALID
    with pytest.raises(PermissionError):
        recorded.save()
    with pytest.raises(PermissionError):
        recorded.delete()
    with pytest.raises(PermissionError):
        ScanEvent.objects.all().update(verdict=Verdict.VALID)
    with pytest.raises(PermissionError):
        ScanEvent.objects.all().delete()
    assert ScanEvent.objects.get().verdict == Verdict.UNKNOWN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_uploads_of_one_nonce_record_one_scan(inspector, checkpoint):
    """Two threads, two connections, one nonce: the unique constraint lets one insert win and
    the other returns the winner's row."""
    issued = make_pass()
    token = signing_keys.sign_pass(issued)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def upload():
        try:
            barrier.wait(timeout=10)
            results.append(scan(inspector, checkpoint, nonce="racing-nonce", code=token))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(created for _, created in results) == [False, True]
    assert len({recorded.pk for recorded, _ in results}) == 1
    assert ScanEvent.objects.filter(nonce="racing-nonce").count() == 1
