"""The WeChat Official Account against a local fake of its endpoints: binding through the web
authorisation from the portal, template messages for the events a person chose (an approval
and an announcement, as the exact request), the access token fetched once, shared and replaced
when WeChat rejects it, and failures following the outbox's rules."""

import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone

from passes.messaging import announcements
from passes.models import Announcement, MessageTemplate, Notification, WechatBinding
from passes.notifications import outbox, wechat
from passes.notifications.recipients import request_url
from tests.factories.notifications import approved_request

pytestmark = pytest.mark.django_db

APPROVED_FIELDS = {"character_string1": "reference", "thing2": "count"}
ANNOUNCEMENT_FIELDS = {"thing1": "title"}


def register_templates(fakes):
    MessageTemplate.objects.create(
        provider="wechat",
        kind="request_approved",
        template_code="TPL_APPROVED",
        field_map=APPROVED_FIELDS,
    )
    MessageTemplate.objects.create(
        provider="wechat",
        kind="announcement",
        template_code="TPL_NOTICE",
        field_map=ANNOUNCEMENT_FIELDS,
    )
    fakes.state.wechat_templates.update(
        {"TPL_APPROVED": list(APPROVED_FIELDS), "TPL_NOTICE": list(ANNOUNCEMENT_FIELDS)}
    )


def bind_through_the_portal(client, user, fakes):
    """What the person does inside WeChat: open the bind link, agree, come back."""
    client.force_login(user)
    start = client.get("/notifications/wechat/bind/")
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{fakes.base_url}/connect/oauth2/authorize?")
    query = parse_qs(urlsplit(authorize.split("#")[0]).query)
    assert query["appid"] == ["wx-fake-app"] and query["scope"] == ["snsapi_base"]
    agreed = httpx.get(authorize.split("#")[0], follow_redirects=False)
    back = urlsplit(agreed.headers["location"])
    assert back.path == "/notifications/wechat/callback/"
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302
    return WechatBinding.objects.get(user=user)


def wechat_rows(**filters):
    return Notification.objects.filter(channel="wechat", **filters)


def sends(fakes):
    return [r for r in fakes.of("wechat") if "template_id" in r.data]


def token_requests(fakes):
    return [r for r in fakes.of("wechat") if "token_request" in r.data]


def test_a_member_binds_and_gets_the_approval_as_the_exact_template_message(
    wechat_account, client, applicant, reviewer, django_capture_on_commit_callbacks
):
    fakes = wechat_account
    register_templates(fakes)
    binding = bind_through_the_portal(client, applicant, fakes)
    assert binding.openid in fakes.state.wechat_followers
    assert "request_approved" in binding.kinds
    with django_capture_on_commit_callbacks(execute=True):
        pass_request, _passes = approved_request(applicant, reviewer)
    [sent] = sends(fakes)
    token = token_requests(fakes)[0].answer["access_token"]
    assert sent.data == {
        "touser": binding.openid,
        "template_id": "TPL_APPROVED",
        "url": request_url(pass_request),
        "data": {
            "character_string1": {"value": pass_request.reference},
            "thing2": {"value": "1"},
        },
        "access_token": token,
    }
    row = wechat_rows(event="request.approved").get()
    assert row.status == "sent" and row.provider_ref == str(sent.answer["msgid"])


def test_an_announcement_on_wechat_and_only_for_chosen_kinds(
    wechat_account, client, applicant, officer, django_capture_on_commit_callbacks
):
    fakes = wechat_account
    register_templates(fakes)
    binding = bind_through_the_portal(client, applicant, fakes)
    with django_capture_on_commit_callbacks(execute=True):
        announcement = announcements.publish(
            Announcement(title="复工复产通行证办理指引", body="请按指引准备材料。"), by=officer
        )
    [sent] = sends(fakes)
    assert sent.data["template_id"] == "TPL_NOTICE"
    assert sent.data["data"] == {"thing1": {"value": "复工复产通行证办理指引"}}
    assert sent.data["url"] == announcements.detail_url(announcement)
    # Unticked in the portal: no more announcements on WeChat.
    response = client.post("/notifications/", {"wechat_kinds": "1", "kinds": ["request_approved"]})
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.kinds == ["request_approved"]
    with django_capture_on_commit_callbacks(execute=True):
        announcements.publish(Announcement(title="第二条", body="正文"), by=officer)
    assert len(sends(fakes)) == 1


def test_thing_values_are_cut_to_twenty_characters(wechat_account, applicant):
    template = MessageTemplate(
        provider="wechat", kind="announcement", template_code="T", field_map={"thing1": "title"}
    )
    body = wechat.template_body("o1", template, {"title": "通" * 30})
    assert body["data"]["thing1"]["value"] == "通" * 19 + "…"


def test_the_token_is_fetched_once_and_shared_by_concurrent_senders(wechat_account):
    fakes = wechat_account
    tokens, errors = [], []

    def fetch():
        try:
            tokens.append(wechat.access_token())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(tokens)) == 1
    assert len(token_requests(fakes)) == 1


def test_a_rejected_token_is_replaced_once_and_the_message_still_goes(
    wechat_account, applicant, reviewer, django_capture_on_commit_callbacks
):
    fakes = wechat_account
    register_templates(fakes)
    WechatBinding.objects.create(
        user=applicant, app_id="wx-fake-app", openid="o-member", kinds=["request_approved"]
    )
    fakes.state.wechat_followers.add("o-member")
    first = wechat.access_token()
    fakes.revoke_wechat_tokens()  # another server forced a refresh: ours is stale
    with django_capture_on_commit_callbacks(execute=True):
        approved_request(applicant, reviewer)
    answers = [r.answer.get("errcode") for r in sends(fakes)]
    assert answers == [40001, 0]
    assert len(token_requests(fakes)) == 2
    assert wechat.access_token() != first
    assert wechat_rows().get().status == "sent"


def test_an_unfollowed_person_is_given_up_and_the_binding_marked(
    wechat_account, applicant, reviewer, django_capture_on_commit_callbacks
):
    fakes = wechat_account
    register_templates(fakes)
    binding = WechatBinding.objects.create(
        user=applicant, app_id="wx-fake-app", openid="o-gone", kinds=["request_approved"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        approved_request(applicant, reviewer)
    row = wechat_rows().get()
    assert (row.status, row.failure) == ("dead", "give_up")
    assert "43004" in row.last_error
    binding.refresh_from_db()
    assert binding.is_active is False


def test_an_outage_is_retried_by_the_outbox(
    wechat_account, applicant, reviewer, django_capture_on_commit_callbacks
):
    fakes = wechat_account
    register_templates(fakes)
    WechatBinding.objects.create(
        user=applicant, app_id="wx-fake-app", openid="o-member", kinds=["request_approved"]
    )
    fakes.state.wechat_followers.add("o-member")
    wechat.access_token()
    fakes.script("wechat", (503, {"errcode": -1, "errmsg": "system error"}))
    with django_capture_on_commit_callbacks(execute=True):
        approved_request(applicant, reviewer)
    row = wechat_rows().get()
    assert (row.status, row.failure) == ("failed", "retry")
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(row.pk) == "sent"


def test_a_callback_without_the_sessions_state_binds_nobody(wechat_account, client, applicant):
    client.force_login(applicant)
    response = client.get("/notifications/wechat/callback/?code=CODE1&state=forged")
    assert response.status_code == 302
    assert not WechatBinding.objects.exists()


def test_drivers_bind_through_the_same_callback(wechat_account, client):
    from tests import factories

    driver = factories.DriverFactory()
    session = client.session
    url = wechat.start_binding(
        session,
        redirect_uri="http://testserver/notifications/wechat/callback/",
        driver=driver,
        next_url="/",
    )
    session.save()
    agreed = httpx.get(url.split("#")[0], follow_redirects=False)
    back = urlsplit(agreed.headers["location"])
    client.get(f"{back.path}?{back.query}")
    binding = WechatBinding.objects.get(driver=driver)
    assert binding.user is None and "driver_epass_link" in binding.kinds
