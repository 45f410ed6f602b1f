"""Group robots: vetting an officer's robot, and the outbox rows of what is posted to groups
(announcements, pass-issued notices for the office's own staff group, a test post).

Posts are written in the deployment's language (``LANGUAGE_CODE``): a group has many readers.
"""

import uuid

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import notifications as ev
from ..models import ChatRobot, Notification
from ..models.notifications import Channel
from .channels.netguard import UnsafeURL
from .channels.robots import check_robot_url, markdown_for
from .outbox import key

TEST_EVENT = "robot.test"


def vet(platform: str, webhook_url: str, secret: str = "") -> str | None:
    """What is wrong with a robot as typed (translated), or None."""
    try:
        check_robot_url(webhook_url, platform)
    except UnsafeURL as error:
        return error.message
    if platform == ChatRobot.Platform.WECOM and secret:
        return _("WeCom robots have no signing secret: leave it empty.")
    return None


def _row(robot, *, event, object_id, title, markdown, link="", unique="", audit_event_id=None):
    return Notification(
        event=event,
        event_uid=uuid.uuid4(),
        object_id=object_id,
        audit_event_id=audit_event_id,
        chat_robot=robot,
        address=str(robot)[:500],
        channel=Channel.ROBOT,
        language=settings.LANGUAGE_CODE,
        subject=title[:300],
        body_text=markdown,
        template={"title": title, "link": link},
        idempotency_key=key(
            event, object_id, audit_event_id, f"robot{robot.pk}{unique}", Channel.ROBOT
        ),
    )


def announcement_rows(announcement, url: str) -> list[Notification]:
    """One post per chosen, active robot: the title in bold, the text, a link to the full
    announcement (the text is cut to the platform's size limit before the link)."""
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        link_text = _("Read the announcement in passdesk")
        for robot in announcement.robots.filter(is_active=True):
            markdown = markdown_for(
                robot.platform,
                f"**{announcement.title}**\n\n{announcement.body}",
                url,
                link_text,
            )
            rows.append(
                _row(
                    robot,
                    event="announcement.published",
                    object_id=announcement.pk,
                    title=announcement.title,
                    markdown=markdown,
                    link=url,
                )
            )
    return rows


def pass_issued_rows(subject, *, key_base) -> list[Notification]:
    """An approval's notice to the robots of the request's office that asked for them."""
    pass_request = subject.pass_request
    if pass_request is None or not subject.passes:
        return []
    office_id = pass_request.pass_type.office_id
    robots = ChatRobot.objects.filter(is_active=True, post_passes_issued=True).filter(
        Q(office_id=office_id) | Q(office__isnull=True)
    )
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Passes issued: %(reference)s") % {"reference": pass_request.reference}
        lines = [
            f"**{title}**",
            "",
            _("%(enterprise)s, %(count)d passes (%(pass_type)s)")
            % {
                "enterprise": subject.enterprise.name,
                "count": len(subject.passes),
                "pass_type": pass_request.pass_type.name,
            },
            "",
        ]
        for issued in subject.passes[:30]:
            until = timezone.localtime(issued.valid_until).strftime("%Y-%m-%d %H:%M")
            lines.append(f"- {issued.number} · {issued.plate} · {until}")
        if len(subject.passes) > 30:
            lines.append(_("… and %(count)d more") % {"count": len(subject.passes) - 30})
        body = "\n".join(lines)
        link = subject.context()["request_url"]
        link_text = _("Open the request")
        for robot in robots:
            rows.append(
                _row(
                    robot,
                    event=ev.REQUEST_APPROVED,
                    object_id=key_base[1],
                    title=title,
                    markdown=markdown_for(robot.platform, body, link, link_text),
                    link=link,
                    audit_event_id=key_base[2],
                )
            )
    return rows


def test_row(robot) -> Notification:
    """A post an officer sends to check a robot works (each press a new one)."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("passdesk test message")
        body = _("This group will receive passdesk's posts: %(office)s.") % {
            "office": settings.PASSDESK_OFFICE_TITLE
        }
    return _row(
        robot,
        event=TEST_EVENT,
        object_id=robot.pk,
        title=title,
        markdown=markdown_for(robot.platform, f"**{title}**\n\n{body}"),
        unique=f":{uuid.uuid4().hex[:12]}",
    )
