"""One plate rule everywhere: the validators, the token format, the offline verifier and the
inspector page's offline check all read a plate the same way. The table is shared with the
page's JavaScript mirror (run in headless Chromium below)."""

import datetime
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passes.signing import tokens
from passes.signing.verify import check
from passes.validators import normalize_plate
from tests import clock


@pytest.fixture(autouse=True)
def _inside_the_window(time_machine):
    """The signed tokens carry a fixed window; the clock is set inside it, whatever today is."""
    time_machine.move_to(datetime.datetime(2026, 11, 30, 12, tzinfo=SHANGHAI))


CASES = json.loads((Path(__file__).with_name("plate_cases.json")).read_text(encoding="utf-8"))
OFFLINE_JS = (
    Path(__file__).resolve().parents[2] / "passes/static/passes/checkpoint/offline.js"
).read_text(encoding="utf-8")
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.mark.parametrize(("typed", "stored"), CASES)
def test_the_validators_normalise_the_table(typed, stored):
    assert normalize_plate(typed) == stored


def _signed(plate):
    private = Ed25519PrivateKey.generate()
    signer = tokens.Signer(tokens.key_id_for(private.public_key()), private)
    token = tokens.sign_claims(
        signer,
        number="430200000123",
        plate=plate,
        valid_from=datetime.datetime(2026, 11, 28, tzinfo=SHANGHAI),
        valid_until=datetime.datetime(2026, 12, 5, tzinfo=SHANGHAI),
    )
    ring = tokens.Keyring()
    ring.add(tokens.PublicKeyInfo(signer.kid, private.public_key()))
    return token, ring


@pytest.mark.parametrize(("typed", "stored"), [case for case in CASES if case[1]])
def test_the_token_carries_the_normalised_plate_and_the_verifier_accepts_it_typed(typed, stored):
    token, ring = _signed(typed)
    assert tokens.verify_token(token, ring).plate == stored
    at = datetime.datetime(2026, 11, 30, 12, tzinfo=SHANGHAI)
    outcome = check(token, ring, set(), typed, at)
    assert outcome["verdict"] == "valid", outcome


def test_a_full_width_plate_typed_at_the_offline_verifier_is_the_same_plate():
    """``python -m passes.verify --plate 湘Ｂ５Ｊ８２７`` said plate_mismatch before NFKC."""
    token, ring = _signed("湘B5J827")
    at = datetime.datetime(2026, 11, 30, 12, tzinfo=SHANGHAI)
    assert check(token, ring, set(), "湘Ｂ５Ｊ８２７", at)["verdict"] == "valid"
    assert check(token, ring, set(), "湘B5J828", at)["verdict"] == "plate_mismatch"


@pytest.mark.chromium
def test_the_inspector_pages_offline_check_normalises_the_table_alike(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            clock.share_with_browser(page)
            page.set_content("<!doctype html><meta charset=utf-8><title>plates</title>")
            page.add_script_tag(content=OFFLINE_JS)
            got = page.evaluate(
                "cases => cases.map(c => window.PassdeskOffline.normalizePlate(c[0]))", CASES
            )
        finally:
            browser.close()
    assert got == [stored for _typed, stored in CASES]
