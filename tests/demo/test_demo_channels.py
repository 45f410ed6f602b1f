"""The demo's channels: with the provider fakes started in-process and every channel pointed at
them, a pass-issued notice and an announcement really travel (SMS through the Alibaba Cloud
SDK, the staff group's DingTalk robot, the enterprises' WeCom and Feishu groups)."""

import pytest

from passes.demo import channels
from passes.demo.fakes import FakeProviders
from passes.messaging import announcements
from passes.models import Announcement, ChatRobot, MessageTemplate
from passes.notifications import kinds
from tests.factories.notifications import PreferenceFactory, approved_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_fakes(settings):
    fakes = FakeProviders()
    channels.configure(fakes, target=settings)
    yield fakes
    fakes.stop()


def test_the_demo_channels_deliver_to_the_fakes(
    demo_fakes, settings, applicant, reviewer, officer, django_capture_on_commit_callbacks
):
    assert MessageTemplate.objects.filter(provider="alibaba").count() == len(kinds.KINDS)
    PreferenceFactory(user=applicant, sms_enabled=True, sms_phone="13912345678")
    with django_capture_on_commit_callbacks(execute=True):
        pass_request, passes = approved_request(applicant, reviewer)
    sms = [r.data["params"] for r in demo_fakes.of("alibaba") if r.ok]
    # The member's receipt and approval, and the driver's e-pass link (a bare phone number).
    assert {p["reference"] for p in sms if "reference" in p} == {pass_request.reference}
    assert [p["plate"] for p in sms if "link" in p] == [passes[0].plate]
    [staff_post] = demo_fakes.of("dingtalk")
    assert staff_post.ok and pass_request.reference in staff_post.data["markdown"]["title"]
    with django_capture_on_commit_callbacks(execute=True):
        announcement = announcements.publish(
            Announcement(title="演示公告", body="正文"), by=officer
        )
        announcement.robots.set(ChatRobot.objects.filter(post_announcements=True))
    assert [r.ok for r in demo_fakes.of("wecom")] == [True]
    assert [r.ok for r in demo_fakes.of("feishu")] == [True]
    # Run again (the demo restarts): nothing doubles.
    channels.configure(demo_fakes, target=settings)
    assert ChatRobot.objects.count() == 3
