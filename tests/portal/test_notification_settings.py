"""Portal pages for notification settings and webhooks, and the outbox admin."""

import pytest
from django.urls import reverse

from passes.models import Notification, NotificationPreference, WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.factories.notifications import WebhookEndpointFactory, approved_request

PUBLIC_URL = "https://93.184.215.14/passdesk-hook"  # an IP literal: no DNS needed in tests


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_a_member_chooses_channels_and_language(client, applicant):
    client.force_login(applicant)
    url = reverse("passes:notification-settings")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'name="review_mode"' not in page.content  # only reviewers get the digest choice

    refused = client.post(
        url, {"language": "en", "email_enabled": "on", "sms_enabled": "on", "sms_phone": ""}
    )
    assert refused.status_code == 200
    assert not NotificationPreference.objects.filter(user=applicant).exists()

    saved = client.post(
        url,
        {"language": "en", "email_enabled": "on", "sms_enabled": "on", "sms_phone": "13912345678"},
    )
    assert saved.status_code == 302
    preference = NotificationPreference.objects.get(user=applicant)
    assert (preference.language, preference.sms_enabled, preference.sms_phone) == (
        "en",
        True,
        "13912345678",
    )


def test_a_reviewer_chooses_digest_or_immediate(client, reviewer):
    client.force_login(reviewer)
    url = reverse("passes:notification-settings")
    assert b'name="review_mode"' in client.get(url).content
    client.post(url, {"language": "zh-hans", "email_enabled": "on", "review_mode": "immediate"})
    assert NotificationPreference.objects.get(user=reviewer).review_mode == "immediate"


def test_an_owner_registers_a_webhook_and_sees_the_secret_once(client, applicant, enterprise):
    client.force_login(applicant)
    response = client.post(
        reverse("passes:webhook-list"), {"url": PUBLIC_URL, "description": "TMS"}
    )
    endpoint = WebhookEndpoint.objects.get(enterprise=enterprise)
    assert response.status_code == 302
    assert response["Location"] == reverse("passes:webhook-detail", args=[endpoint.pk])

    first = client.get(response["Location"])
    assert endpoint.secret.encode() in first.content
    again = client.get(response["Location"])
    assert endpoint.secret.encode() not in again.content


def test_a_private_webhook_url_is_refused_with_a_clear_message(client, applicant, enterprise):
    client.force_login(applicant)
    response = client.post(
        reverse("passes:webhook-list"),
        {"url": "https://169.254.169.254/latest/meta-data"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert b"webhooks may only call public addresses" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_staff_members_see_but_cannot_add_webhooks(client, enterprise):
    staff = factories.MembershipFactory(enterprise=enterprise, role="staff").user
    client.force_login(staff)
    assert client.get(reverse("passes:webhook-list")).status_code == 200
    client.post(reverse("passes:webhook-list"), {"url": PUBLIC_URL})
    assert not WebhookEndpoint.objects.exists()


def test_another_enterprises_webhook_is_not_found(client, applicant):
    foreign = WebhookEndpointFactory()
    client.force_login(applicant)
    assert client.get(reverse("passes:webhook-detail", args=[foreign.pk])).status_code == 404
    response = client.post(reverse("passes:webhook-action", args=[foreign.pk, "delete"]))
    assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=foreign.pk).exists()


def test_the_delivery_log_shows_what_the_endpoint_answered(client, applicant, enterprise):
    endpoint = WebhookEndpointFactory(enterprise=enterprise)
    notification = Notification.objects.create(
        event="request.submitted",
        webhook_endpoint=endpoint,
        address=endpoint.url,
        channel="webhook",
        idempotency_key="k1",
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        notification=notification,
        attempt=1,
        request_body="{}",
        signature_header="t=1,v1=00",
        response_status=503,
        response_body="upstream timeout",
    )
    client.force_login(applicant)
    page = client.get(reverse("passes:webhook-detail", args=[endpoint.pk]))
    assert b"HTTP 503" in page.content and b"upstream timeout" in page.content


def test_owner_rotates_the_secret(client, applicant, enterprise):
    endpoint = WebhookEndpointFactory(enterprise=enterprise)
    old = endpoint.secret
    client.force_login(applicant)
    client.post(reverse("passes:webhook-action", args=[endpoint.pk, "rotate"]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")


def test_an_officer_retries_dead_notifications_from_the_admin(
    client, officer, applicant, reviewer, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    pass_request, _passes = approved_request(applicant, reviewer)
    dead = Notification.objects.get(event="request.approved")
    Notification.objects.filter(pk=dead.pk).update(
        status=Notification.Status.DEAD, attempts=8, last_error="SMTP down"
    )
    client.force_login(officer)
    listing = client.get(reverse("admin:passes_notification_changelist") + "?status=dead")
    assert listing.status_code == 200 and b"SMTP down" in listing.content

    client.post(
        reverse("admin:passes_notification_changelist"),
        {"action": "retry_selected", "_selected_action": [dead.pk]},
    )
    dead.refresh_from_db()
    assert dead.status == Notification.Status.QUEUED and dead.attempts == 0


def test_reviewers_cannot_open_the_outbox(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("admin:passes_notification_changelist"))
    assert response.status_code == 403
