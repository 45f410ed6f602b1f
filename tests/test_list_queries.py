"""List pages and list endpoints added or changed this round ask the database the same number of
times whether they show 2 rows or 6: no query per row (N+1).

Each test makes 2 rows, asks once to warm the caches (content types, the offices), counts
the queries of a second ask, adds 4 more rows and counts again. The counts must be equal; a
failure lists the queries of the larger page."""

import datetime
import itertools
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from passes import audit
from passes.checkpoint import services as checkpoint_services
from passes.epass import links
from passes.models import (
    Announcement,
    AnnouncementAttachment,
    ChatRobot,
    MessageTemplate,
    Notification,
    Office,
    PeerDeployment,
    WechatBinding,
)
from passes.notifications import kinds
from tests import factories
from tests.api_support import client_for as api_client_for
from tests.factories.checkpoint import make_pass
from tests.factories.issuing import issued_passes
from tests.factories.review import add_document, queued_request
from tests.portal_helpers import client_for as portal_client_for

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 6


def _count(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return queries, response


def assert_flat(client, url, add_rows, rows_shown, **params):
    """``add_rows(n)`` adds n rows; ``rows_shown(response)`` counts the rows the page shows."""
    add_rows(SMALL)
    client.get(url, params)  # warm-up
    small, response = _count(client, url, **params)
    assert rows_shown(response) == SMALL
    add_rows(LARGE - SMALL)
    large, response = _count(client, url, **params)
    assert rows_shown(response) == LARGE
    listing = "\n".join(query["sql"] for query in large.captured_queries)
    assert len(large) == len(small), (
        f"{url}: {len(small)} queries for {SMALL} rows, {len(large)} for {LARGE}:\n{listing}"
    )
    return len(small)


def _admin_rows(response):
    return len(response.context["cl"].result_list)


def _offices():
    """A new office each time (each row its own related office)."""
    number = Office.objects.count()
    return Office.objects.create(name=f"第{number}交警大队", region_code=f"{439000 + number}")


# --- Enterprise side: the announcements API, the driver links, the passbook ------------------


def test_announcements_api_list(applicant):
    def add(n):
        for _ in range(n):
            announcement = Announcement.objects.create(
                title=f"通知 {uuid.uuid4().hex[:6]}",
                body="请按指引准备材料。",
                publish_at=timezone.now() - datetime.timedelta(hours=1),
            )
            for index in range(2):
                attachment = AnnouncementAttachment(
                    announcement=announcement,
                    original_name=f"指引{index}.pdf",
                    content_type="application/pdf",
                )
                attachment.file.save("guide.pdf", ContentFile(b"%PDF-1.4\n"), save=True)

    def shown(response):
        results = response.json()["results"]
        assert all(len(item["attachments"]) == 2 for item in results)
        return len(results)

    assert_flat(api_client_for(applicant), "/api/v1/announcements/", add, shown)


def _driver_adder(pass_obj):
    """Drivers named on the pass, each with a link made (as when the pass was issued)."""

    def add(n):
        for _ in range(n):
            driver = factories.DriverFactory(enterprise=pass_obj.request.enterprise)
            pass_obj.drivers.add(driver)
            links.pass_issued([pass_obj])

    return add


def test_driver_links_api_list(applicant, enterprise):
    pass_obj = make_pass(enterprise=enterprise, driver_names=())
    url = f"/api/v1/passes/{pass_obj.number}/driver-links/"

    def shown(response):
        rows = response.json()["links"]
        assert {row["link_state"] for row in rows} == {"active"}
        return len(rows)

    assert_flat(api_client_for(applicant), url, _driver_adder(pass_obj), shown)


def test_portal_driver_links_page(applicant, enterprise):
    pass_obj = make_pass(enterprise=enterprise, driver_names=())
    url = reverse("passes:pass-driver-links", args=[pass_obj.number])

    def shown(response):
        assert "Send a new link by SMS" in response.content.decode()
        return len(response.context["rows"])

    with translation.override("en"):
        assert_flat(portal_client_for(applicant), url, _driver_adder(pass_obj), shown)


def test_portal_passbook(applicant, enterprise, reviewer):
    def add(n):
        issued_passes(factories.submittable_request(vehicles=n, enterprise=enterprise), reviewer)

    def shown(response):
        assert "Days left" in response.content.decode()
        return len(response.context["rows"])

    with translation.override("en"):
        assert_flat(portal_client_for(applicant), reverse("passes:pass-list"), add, shown)


# --- The officer's admin lists ---------------------------------------------------------------


@pytest.fixture
def officer_client(officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    return client


def test_admin_audit_events(officer_client):
    def add(n):
        for _ in range(n):
            pass_obj = make_pass()
            actor = factories.UserFactory(first_name="明", last_name="李")
            audit.record(
                "pass.revoked",
                actor=actor,
                request=pass_obj.request,
                pass_obj=pass_obj,
                from_status="active",
                to_status="revoked",
                reason="车辆已报废",
            )

    url = reverse("admin:passes_auditevent_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, _admin_rows)


def test_admin_scan_events(officer_client):
    def add(n):
        for _ in range(n):
            issued = make_pass()
            inspector = factories.UserFactory(groups=["Inspectors"], last_name="周")
            checkpoint_services.record_scan(
                inspector=inspector,
                checkpoint=factories.CheckpointFactory(office=_offices()),
                nonce=str(uuid.uuid4()),
                scanned_at=timezone.now() - datetime.timedelta(hours=2),
                number=issued.number,
                plate=issued.plate,
            )

    url = reverse("admin:passes_scanevent_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, _admin_rows)


def test_admin_enterprises(officer_client):
    def add(n):
        for _ in range(n):
            enterprise = factories.EnterpriseFactory(verification_status="pending")
            factories.MembershipFactory(enterprise=enterprise)

    def shown(response):
        assert "Check the licence and verify" in response.content.decode()
        return _admin_rows(response)

    url = reverse("admin:passes_enterprise_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, shown)


def test_admin_documents(officer_client):
    def add(n):
        for _ in range(n):
            add_document(queued_request(), name="营业执照.png")

    url = reverse("admin:passes_document_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, _admin_rows)


def test_admin_pass_types(officer_client):
    def add(n):
        for _ in range(n):
            factories.PassTypeFactory(
                office=_offices(), required_document_kinds=["business_licence"]
            )

    def shown(response):
        return sum(1 for row in response.context["cl"].result_list if row.code.startswith("type-"))

    url = reverse("admin:passes_passtype_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, shown)


def test_admin_checkpoints(officer_client):
    def add(n):
        for _ in range(n):
            factories.CheckpointFactory(office=_offices())

    def shown(response):
        return sum(1 for row in response.context["cl"].result_list if row.code.startswith("cp-"))

    url = reverse("admin:passes_checkpoint_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, shown)


def test_admin_peer_deployments(officer_client):
    def add(n):
        for _ in range(n):
            number = PeerDeployment.objects.count()
            PeerDeployment.objects.create(
                name=f"邻市 {number}",
                url=f"https://peer{number}.example.cn/api/v1/trust/",
                fingerprint=f"{number:064x}",
                last_error="signature does not verify" if number % 2 else "",
            )

    url = reverse("admin:passes_peerdeployment_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, _admin_rows)


# --- Notification channels in the admin ------------------------------------------------------


def test_admin_chat_robots(officer_client):
    def add(n):
        for _ in range(n):
            number = ChatRobot.objects.count()
            robot = ChatRobot.objects.create(
                name=f"物流群 {number}",
                platform="wecom",
                webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k{number}",
                office=_offices(),
            )
            for status in ("sent", "dead"):
                Notification.objects.create(
                    event="announcement.published",
                    channel="robot",
                    address=robot.webhook_url,
                    chat_robot=robot,
                    status=status,
                    idempotency_key=f"robot-test:{uuid.uuid4()}",
                    last_error="errcode 93000" if status == "dead" else "",
                )

    def shown(response):
        html = response.content.decode()
        assert "qyapi.weixin.qq.com" in html
        # The last post is each robot's newest notification, in words.
        rows = _admin_rows(response)
        assert html.count("Dead (gave up): errcode 93000") == rows
        return rows

    url = reverse("admin:passes_chatrobot_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, shown)


def test_admin_wechat_bindings(officer_client):
    def add(n):
        for index in range(n):
            holder = (
                {"user": factories.UserFactory()}
                if index % 2
                else {"driver": factories.DriverFactory()}
            )
            WechatBinding.objects.create(
                app_id="wx-app",
                openid=f"o-{uuid.uuid4().hex}",
                kinds=["request_approved"],
                **holder,
            )

    def shown(response):
        html = response.content.decode()
        holders = WechatBinding.objects.select_related("user", "driver")
        assert all(str(b.user or b.driver) in html for b in holders)
        assert "Passes issued" in html  # the messages chosen, by their label
        return _admin_rows(response)

    url = reverse("admin:passes_wechatbinding_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, shown)


def test_admin_message_templates(officer_client):
    pairs = iter(itertools.product(MessageTemplate.Provider.values, kinds.KINDS))

    def add(n):
        for provider, kind in itertools.islice(pairs, n):
            MessageTemplate.objects.create(
                provider=provider,
                kind=kind,
                template_code=f"SMS_{uuid.uuid4().hex[:8]}",
                field_map={},
            )

    url = reverse("admin:passes_messagetemplate_changelist")
    with translation.override("en"):
        assert_flat(officer_client, url, add, _admin_rows)
