"""The driver's e-pass page and its JSON: what a link opens (and what it does not), the grey
states with their reasons, the same signed QR code as the paper pass, and the limits."""

import datetime
import re

import pytest
from django.utils import timezone

from passes.driver import qr
from passes.epass import links
from passes.issuing import rendering
from passes.models import Notification
from passes.requests import workflow
from passes.signing import keys as signing_keys
from passes.signing import tokens
from tests import factories
from tests.factories.checkpoint import make_pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(db):
    checkpoint = factories.CheckpointFactory(code="shifeng", name="石峰大桥")
    pass_obj = make_pass(
        plate="湘B12345", driver_names=("李小明", "欧阳小红"), checkpoints=[checkpoint]
    )
    links.pass_issued([pass_obj])
    return pass_obj


def token_for(pass_obj, driver) -> str:
    row = Notification.objects.filter(
        event=links.EVENT_LINK, object_id=pass_obj.pk, address=driver.phone
    ).latest("pk")
    return re.search(r"/d/([A-Za-z0-9_-]{20})", row.body_text).group(1)


def driver_named(pass_obj, name):
    return pass_obj.drivers.get(name=name)


def test_the_link_opens_the_e_pass_green_with_what_the_printed_pass_shows(client, issued):
    driver = driver_named(issued, "李小明")
    response = client.get(f"/d/{token_for(issued, driver)}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-state="valid"' in page and "有效" in page
    assert "湘B12345" in page and 'data-colour="yellow"' in page  # a heavy truck's plate
    assert tokens.group_number(issued.number) in page
    assert "石峰大桥" in page and issued.request.enterprise.name in page
    # This driver's name and ID masked; nobody else on the pass; no phone number.
    assert "李*明" in page and driver.masked_id_number in page
    assert "李小明" not in page and driver.id_number not in page and driver.phone not in page
    assert "欧阳" not in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]
    assert "<script>" not in page and "onclick" not in page  # the site's CSP holds


def test_the_qr_code_is_the_paper_pass_code(client, issued):
    driver = driver_named(issued, "李小明")
    data = client.get(f"/d/{token_for(issued, driver)}/state").json()
    printed = rendering.sheet_for(issued, signing_keys.current_signer()).qr_text
    count, path = qr.svg_path(printed)
    assert data["qr_path"] == path and data["qr_size"] == count
    assert printed == tokens.verification_url(signing_keys.sign_pass(issued))


def test_revoked_shows_grey_with_the_reason_but_not_the_officers_words(client, issued, officer):
    token = token_for(issued, driver_named(issued, "李小明"))
    workflow.revoke_pass(issued, by=officer, reason="司机张三违规")
    data = client.get(f"/d/{token}/state", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (data["state"], data["reason"]) == ("revoked", "revoked")
    assert data["reason_text"].startswith("Revoked by the traffic office")
    page = client.get(f"/d/{token}").content.decode()
    assert 'data-state="revoked"' in page and "张三" not in page


def test_amended_pass_says_replaced(client, issued, officer):
    kept = driver_named(issued, "李小明")
    token = token_for(issued, driver_named(issued, "欧阳小红"))
    workflow.amend_pass_drivers(issued, [kept], by=officer, reason="换班")
    data = client.get(f"/d/{token}/state").json()
    assert (data["state"], data["reason"]) == ("revoked", "replaced")


def test_not_yet_valid_and_expired_are_grey_with_the_time(client):
    start = timezone.now() + datetime.timedelta(days=1)
    later = make_pass(valid_from=start, valid_until=start + datetime.timedelta(days=2))
    links.pass_issued([later])
    token = token_for(later, later.drivers.first())
    data = client.get(f"/d/{token}/state", HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["state"] == "not_yet_valid"
    assert timezone.localtime(start).strftime("%Y-%m-%d %H:%M") in data["reason_text"]
    # The link ends with the pass: afterwards it opens nothing (410), and says so.
    link = links.resolve(token)
    link.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    link.save()
    gone = client.get(f"/d/{token}/state")
    assert gone.status_code == 410 and gone.json()["state"] == "gone"
    assert "湘" not in gone.content.decode()


def test_expired_pass_is_grey(client, issued):
    token = token_for(issued, driver_named(issued, "李小明"))
    issued.valid_until = timezone.now() - datetime.timedelta(minutes=5)
    issued.save(update_fields=["valid_until"])
    link = links.resolve(token)
    link.expires_at = timezone.now() + datetime.timedelta(minutes=5)  # still open, just
    link.save()
    assert client.get(f"/d/{token}/state").json()["state"] == "expired"


def test_withdrawn_link_and_wrong_token_open_nothing(client, issued, enterprise):
    driver = driver_named(issued, "李小明")
    token = token_for(issued, driver)
    links.withdraw(issued, [driver.pk], by=None)
    response = client.get(f"/d/{token}")
    assert response.status_code == 410 and "湘B12345" not in response.content.decode()
    missing = client.get("/d/" + "A" * 20)
    assert missing.status_code == 404 and 'data-state="gone"' in missing.content.decode()


def test_guessing_tokens_is_throttled(client, issued, settings):
    settings.PASSDESK_EPASS_MISSES_PER_MINUTE = 3
    answers = [client.get(f"/d/{'B' * 19}{n}").status_code for n in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_the_public_verify_page_stays_masked(client, issued):
    url = tokens.verification_url(signing_keys.sign_pass(issued))
    page = client.get(url[url.index("/v/") :]).content.decode()
    assert "李*明" in page and "李小明" not in page


def test_home_manifest_and_worker(client):
    home = client.get("/d/")
    assert home.status_code == 200 and 'id="ep-empty"' in home.content.decode()
    manifest = client.get("/d/manifest.webmanifest").json()
    assert manifest["start_url"] == "/d/" and manifest["scope"] == "/d/"
    worker = client.get("/d/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert b"/static/passes/driver/epass.js" in worker.content


def test_several_passes_of_one_driver_each_open_by_their_own_link(client, enterprise):
    first = make_pass(enterprise=enterprise)
    second = make_pass(enterprise=enterprise)
    driver = first.drivers.first()
    second.drivers.set([driver])
    links.pass_issued([first, second])
    one = client.get(f"/d/{token_for(first, driver)}/state").json()
    two = client.get(f"/d/{token_for(second, driver)}/state").json()
    assert {one["plate"], two["plate"]} == {first.plate, second.plate}
    # One link gives its own pass only: the other pass's number is nowhere in it.
    assert (
        tokens.group_number(second.number)
        not in client.get(f"/d/{token_for(first, driver)}").content.decode()
    )
