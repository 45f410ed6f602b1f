"""/api/v1/announcements/: an enterprise member reads the office's announcements through the API,
scoped exactly as the portal shows them, and marks them read (which the portal then shows)."""

import datetime

import pytest
from django.utils import timezone

from passes.messaging import announcements
from passes.models import Announcement, AnnouncementRead
from tests import factories, fixtures_files
from tests.api_support import API, assert_error, client_for
from tests.portal_helpers import client_for as portal_client

pytestmark = pytest.mark.django_db


def _announcement(title, *, hours_ago=1, **kwargs):
    publish_at = timezone.now() - datetime.timedelta(hours=hours_ago)
    return Announcement.objects.create(
        title=title,
        body=f"{title}：请按指引准备材料。",
        **{
            "publish_at": publish_at,
            **kwargs,
        },
    )


@pytest.fixture
def world(db, officer):
    key = factories.EnterpriseFactory(is_key_enterprise=True)
    plain = factories.EnterpriseFactory()
    everyone = _announcement("全体企业通知", hours_ago=3)
    for_key = _announcement("重点企业通知", hours_ago=1, audience="key")
    _announcement("明天发布", hours_ago=-24)
    withdrawn = _announcement("已撤回", hours_ago=2)
    announcements.withdraw(withdrawn, by=officer)
    return {
        "reader": factories.MembershipFactory(enterprise=key).user,
        "outsider": factories.MembershipFactory(enterprise=plain).user,
        "everyone": everyone,
        "for_key": for_key,
    }


def _titles(response):
    assert response.status_code == 200, response.content
    return [a["title"] for a in response.json()["results"]]


def test_members_see_their_audiences_announcements_newest_first(world):
    reader = client_for(world["reader"])
    assert _titles(reader.get(f"{API}/announcements/")) == ["重点企业通知", "全体企业通知"]
    assert _titles(client_for(world["outsider"]).get(f"{API}/announcements/")) == ["全体企业通知"]
    shown = reader.get(f"{API}/announcements/{world['for_key'].pk}/").json()
    assert shown["text"] == "重点企业通知：请按指引准备材料。"
    assert shown["is_read"] is False  # showing it marks nothing
    assert not AnnouncementRead.objects.exists()


def test_another_audiences_announcement_is_a_404_and_cannot_be_marked(world):
    outsider = client_for(world["outsider"])
    secret = world["for_key"].pk
    assert_error(outsider.get(f"{API}/announcements/{secret}/"), 404, "not_found")
    assert_error(outsider.post(f"{API}/announcements/{secret}/read/"), 404, "not_found")
    assert not AnnouncementRead.objects.exists()


def test_marking_read_is_what_the_portal_shows_too(world):
    reader = client_for(world["reader"])
    newest = world["for_key"]
    assert newest.title in portal_client(world["reader"]).get("/").content.decode()  # banner
    marked = reader.post(f"{API}/announcements/{newest.pk}/read/")
    assert marked.status_code == 200 and marked.json()["is_read"] is True
    assert reader.post(f"{API}/announcements/{newest.pk}/read/").status_code == 200  # again
    assert AnnouncementRead.objects.filter(user=world["reader"]).count() == 1
    assert _titles(reader.get(f"{API}/announcements/?unread=true")) == ["全体企业通知"]
    assert _titles(reader.get(f"{API}/announcements/?unread=false")) == ["重点企业通知"]
    assert "announcement-banner" not in portal_client(world["reader"]).get("/").content.decode()


def test_attachments_download_with_the_token_for_the_audience_only(world):
    guide = announcements.add_attachment(
        world["for_key"], fixtures_files.upload("操作指引.pdf", fixtures_files.pdf_bytes())
    )
    shown = client_for(world["reader"]).get(f"{API}/announcements/{world['for_key'].pk}/").json()
    (attachment,) = shown["attachments"]
    assert attachment["name"] == "操作指引.pdf" and attachment["sha256"] == guide.sha256
    response = client_for(world["reader"]).get(attachment["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert_error(client_for(world["outsider"]).get(attachment["url"]), 404, "not_found")


def test_only_enterprise_members_use_announcements(world, reviewer):
    assert_error(client_for(reviewer).get(f"{API}/announcements/"), 403, "not_a_member")
    assert client_for().get(f"{API}/announcements/").status_code == 401
