"""The FAQ page: searchable, filtered by topic, answers escaped, linked from the wizard and
from announcements."""

import pytest

from passes.models import Announcement, FaqEntry
from tests import factories
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    return [
        FaqEntry.objects.create(
            question="核酸检测报告要多新？",
            answer="48小时内。详见 https://gov.example.cn/rules <script>x</script>",
            topic="documents",
        ),
        FaqEntry.objects.create(
            question="一辆车能办几张证？", answer="一车一证一线路。", topic="type"
        ),
        FaqEntry.objects.create(question="草稿问题", answer="未发布", is_published=False),
    ]


def test_search_and_topics(client, entries):
    page = client.get("/faq/").content.decode()
    assert (
        "核酸检测报告要多新？" in page and "一辆车能办几张证？" in page and "草稿问题" not in page
    )
    assert '<a href="https://gov.example.cn/rules"' in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    found = client.get("/faq/", {"q": "一车一证"}).content.decode()
    assert "一辆车能办几张证？" in found and "核酸检测报告要多新？" not in found
    by_topic = client.get("/faq/", {"topic": "documents"}).content.decode()
    assert "核酸检测报告要多新？" in by_topic and "一辆车能办几张证？" not in by_topic
    nothing = client.get("/faq/", {"q": "不存在的问题"}).content.decode()
    assert "No question matches" in nothing or "没有" in nothing


def test_linked_from_wizard_steps_and_announcements(applicant, entries):
    client = client_for(applicant)
    new = client.get("/requests/new/", follow=True).content.decode()
    assert "/faq/?topic=type" in new
    announcement = Announcement.objects.create(title="通知", body="正文")
    detail = client.get(f"/announcements/{announcement.pk}/").content.decode()
    assert 'href="/faq/"' in detail


def test_faq_is_in_everyones_navigation(client, entries):
    assert 'href="/faq/"' in client.get("/").content.decode()
    assert (
        'href="/faq/"'
        in client_for(member(factories.EnterpriseFactory())).get("/").content.decode()
    )
