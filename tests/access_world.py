"""Two sides of one deployment for the route-walking isolation test: side A is enterprise A
filing with office 1 (株洲, the first office), side B is enterprise B filing with office 2 (湘潭,
430300); each office has its own reviewer, officer and inspector. Every object a route can name
exists on both sides, and each side has strings no other side's page may show (``markers``)."""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db.models import Count, Max, Q
from django.utils import timezone

from passes.models import (
    Announcement,
    AnnouncementAttachment,
    AuditEvent,
    Document,
    DocumentReview,
    DocumentView,
    Enterprise,
    ImportJob,
    Membership,
    Notification,
    NotificationPreference,
    Office,
    Pass,
    PassRequest,
    PassSerial,
    RequestMessage,
    ScanEvent,
    WebhookEndpoint,
)
from passes.requests import workflow
from passes.signing import keys as signing_keys
from tests import factories
from tests.factories.workflow import make_document


@dataclass
class Side:
    name: str
    office: Office
    enterprise: Enterprise
    member: object
    reviewer: object
    officer: object
    inspector: object
    objects: dict = field(default_factory=dict)  # model label -> an object of this side
    markers: tuple = ()


def _staff(username, group, office):
    user = factories.UserFactory(username=username, is_staff=True, groups=[group])
    office.staff.add(user)
    return user


def _side(name, office, *, plate, seed, company):
    # Serials far from 1: the webhook docs' example payload shows 430200000001.
    PassSerial.objects.update_or_create(
        region_code=office.region_code, defaults={"last_serial": 7000 + seed}
    )
    pass_type = factories.PassTypeFactory(code=f"type-{name}", office=office)
    checkpoint = factories.CheckpointFactory(code=f"cp-{name}", office=office)
    enterprise = factories.EnterpriseFactory(
        name=company, credit_code=factories.make_credit_code(seed)
    )
    member = factories.MembershipFactory(
        enterprise=enterprise, user=factories.UserFactory(username=f"member-{name}")
    ).user
    reviewer = _staff(f"reviewer-{name}", "Reviewers", office)
    officer = _staff(f"officer-{name}", "Officers", office)
    inspector = factories.UserFactory(username=f"inspector-{name}", groups=["Inspectors"])
    office.staff.add(inspector)
    vehicle = factories.VehicleFactory(enterprise=enterprise, plate=plate)
    driver = factories.DriverFactory(enterprise=enterprise, name=f"司机{name}甲乙")
    valid_from = timezone.now() - datetime.timedelta(hours=1)

    def filed(**kwargs):
        pass_request = factories.PassRequestFactory(
            enterprise=enterprise, pass_type=pass_type, valid_from=valid_from, **kwargs
        )
        factories.RequestItemFactory(request=pass_request, vehicle=vehicle, drivers=[driver])
        return pass_request

    approved = filed()
    approved.checkpoints.set([checkpoint])
    workflow.submit(approved, by=member)
    workflow.claim(approved, by=reviewer)
    (issued,) = workflow.approve(approved, by=reviewer)
    submitted = filed()
    workflow.submit(submitted, by=member)
    draft = filed()
    document = make_document(enterprise, "business_licence", request=submitted)
    Document.objects.filter(pk=document.pk).update(original_name=f"{company}营业执照.pdf")
    standing = make_document(enterprise, "vehicle_licence", vehicle=vehicle)
    content = b"%PDF-1.4 message attachment"
    message = RequestMessage.objects.create(
        request=submitted,
        author=member,
        body=f"{company}的留言",
        original_name="附件.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file=ContentFile(content, name="attachment.pdf"),
    )
    view = DocumentView.objects.create(document=document, user=reviewer)
    scan = ScanEvent.objects.create(
        pass_obj=issued,
        number=issued.number,
        plate=issued.plate,
        checkpoint=checkpoint,
        inspector=inspector,
        nonce=f"nonce-{name}",
        scanned_at=timezone.now(),
        verdict="valid",
    )
    webhook = WebhookEndpoint.objects.create(
        enterprise=enterprise, url=f"https://hooks-{name}.example.com/passdesk"
    )
    job = ImportJob.objects.create(
        enterprise=enterprise,
        user=member,
        kind=ImportJob.Kind.VEHICLES,
        file=ContentFile(b"plate\n", name="fleet.csv"),
        original_name=f"{company}车辆.csv",
    )
    notification = Notification.objects.filter(enterprise=enterprise).first()
    preference, _ = NotificationPreference.objects.get_or_create(user=member)
    objects = {
        "passes.passrequest": submitted,
        "passes.reviewqueue": submitted,
        "passes.pass": issued,
        "passes.document": document,
        "passes.vehicle": vehicle,
        "passes.driver": driver,
        "passes.enterprise": enterprise,
        "passes.auditevent": AuditEvent.objects.filter(request=submitted).first(),
        "passes.scanevent": scan,
        "passes.passtype": pass_type,
        "passes.checkpoint": checkpoint,
        "passes.office": office,
        "passes.documentview": view,
        "passes.notification": notification,
        "passes.webhookendpoint": webhook,
        "passes.notificationpreference": preference,
        "passes.importjob": job,
        "auth.user": member,
        "approved": approved,
        "draft": draft,
        "standing": standing,
        "message": message,
        "membership": Membership.objects.get(user=member),
    }
    markers = (
        company,
        enterprise.credit_code,
        plate,
        issued.number,
        approved.reference,
        submitted.reference,
        draft.reference,
        driver.name,
        f"{company}的留言",
        webhook.url,
    )
    return Side(name, office, enterprise, member, reviewer, officer, inspector, objects, markers)


def build():
    """Both sides, a superuser, and the deployment's shared rows (an announcement)."""
    first = Office.objects.order_by("pk").first()
    second = Office.objects.create(name="湘潭市交通运输局", region_code="430300")
    signing_keys.create_key(office=second)
    a = _side("a", first, plate="湘B71001", seed=7101, company="甲方物流有限公司")
    b = _side("b", second, plate="湘C82002", seed=8202, company="乙方运输有限公司")
    announcement = Announcement.objects.create(
        title="通告", body="全体企业", publish_at=timezone.now() - datetime.timedelta(hours=1)
    )
    attachment = AnnouncementAttachment.objects.create(
        announcement=announcement,
        file=ContentFile(b"%PDF-1.4 notice", name="notice.pdf"),
        original_name="notice.pdf",
        content_type="application/pdf",
        size=15,
    )
    shared = {"passes.announcement": announcement, "attachment": attachment}
    superuser = factories.UserFactory(username="root-all", is_staff=True, is_superuser=True)
    return a, b, shared, superuser


def fingerprint(side: Side) -> tuple:
    """What any write to ``side``'s data would change (a few aggregate queries)."""
    enterprise = side.enterprise
    requests = PassRequest.objects.filter(enterprise=enterprise)
    documents = Document.objects.filter(enterprise=enterprise)
    return (
        tuple(requests.order_by("pk").values_list("pk", "status", "assigned_reviewer_id")),
        tuple(
            Pass.objects.filter(request__enterprise=enterprise)
            .order_by("pk")
            .values_list("pk", "status", "revoked_at")
        ),
        tuple(
            Enterprise.objects.filter(pk=enterprise.pk).values_list(
                "name", "verification_status", "is_key_enterprise", "contact_phone"
            )
        ),
        RequestMessage.objects.filter(request__enterprise=enterprise).aggregate(
            n=Count("pk"), last=Max("pk")
        ),
        documents.aggregate(n=Count("pk"), last=Max("pk")),
        DocumentReview.objects.filter(document__enterprise=enterprise).count(),
        DocumentView.objects.filter(document__enterprise=enterprise).count(),
        AuditEvent.objects.filter(
            Q(enterprise=enterprise) | Q(request__enterprise=enterprise)
        ).aggregate(n=Count("pk"), last=Max("pk")),
        tuple(enterprise.vehicles.order_by("pk").values_list("pk", "plate")),
        tuple(enterprise.drivers.order_by("pk").values_list("pk", "name", "phone")),
        Membership.objects.filter(enterprise=enterprise).count(),
        tuple(
            WebhookEndpoint.objects.filter(enterprise=enterprise).values_list("url", "is_active")
        ),
        tuple(side.office.pass_types.values_list("pk", "name", "is_active"))
        if hasattr(side.office, "pass_types")
        else (),
        ScanEvent.objects.filter(checkpoint__office=side.office).aggregate(
            n=Count("pk"), decided=Count("decision", filter=~Q(decision=""))
        ),
        tuple(Office.objects.filter(pk=side.office.pk).values_list("name", "region_code")),
    )
