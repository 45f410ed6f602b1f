"""Drivers' e-pass links: made at issue, renewal and amendment, told at revocation, resent,
handed over and withdrawn by the enterprise; each SMS through the outbox, only hashes kept."""

import datetime
import re

import pytest
from django.utils import timezone

from passes.epass import links
from passes.errors import WorkflowError
from passes.models import AuditEvent, DriverLink, Notification
from passes.notifications.channels.sms import LoggingSmsBackend
from passes.requests import workflow
from tests import factories
from tests.factories.notifications import approved_request

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/d/([A-Za-z0-9_-]{20})")


def driver_sms(phone=None):
    rows = Notification.objects.filter(event=links.EVENT_LINK).order_by("pk")
    return [row for row in rows if phone is None or row.address == phone]


def token_in(row) -> str:
    return LINK.search(row.body_text).group(1)


@pytest.fixture
def issued(applicant, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request, passes = approved_request(applicant, reviewer, vehicles=2)
    return passes


def test_every_driver_named_on_an_issued_pass_gets_an_sms_with_a_personal_link(issued):
    for pass_obj in issued:
        for driver in pass_obj.drivers.all():
            (row,) = driver_sms(driver.phone)[-1:]
            assert row.channel == "sms" and row.status == Notification.Status.SENT
            assert pass_obj.plate in row.body_text
            token = token_in(row)
            link = links.resolve(token)
            assert (link.pass_obj, link.driver) == (pass_obj, driver)
            # Only the hash is kept, and the link ends with the pass.
            assert token not in link.token_hash and link.token_hash == links.hash_token(token)
            assert link.expires_at == pass_obj.valid_until and link.state() == "active"
    sent_phones = {phone for phone, _text in LoggingSmsBackend.sent}
    assert {d.phone for p in issued for d in p.drivers.all()} <= sent_phones
    assert DriverLink.objects.count() == sum(p.drivers.count() for p in issued)


def test_the_sms_carries_the_provider_template_parameters(issued):
    row = driver_sms()[0]
    params = row.template["params"]
    assert row.template["kind"] == "driver_epass_link"
    assert params["plate"] and params["number"] and params["link"].endswith(token_in(row))


def test_a_link_is_unguessable_and_a_wrong_token_opens_nothing(issued):
    tokens = {token_in(row) for row in driver_sms()}
    assert len(tokens) == len(driver_sms()) and all(len(t) == 20 for t in tokens)
    assert links.resolve("A" * 20) is None
    assert links.resolve("") is None


def test_revocation_is_told_to_each_driver_and_the_link_still_opens_grey(issued, officer):
    pass_obj = issued[0]
    token = token_in(driver_sms(pass_obj.drivers.first().phone)[-1])
    workflow.revoke_pass(pass_obj, by=officer, reason="车辆违规")
    told = Notification.objects.filter(event=links.EVENT_REVOKED, object_id=pass_obj.pk)
    assert {row.address for row in told} == {d.phone for d in pass_obj.drivers.all()}
    assert all("车辆违规" not in row.body_text for row in told)  # the officer's words stay inside
    assert links.resolve(token).state() == "active"


def test_amendment_sends_the_new_pass_and_tells_only_the_dropped_driver(
    issued, officer, enterprise
):
    old = issued[0]
    kept_driver = old.drivers.first()
    new_driver = factories.DriverFactory(enterprise=enterprise, name="王师傅")
    new = workflow.amend_pass_drivers(old, [kept_driver, new_driver], by=officer, reason="换班")
    new_links = DriverLink.objects.filter(pass_obj=new)
    assert {link.driver for link in new_links} == {kept_driver, new_driver}
    assert len(driver_sms(new_driver.phone)) == 1
    revoked = Notification.objects.filter(event=links.EVENT_REVOKED, object_id=old.pk)
    # The kept driver hears of the new pass, not of the old one's revocation.
    assert kept_driver.phone not in {row.address for row in revoked}


def test_renewal_sends_the_renewed_pass(issued, applicant, reviewer):
    from passes.requests import renewal

    (renewed,) = renewal.file_renewals([issued[0]], by=applicant, declaration_accepted=True)
    workflow.claim(renewed, by=reviewer)
    (new,) = workflow.approve(renewed, by=reviewer)
    keys = [
        row.idempotency_key
        for row in Notification.objects.filter(event=links.EVENT_LINK, object_id=new.pk)
    ]
    assert keys and all(":renewed:" in key for key in keys)


def test_resend_replaces_the_link_and_is_audited_and_rate_limited(issued, applicant, settings):
    settings.PASSDESK_EPASS_SENDS_PER_HOUR = 2
    pass_obj = issued[0]
    driver = pass_obj.drivers.first()
    first = token_in(driver_sms(driver.phone)[-1])
    links.resend(pass_obj, [driver.pk], by=applicant)
    second = token_in(driver_sms(driver.phone)[-1])
    assert second != first
    assert links.resolve(first) is None and links.resolve(second).driver == driver
    event = AuditEvent.objects.get(action="epass.send", pass_obj=pass_obj)
    assert event.actor == applicant and event.data == {"drivers": [driver.pk]}
    links.resend(pass_obj, [driver.pk], by=applicant)
    with pytest.raises(WorkflowError) as caught:
        links.resend(pass_obj, [driver.pk], by=applicant)
    assert caught.value.code == "too_many_sends"
    assert len(driver_sms(driver.phone)) == 3


def test_handover_gives_a_link_without_sms_and_replaces_the_sent_one(issued, applicant):
    pass_obj = issued[0]
    driver = pass_obj.drivers.first()
    sent = token_in(driver_sms(driver.phone)[-1])
    url = links.handover(pass_obj, driver.pk, by=applicant)
    assert links.resolve(url.rsplit("/", 1)[1]).driver == driver
    assert links.resolve(sent) is None
    assert len(driver_sms(driver.phone)) == 1
    assert AuditEvent.objects.filter(action="epass.handover", pass_obj=pass_obj).exists()


def test_withdraw_stops_the_link(issued, applicant):
    pass_obj = issued[0]
    driver = pass_obj.drivers.first()
    token = token_in(driver_sms(driver.phone)[-1])
    assert links.withdraw(pass_obj, [driver.pk], by=applicant) == 1
    assert links.resolve(token).state() == "withdrawn"
    assert AuditEvent.objects.filter(action="epass.withdraw", pass_obj=pass_obj).exists()


def test_a_driver_not_on_the_pass_or_an_ended_pass_gets_no_link(issued, applicant, enterprise):
    pass_obj = issued[0]
    stranger = factories.DriverFactory(enterprise=enterprise)
    with pytest.raises(WorkflowError):
        links.resend(pass_obj, [stranger.pk], by=applicant)
    pass_obj.valid_until = timezone.now() - datetime.timedelta(minutes=1)
    pass_obj.save(update_fields=["valid_until"])
    with pytest.raises(WorkflowError) as caught:
        links.resend(pass_obj, by=applicant)
    assert caught.value.code == "pass_not_active"


def test_a_broken_sms_leaves_the_approval_alone(applicant, reviewer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template table broken")

    monkeypatch.setattr(links, "_sms_row", broken)
    _request, passes = approved_request(applicant, reviewer)
    assert passes and not DriverLink.objects.exists()
