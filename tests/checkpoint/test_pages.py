"""The inspector page (inspectors only) and the public verification page (masked, rate-limited,
never a 500 on garbage)."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from passes.models import ScanEvent
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.checkpoint import make_pass

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords_and_fresh_limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def english():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- Inspector page ---------------------------------------------------------------------------


def test_inspector_page_is_served_to_inspectors_with_the_checkpoints(inspector):
    factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    factories.CheckpointFactory(code="closed", name="已关闭卡口", is_active=False)
    client = english()
    client.force_login(inspector)
    response = client.get("/checkpoint/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "湘江大桥卡口" in page
    assert "已关闭卡口" not in page
    assert "passes/vendor/jsQR.js" in page
    assert "passes/checkpoint/inspector.js" in page
    config = json.loads(page.split('id="cp-config" type="application/json">')[1].split("<")[0])
    assert config["scanUrl"] == "/api/v1/scans/"
    assert config["verdicts"]["plate_mismatch"]["severity"] == "bad"
    assert response.cookies["csrftoken"]  # the page's script posts with it


def test_inspector_page_sends_anonymous_visitors_to_log_in():
    response = Client().get("/checkpoint/")
    assert response.status_code == 302
    assert "next=/checkpoint/" in response["Location"]


@pytest.mark.parametrize("who", ["applicant", "reviewer", "officer"])
def test_inspector_page_refuses_everyone_else(request, who):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get("/checkpoint/").status_code == 403


def test_inspector_page_is_chinese_by_default(inspector):
    client = Client()
    client.force_login(inspector)
    page = client.get("/checkpoint/").content.decode()
    assert 'lang="zh-Hans"' in page


# --- Public verification page -----------------------------------------------------------------


@pytest.fixture
def valid_pass(db):
    return make_pass(plate="湘A67890", driver_names=("李小明", "欧阳娜娜"))


def test_qr_url_shows_a_genuine_valid_pass_with_personal_data_masked(valid_pass):
    url = signing.verification_url(signing_keys.sign_pass(valid_pass))
    path = url[url.index("/v/") :]
    response = english().get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This pass is genuine and valid now." in page
    assert valid_pass.request.enterprise.name in page
    assert "湘A67890" in page
    assert "李*明" in page and "欧**娜" in page
    assert "李小明" not in page and "欧阳娜娜" not in page
    for driver in valid_pass.drivers.all():
        assert driver.id_number not in page
        assert driver.masked_id_number in page
        assert driver.phone not in page
    assert valid_pass.request.enterprise.contact_phone not in page
    assert ScanEvent.objects.count() == 0  # looking is not a checkpoint scan


def test_qr_url_of_a_revoked_pass_says_revoked(valid_pass, officer):
    token = signing_keys.sign_pass(valid_pass)
    workflow.revoke_pass(valid_pass, by=officer, reason="车辆已更换")
    page = english().get(f"/v/{token}").content.decode()
    assert "revoked by the traffic office" in page


def test_qr_url_of_an_expired_pass_says_so():
    issued = make_pass(valid_from=timezone.now() - datetime.timedelta(days=10))
    page = english().get(f"/v/{signing_keys.sign_pass(issued)}").content.decode()
    assert "its validity has ended" in page


def test_tampered_token_is_not_genuine(valid_pass):
    token = signing_keys.sign_pass(valid_pass)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = english().get(f"/v/{tampered}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not a genuine pass" in page
    assert valid_pass.request.enterprise.name not in page


@pytest.mark.parametrize(
    "garbage",
    [
        "x",
        "%00%01",
        "%E6%B9%98",
        "A" * 5000,
        "<script>alert(1)</script>",
        "..%2F..%2Fetc%2Fpasswd",
        "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPI",
        "' OR 1=1 --",
    ],
)
def test_garbage_tokens_never_break_the_page(garbage):
    response = english().get(f"/v/{garbage}")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "Not a genuine pass" in response.content.decode()
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_typed_number_and_plate_check_a_pass(valid_pass):
    response = english().get("/v/", {"number": valid_pass.number, "plate": "湘a 67890"})
    page = response.content.decode()
    assert "This pass is genuine and valid now." in page
    assert "李*明" in page and "李小明" not in page


def test_typed_number_with_the_wrong_plate_reveals_nothing(valid_pass):
    response = english().get("/v/", {"number": valid_pass.number, "plate": "湘B99999"})
    page = response.content.decode()
    assert "No matching pass" in page
    assert valid_pass.request.enterprise.name not in page
    assert "湘A67890" not in page


def test_typed_form_asks_for_both_fields():
    page = english().get("/v/", {"number": "430200000001"}).content.decode()
    assert "Type both the pass number and the plate." in page


def test_empty_form_is_just_the_form():
    response = english().get("/v/")
    assert response.status_code == 200
    assert 'name="number"' in response.content.decode()


def test_public_page_is_rate_limited_per_address(settings, valid_pass):
    settings.PASSDESK_VERIFY_RATE_PER_MINUTE = 3
    token = signing_keys.sign_pass(valid_pass)
    client = english()
    codes = [client.get(f"/v/{token}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other_address = client.get(f"/v/{token}", REMOTE_ADDR="10.0.0.7")
    assert other_address.status_code == 200


# --- Admin ------------------------------------------------------------------------------------


def test_officers_read_scans_in_the_admin_and_nobody_edits_them(officer, reviewer, inspector):
    from passes.checkpoint import services

    checkpoint = factories.CheckpointFactory(code="xiangjiang", name="湘江大桥卡口")
    scan, _ = services.record_scan(
        inspector=inspector,
        checkpoint=checkpoint,
        nonce="admin-test-1",
        scanned_at=timezone.now(),
        code="FORGEDCODE",
    )
    client = english()
    client.force_login(officer)
    listing = client.get(
        "/admin/passes/scanevent/", {"verdict__exact": "forged", "is_late__exact": "0"}
    )
    assert listing.status_code == 200
    assert f"/admin/passes/scanevent/{scan.pk}/change/" in listing.content.decode()
    assert client.get("/admin/passes/scanevent/add/").status_code == 403
    detail = client.get(f"/admin/passes/scanevent/{scan.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()

    client.force_login(reviewer)
    assert client.get("/admin/passes/scanevent/").status_code == 403
