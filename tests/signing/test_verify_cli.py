"""The offline verifier, ``python -m passes.verify``: run as a checkpoint laptop would, in a
separate process without Django settings or a database."""

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from passes.issuing import rendering
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.issuing import make_passes

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def verify(*args):
    """Run the verifier with no Django settings and no database in its environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"  # would fail loudly if used
    # The suite's clock (tests/clock.py) moves the verifier's too: it judges validity windows.
    code = (
        "import sys, runpy; sys.argv = ['passes.verify', *sys.argv[1:]];"
        "import tests.clock; tests.clock.start_shift();"
        "rc = 0\n"
        "try:\n    runpy.run_module('passes.verify', run_name='__main__')\n"
        "except SystemExit as exit:\n    rc = exit.code\n"
        "assert 'django.db' not in sys.modules, 'the verifier imported the ORM'\n"
        "assert 'django.conf' not in sys.modules, 'the verifier read Django settings'\n"
        "sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert "AssertionError" not in result.stderr, result.stderr
    return result


@pytest.fixture
def setup(tmp_path, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI))  # the day before
    request = factories.submittable_request(
        valid_from=datetime.datetime(2026, 11, 28, 0, 0, tzinfo=SHANGHAI),
        valid_until=datetime.datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI),
    )
    (pass_obj,) = make_passes(request)
    token = signing_keys.sign_pass(pass_obj)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(signing_keys.public_keys_document()))
    return pass_obj, token, keys


INSIDE = "2026-12-01T10:00:00"  # Beijing time


def test_valid_token_prints_number_plate_and_window(setup):
    pass_obj, token, keys = setup
    result = verify("--token", token, "--keys", str(keys), "--at", INSIDE)
    assert result.returncode == 0, result.stderr
    assert "VALID" in result.stdout
    assert f"{pass_obj.number[:6]} {pass_obj.number[6:]}" in result.stdout
    assert pass_obj.plate in result.stdout
    assert "2026-11-28 00:00:00 to 2026-12-05 00:00:00" in result.stdout


def test_url_from_the_qr_and_json_output(setup):
    pass_obj, token, keys = setup
    url = signing.verification_url(token, "https://pass.example.org")
    result = verify("--token", url, "--keys", str(keys), "--at", INSIDE, "--json")
    outcome = json.loads(result.stdout)
    assert outcome["verdict"] == "valid" and outcome["number"] == pass_obj.number


@pytest.mark.parametrize(
    ("at", "code", "word"),
    [
        ("2026-11-27T23:59:59", 3, "NOT YET VALID"),
        ("2026-11-28T00:00:00", 0, "VALID"),
        ("2026-12-04T23:59:59+08:00", 0, "VALID"),
        ("2026-12-04T16:00:00Z", 4, "EXPIRED"),  # midnight in Beijing
    ],
)
def test_window_edges(setup, at, code, word):
    _pass, token, keys = setup
    result = verify("--token", token, "--keys", str(keys), "--at", at)
    assert result.returncode == code
    assert result.stdout.startswith(word)


def test_revocation_file_and_plate(setup, tmp_path):
    pass_obj, token, keys = setup
    feed = tmp_path / "revocations.json"
    feed.write_text(
        json.dumps(
            {
                "revoked": [
                    {"number": pass_obj.number, "status": "revoked", "reason": "revoked"},
                    {"number": "430200999999", "status": "expired", "reason": "expired"},
                ],
                "until": "2026-12-01T01:00:00.000000Z",
            }
        )
    )
    args = ["--token", token, "--keys", str(keys), "--at", INSIDE]
    result = verify(*args, "--revocations", str(feed))
    assert result.returncode == 5 and "REVOKED" in result.stdout
    assert "as of 2026-12-01T01:00:00" in result.stdout
    assert verify(*args, "--plate", "湘A99999").returncode == 6
    assert verify(*args, "--plate", pass_obj.plate.lower()).returncode == 0


def test_forged_unknown_and_withdrawn(setup, tmp_path):
    pass_obj, token, keys = setup
    tampered = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    result = verify("--token", tampered, "--keys", str(keys), "--at", INSIDE)
    assert result.returncode == 7 and "FORGED" in result.stdout

    other = tmp_path / "other.json"
    signing_keys.rotate_key()
    document = signing_keys.public_keys_document()
    document["keys"] = [key for key in document["keys"] if key["state"] == "active"]
    other.write_text(json.dumps(document))
    result = verify("--token", token, "--keys", str(other), "--at", INSIDE)
    assert result.returncode == 7 and "unknown_key" in result.stdout

    kid = signing.verify_token(token, signing_keys.server_keyring()).kid
    signing_keys.withdraw_key(kid, reason="compromised")
    withdrawn = tmp_path / "withdrawn.json"
    withdrawn.write_text(json.dumps(signing_keys.public_keys_document()))
    now = datetime.datetime.now(datetime.UTC).isoformat()
    result = verify("--token", token, "--keys", str(withdrawn), "--at", now)
    assert result.returncode == 7 and "withdrawn_key" in result.stdout


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_image_of_a_printed_pass(setup, tmp_path, officer):
    pass_obj, _token, keys = setup
    record = rendering.pass_pdf(pass_obj)
    page = tmp_path / "page.pdf"
    with record.file.open("rb") as handle:
        page.write_bytes(handle.read())
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", str(page), str(tmp_path / "scan")],
        check=True,
        timeout=60,
    )
    image = tmp_path / "scan.png"
    result = verify("--image", str(image), "--keys", str(keys), "--at", INSIDE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert pass_obj.plate in result.stdout

    workflow.revoke_pass(pass_obj, by=officer, reason="stolen")
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"revoked": [{"number": pass_obj.number}], "until": None}))
    args = ["--image", str(image), "--keys", str(keys), "--at", INSIDE]
    assert verify(*args, "--revocations", str(feed)).returncode == 5


def test_picture_without_qr_code_is_unusable_input(setup, tmp_path):
    _pass, _token, keys = setup
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    result = verify("--image", str(blank), "--keys", str(keys))
    assert result.returncode == 2 and "no QR code" in result.stderr
