"""Announcements: who they reach, on which channels, scheduled publishing, withdrawal, escaping."""

import datetime

import pytest
from django.utils import timezone

from passes.messaging import announcements, audience
from passes.models import Announcement, Notification, Pass
from passes.notifications.channels import sms
from tests import factories, fixtures_files
from tests.factories.notifications import PreferenceFactory, WebhookEndpointFactory
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db


def announcement(**kwargs):
    defaults = {"title": "物流企业操作指引", "body": "请按指引准备材料。"}
    return Announcement(**{**defaults, **kwargs})


def publish(officer, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return announcements.publish(announcement(**kwargs), by=officer)


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def active_pass_of(enterprise, pass_type, **pass_kwargs):
    pass_request = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    item = pass_request.items.first()
    now = timezone.now()
    return Pass.objects.create(
        number=f"430200{Pass.objects.count() + 1:06d}",
        request=pass_request,
        item=item,
        vehicle=item.vehicle,
        plate=item.vehicle.plate,
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=5),
        **pass_kwargs,
    )


def test_audiences_pick_the_right_enterprises():
    key = factories.EnterpriseFactory(is_key_enterprise=True)
    plain = factories.EnterpriseFactory()
    holder = factories.EnterpriseFactory()
    revoked_holder = factories.EnterpriseFactory()
    pass_type = factories.PassTypeFactory()
    active_pass_of(holder, pass_type)
    active_pass_of(revoked_holder, pass_type, status=Pass.Status.REVOKED)
    lukou = factories.EnterpriseFactory(credit_code="91430211MA4L0000X0"[:17] + "0")

    def chosen(**kwargs):
        return ids(audience.enterprises_for(announcement(**kwargs)))

    assert chosen(audience="all") >= {key.pk, plain.pk, holder.pk}
    assert chosen(audience="key") == {key.pk}
    assert chosen(audience="pass_type", pass_type=pass_type) == {holder.pk}
    assert lukou.credit_code[2:8] == "430211"
    assert chosen(audience="district", district="430211") == {lukou.pk}
    # The portal applies the same rules.
    published = Announcement.objects.create(
        title="t", body="b", audience="pass_type", pass_type=pass_type
    )
    assert ids(audience.visible_to(holder)) == {published.pk}
    assert ids(audience.visible_to(revoked_holder)) == set()


def test_audience_details_are_required():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        announcements.validate(announcement(audience="district", district="43a2"))
    assert "district" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        announcements.validate(announcement(audience="pass_type"))
    assert "pass_type" in error.value.message_dict


def test_publishing_now_sends_on_each_members_channels(officer, django_capture_on_commit_callbacks):
    key = factories.EnterpriseFactory(is_key_enterprise=True)
    by_mail = member(key)
    by_sms = member(key)
    PreferenceFactory(user=by_sms, email_enabled=False, sms_enabled=True, sms_phone="13912345678")
    english = member(key)
    PreferenceFactory(user=english, language="en")
    silent = member(key)
    PreferenceFactory(user=silent, email_enabled=False)
    endpoint = WebhookEndpointFactory(enterprise=key)
    other = member(factories.EnterpriseFactory())
    long_title = "关于调整湘江大桥卡口通行时间及物流企业通行证办理材料的重要通知（第二次修订版）"

    published = publish(
        officer, django_capture_on_commit_callbacks, audience="key", title=long_title
    )

    rows = Notification.objects.filter(event=announcements.EVENT, object_id=published.pk)
    assert {(r.recipient_id, r.channel) for r in rows if r.recipient_id} == {
        (by_mail.pk, "email"),
        (by_sms.pk, "sms"),
        (english.pk, "email"),
    }
    assert rows.filter(webhook_endpoint=endpoint).count() == 1
    assert not rows.filter(recipient=other).exists()
    assert set(rows.filter(recipient__isnull=False).values_list("status", flat=True)) == {"sent"}
    text = rows.get(channel="sms").body_text
    assert len(text) <= sms.MAX_LENGTH and "关于调整湘江大桥" in text
    assert rows.get(recipient=english).subject.startswith("[passdesk]")
    published.refresh_from_db()
    assert (published.enterprises_reached, published.members_addressed) == (1, 4)
    reach = announcements.with_reach(Announcement.objects.filter(pk=published.pk)).get()
    assert (reach.members_reached, reach.opened) == (3, 0)

    # A batch that runs again (a redelivered task) sends nothing twice.
    assert announcements.deliver_batch(published.pk, [key.pk]) == 0
    assert rows.count() == 4


def test_sms_short_form_fits_in_english_too(officer, django_capture_on_commit_callbacks):
    person = member(factories.EnterpriseFactory())
    PreferenceFactory(
        user=person, language="en", email_enabled=False, sms_enabled=True, sms_phone="13912345678"
    )
    publish(officer, django_capture_on_commit_callbacks, title="A" * 120)
    text = Notification.objects.get(recipient=person).body_text
    assert len(text) <= sms.MAX_LENGTH and text.startswith("passdesk notice: AAA")


def test_a_scheduled_announcement_waits_for_its_time(officer, django_capture_on_commit_callbacks):
    person = member(factories.EnterpriseFactory())
    later = timezone.now() + datetime.timedelta(hours=2)
    published = publish(officer, django_capture_on_commit_callbacks, publish_at=later)
    assert not Notification.objects.filter(event=announcements.EVENT).exists()
    assert announcements.publish_due() == 0
    client = client_for(person)
    assert client.get(f"/announcements/{published.pk}/").status_code == 404

    # Time passes: the beat task finds it due and starts it.
    Announcement.objects.filter(pk=published.pk).update(publish_at=timezone.now())
    assert announcements.publish_due() == 1
    assert Notification.objects.filter(event=announcements.EVENT, recipient=person).exists()
    assert announcements.publish_due() == 0  # started once
    assert client.get(f"/announcements/{published.pk}/").status_code == 200


def test_withdrawal_hides_it_and_stops_what_is_unsent(officer, django_capture_on_commit_callbacks):
    person = member(factories.EnterpriseFactory())
    published = publish(officer, django_capture_on_commit_callbacks)
    sent = Notification.objects.get(recipient=person)
    queued = Notification.objects.create(
        event=announcements.EVENT,
        object_id=published.pk,
        address="late@example.com",
        channel="email",
        idempotency_key="late",
    )
    client = client_for(person)
    assert client.get(f"/announcements/{published.pk}/").status_code == 200

    assert announcements.withdraw(published, by=officer) == 1
    queued.refresh_from_db()
    sent.refresh_from_db()
    assert (queued.status, sent.status) == ("dead", "sent")
    assert client.get(f"/announcements/{published.pk}/").status_code == 404
    assert published.title not in client.get("/announcements/").content.decode()
    assert "announcement-banner" not in client.get("/").content.decode()
    assert announcements.withdraw(published, by=officer) == 0  # once


def test_bodies_are_escaped_and_only_http_links_linkified(
    officer, django_capture_on_commit_callbacks
):
    person = member(factories.EnterpriseFactory())
    body = (
        "<script>alert(1)</script> 指引：https://gov.example.cn/guide?a=1&b=2。"
        " javascript:alert(2) <a href='javascript:alert(3)'>x</a>"
    )
    published = publish(officer, django_capture_on_commit_callbacks, body=body, title="<b>通知</b>")
    page = client_for(person).get(f"/announcements/{published.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert '<a href="https://gov.example.cn/guide?a=1&amp;b=2"' in page
    assert 'href="javascript' not in page and "&lt;b&gt;通知&lt;/b&gt;" in page
    email = Notification.objects.get(recipient=person, channel="email")
    assert "<script>alert(1)" not in email.body_html and "&lt;script&gt;" in email.body_html
    assert 'href="javascript' not in email.body_html


def test_portal_banner_list_unread_marks_and_reads(officer, django_capture_on_commit_callbacks):
    key = factories.EnterpriseFactory(is_key_enterprise=True)
    reader = member(key)
    outsider = member(factories.EnterpriseFactory())
    published = publish(officer, django_capture_on_commit_callbacks, audience="key")
    client = client_for(reader)
    home = client.get("/").content.decode()
    assert "announcement-banner" in home and published.title in home
    assert "unread" in client.get("/announcements/").content.decode()
    assert client.get(f"/announcements/{published.pk}/").status_code == 200
    assert "announcement-banner" not in client.get("/").content.decode()
    listing = client.get("/announcements/").content.decode()
    assert 'class="read"' in listing and 'class="unread"' not in listing
    reach = announcements.with_reach(Announcement.objects.filter(pk=published.pk)).get()
    assert reach.opened == 1
    stranger = client_for(outsider)
    assert "announcement-banner" not in stranger.get("/").content.decode()
    assert stranger.get(f"/announcements/{published.pk}/").status_code == 404


def test_attachments_are_inspected_and_served_only_to_the_audience(
    officer, django_capture_on_commit_callbacks
):
    from passes.documents.errors import UploadRejected

    key = factories.EnterpriseFactory(is_key_enterprise=True)
    reader = member(key)
    outsider = member(factories.EnterpriseFactory())
    published = publish(officer, django_capture_on_commit_callbacks, audience="key")
    with pytest.raises(UploadRejected):
        announcements.add_attachment(
            published, fixtures_files.upload("guide.pdf", b"<html>not a pdf</html>")
        )
    guide = announcements.add_attachment(
        published, fixtures_files.upload("操作指引.pdf", fixtures_files.pdf_bytes())
    )
    assert guide.content_type == "application/pdf" and len(guide.sha256) == 64
    url = f"/announcements/{published.pk}/files/{guide.pk}/?download=1"
    response = client_for(reader).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(officer).get(url).status_code == 404  # staff read it in the admin
    announcements.withdraw(published, by=officer)
    assert client_for(reader).get(url).status_code == 404
