"""An announcement published in the admin travels through Redis to a real Celery worker, which
splits the audience into batch tasks and delivers every member's e-mail to a real SMTP server;
the officer's request only queued one task."""

import pytest
from django.utils import timezone

from passes.messaging import announcements
from passes.models import Announcement, Notification
from tests import factories
from tests.portal_helpers import client_for
from tests.smtp_sink import running_smtp_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def test_announcement_is_delivered_in_batches_by_a_real_worker(start_celery_worker, officer):
    key = [factories.EnterpriseFactory(is_key_enterprise=True) for _ in range(12)]
    members = [factories.MembershipFactory(enterprise=e).user for e in key for _ in range(2)]
    outsider = factories.MembershipFactory(enterprise=factories.EnterpriseFactory()).user
    now = timezone.localtime()
    with (
        running_smtp_server() as smtp,
        start_celery_worker(env={**smtp.env(), "PASSDESK_ANNOUNCEMENT_BATCH_SIZE": "5"}) as worker,
    ):
        response = client_for(officer).post(
            "/admin/passes/announcement/add/",
            {
                "title": "湘江大桥卡口调整通知",
                "body": "自明日起，湘江大桥卡口改为 24 小时通行。",
                "audience": "key",
                "publish_at_0": now.strftime("%Y-%m-%d"),
                "publish_at_1": now.strftime("%H:%M:%S"),
                "attachments-TOTAL_FORMS": "0",
                "attachments-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302
        received = smtp.sink.wait_for(
            lambda item: "湘江大桥卡口调整通知" in str(item["message"]["Subject"]),
            count=len(members),
            timeout=180,
        )
        worker.wait_for(
            lambda: worker.log().count("deliver_announcement_batch") >= 3,
            message="three batch tasks",
        )
    assert sorted(r for item in received for r in item["to"]) == sorted(u.email for u in members)
    assert outsider.email not in {r for item in received for r in item["to"]}
    announcement = Announcement.objects.get()
    rows = Notification.objects.filter(event=announcements.EVENT, object_id=announcement.pk)
    assert rows.count() == len(members)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert (announcement.enterprises_reached, announcement.members_addressed) == (12, 24)
