"""What a user may see, one selector per model: each is one ``Q`` filter (at most a subquery,
never an extra query), built from the user's ``Scope``:

* members of an enterprise see their enterprise's rows;
* staff listed on offices see the rows of those offices (a request belongs to its pass type's
  office; a pass, document, message or audit event to its request's; an enterprise and its
  fleet to the offices it has filed with, or to every office while it has filed nowhere);
  staff on no office see the whole deployment; the review side never sees what an enterprise
  has not filed (drafts, and drafts withdrawn unsent);
* superusers see everything; anyone else nothing.

``visible(model_or_queryset, user)`` applies the policy of the queryset's model (the admin's
``PolicyScopedAdmin`` does it for every model admin). Anything outside answers 404.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import (
    Announcement,
    AnnouncementAttachment,
    AuditEvent,
    ChatRobot,
    Checkpoint,
    Document,
    DocumentView,
    Driver,
    Enterprise,
    FaqEntry,
    ImportJob,
    MessageTemplate,
    Notification,
    NotificationPreference,
    Office,
    Pass,
    PassRequest,
    PassType,
    PeerClaim,
    PeerDeployment,
    ReplyTemplate,
    RequestMessage,
    ReturnReasonTemplate,
    ScanEvent,
    Vehicle,
    WebhookDelivery,
    WebhookEndpoint,
    WechatBinding,
)
from .scope import ALL, MEMBER, STAFF, scope_of

NOTHING = Q(pk__in=[])  # an empty IN: Django answers it without asking the database
Status = PassRequest.Status


def _in_offices(scope, field: str) -> Q:
    """Rows of the staff member's offices (rows naming no office belong to the first)."""
    if scope.offices is None:
        return Q()
    condition = Q(**{f"{field}__in": scope.offices})
    if scope.first_office:
        condition |= Q(**{f"{field}__isnull": True})
    return condition


def _filed(prefix: str = "") -> Q:
    """Requests the enterprise has sent: not a draft, nor a draft withdrawn unsent."""
    return ~Q(**{f"{prefix}status": Status.DRAFT}) & ~Q(
        **{f"{prefix}status": Status.WITHDRAWN, f"{prefix}submitted_at__isnull": True}
    )


# --- one condition per model; ``prefix`` reaches the model through a relation ---------------


def requests_q(user, prefix: str = "") -> Q:
    scope = scope_of(user)
    if scope.kind == ALL:
        return Q()
    if scope.kind == MEMBER:
        return Q(**{f"{prefix}enterprise_id": scope.enterprise_id})
    if scope.kind == STAFF and scope.reviews:
        return _filed(prefix) & _in_offices(scope, f"{prefix}pass_type__office")
    return NOTHING


def passes_q(user, prefix: str = "") -> Q:
    """Inspectors too: their offices' passes make their offline list."""
    scope = scope_of(user)
    if scope.kind == ALL:
        return Q()
    if scope.kind == MEMBER:
        return Q(**{f"{prefix}request__enterprise_id": scope.enterprise_id})
    if scope.kind == STAFF and (scope.reviews or scope.scans):
        return _in_offices(scope, f"{prefix}request__pass_type__office")
    return NOTHING


def enterprises_q(user, field: str = "pk") -> Q:
    """``field`` names the enterprise's id on the model filtered (``pk``, ``enterprise_id``)."""
    scope = scope_of(user)
    if scope.kind == ALL:
        return Q()
    if scope.kind == MEMBER:
        return Q(**{field: scope.enterprise_id})
    if scope.kind != STAFF or not scope.reviews:
        return NOTHING
    if scope.offices is None:
        return Q()
    filed = PassRequest.objects.filter(_filed()).order_by()
    ours = filed.filter(_in_offices(scope, "pass_type__office")).values("enterprise_id")
    return Q(**{f"{field}__in": ours}) | ~Q(**{f"{field}__in": filed.values("enterprise_id")})


def fleet_q(user, prefix: str = "") -> Q:
    """Vehicles and drivers go with their enterprise."""
    return enterprises_q(user, f"{prefix}enterprise_id")


def documents_q(user, prefix: str = "") -> Q:
    """A request's documents go with the request; standing ones (a vehicle's licence, the
    enterprise's papers) with the enterprise."""
    scope = scope_of(user)
    if scope.kind in (ALL, MEMBER):
        return enterprises_q(scope, f"{prefix}enterprise_id")
    if scope.kind != STAFF or not scope.reviews:
        return NOTHING
    return (Q(**{f"{prefix}request__isnull": False}) & requests_q(scope, f"{prefix}request__")) | (
        Q(**{f"{prefix}request__isnull": True}) & enterprises_q(scope, f"{prefix}enterprise_id")
    )


def messages_q(user, prefix: str = "") -> Q:
    return requests_q(user, f"{prefix}request__")


def audit_events_q(user, prefix: str = "") -> Q:
    """An event goes with its request, else its pass, else its enterprise; events about none
    of them (keys, trust lists) are the deployment's: superusers and deployment-wide staff."""
    scope = scope_of(user)
    if scope.kind == ALL or (scope.kind == STAFF and scope.reviews and scope.offices is None):
        return Q()
    if scope.kind not in (MEMBER, STAFF):
        return NOTHING
    no_request = Q(**{f"{prefix}request__isnull": True})
    no_pass = Q(**{f"{prefix}pass_obj__isnull": True})
    return (
        (~no_request & requests_q(scope, f"{prefix}request__"))
        | (no_request & ~no_pass & passes_q(scope, f"{prefix}pass_obj__"))
        | (
            no_request
            & no_pass
            & Q(**{f"{prefix}enterprise__isnull": False})
            & enterprises_q(scope, f"{prefix}enterprise_id")
        )
    )


def scans_q(user, prefix: str = "") -> Q:
    scope = scope_of(user)
    if scope.kind == ALL:
        return Q()
    if scope.kind == STAFF:
        return _in_offices(scope, f"{prefix}checkpoint__office")
    return NOTHING


def catalog_q(user, prefix: str = "") -> Q:
    """Pass types and checkpoints: every signed-in person may read the catalogue (an
    enterprise files with any office); staff of offices work on their offices' entries."""
    scope = scope_of(user)
    if scope.kind == STAFF:
        return _in_offices(scope, f"{prefix}office")
    return Q() if scope.kind in (ALL, MEMBER) else NOTHING


def offices_q(user, prefix: str = "") -> Q:
    scope = scope_of(user)
    if scope.kind == STAFF:
        return _in_offices(scope, f"{prefix}pk")
    return Q() if scope.kind == ALL else NOTHING


def notifications_q(user, prefix: str = "") -> Q:
    """An enterprise's notifications go with the enterprise; staff also see their own."""
    scope = scope_of(user)
    if scope.kind == ALL or (scope.kind == STAFF and scope.offices is None):
        return Q()
    if scope.kind not in (MEMBER, STAFF):
        return NOTHING
    return Q(**{f"{prefix}recipient_id": scope.user_id}) | (
        Q(**{f"{prefix}enterprise__isnull": False}) & enterprises_q(scope, f"{prefix}enterprise_id")
    )


def imports_q(user, prefix: str = "") -> Q:
    """Fleet imports are the enterprise's own work; nobody on the office side opens them."""
    scope = scope_of(user)
    if scope.kind == ALL:
        return Q()
    if scope.kind == MEMBER:
        return Q(**{f"{prefix}enterprise_id": scope.enterprise_id})
    return NOTHING


def own_rows_q(user, prefix: str = "") -> Q:
    """Rows about one person (notification preferences): their own, or all for the
    deployment's staff."""
    scope = scope_of(user)
    if scope.kind == ALL or (scope.kind == STAFF and scope.offices is None):
        return Q()
    return Q(**{f"{prefix}user_id": scope.user_id}) if scope.user_id else NOTHING


def announcements_q(user, prefix: str = "") -> Q:
    """Announcements are the deployment's, to enterprises: staff see them all; a member only
    published ones (which of those are *for* the member's enterprise is
    ``messaging.audience``'s rule)."""
    scope = scope_of(user)
    if scope.kind in (ALL, STAFF):
        return Q()
    if scope.kind == MEMBER:
        return Q(
            **{f"{prefix}withdrawn_at__isnull": True, f"{prefix}publish_at__lte": timezone.now()}
        )
    return NOTHING


def deployment_q(user, prefix: str = "") -> Q:
    """The deployment's own settings and texts (reason and reply templates, the FAQ, peers,
    announcements to enterprises): no enterprise's or office's data; staff read them."""
    scope = scope_of(user)
    return Q() if scope.kind in (ALL, STAFF) else NOTHING


def robots_q(user, prefix: str = "") -> Q:
    """Group robots are the office's (their webhook URLs are credentials): staff of the office,
    robots naming no office with the first office; never enterprises."""
    scope = scope_of(user)
    if scope.kind == ALL:
        return Q()
    if scope.kind == STAFF:
        return _in_offices(scope, f"{prefix}office")
    return NOTHING


def wechat_bindings_q(user, prefix: str = "") -> Q:
    """One's own WeChat binding; a driver's goes with the driver's enterprise."""
    scope = scope_of(user)
    if scope.kind == ALL or (scope.kind == STAFF and scope.offices is None):
        return Q()
    if scope.kind not in (MEMBER, STAFF) or not scope.user_id:
        return NOTHING
    return Q(**{f"{prefix}user_id": scope.user_id}) | (
        Q(**{f"{prefix}driver__isnull": False}) & fleet_q(scope, f"{prefix}driver__")
    )


def _document_views_q(user, prefix=""):
    return documents_q(user, f"{prefix}document__")


def _webhooks_q(user, prefix=""):
    return enterprises_q(user, f"{prefix}enterprise_id")


def _deliveries_q(user, prefix=""):
    return enterprises_q(user, f"{prefix}endpoint__enterprise_id")


def _attachments_q(user, prefix=""):
    return announcements_q(user, f"{prefix}announcement__")


@dataclass(frozen=True)
class Policy:
    name: str
    conditions: dict  # model -> (user, prefix="") -> Q
    about: str


def _policy(name, models, condition, about):
    return Policy(name, dict.fromkeys(models, condition), about)


DEPLOYMENT_MODELS = (
    ReturnReasonTemplate,
    ReplyTemplate,
    FaqEntry,
    PeerDeployment,
    PeerClaim,
    MessageTemplate,
)
POLICIES = {
    policy.name: policy
    for policy in (
        _policy("requests", [PassRequest], requests_q, "its enterprise; its pass type's office"),
        _policy("passes", [Pass], passes_q, "its request's enterprise and office"),
        _policy("documents", [Document], documents_q, "with its request, else its enterprise"),
        _policy("document-views", [DocumentView], _document_views_q, "with the document"),
        _policy("messages", [RequestMessage], messages_q, "with the request they are on"),
        _policy("audit", [AuditEvent], audit_events_q, "with its request, pass or enterprise"),
        _policy("enterprises", [Enterprise], enterprises_q, "the offices it has filed with"),
        _policy("fleet", [Vehicle, Driver], fleet_q, "with the enterprise"),
        _policy("scans", [ScanEvent], scans_q, "the checkpoint's office"),
        _policy("catalog", [PassType, Checkpoint], catalog_q, "the office's; all for members"),
        _policy("offices", [Office], offices_q, "staff see their own offices"),
        _policy("notifications", [Notification], notifications_q, "with the enterprise"),
        Policy(
            "webhooks",
            {WebhookEndpoint: _webhooks_q, WebhookDelivery: _deliveries_q},
            "with the endpoint's enterprise",
        ),
        _policy("imports", [ImportJob], imports_q, "the enterprise's own"),
        _policy("preferences", [NotificationPreference], own_rows_q, "one's own"),
        Policy(
            "announcements",
            {Announcement: announcements_q, AnnouncementAttachment: _attachments_q},
            "the deployment's, published ones for members",
        ),
        _policy("deployment", DEPLOYMENT_MODELS, deployment_q, "settings and texts, for staff"),
        _policy("robots", [ChatRobot], robots_q, "the office's group robots, for its staff"),
        _policy("wechat", [WechatBinding], wechat_bindings_q, "one's own; drivers' with the fleet"),
    )
}
CONDITIONS = {
    model: condition
    for policy in POLICIES.values()
    for model, condition in policy.conditions.items()
}
POLICY_OF_MODEL = {
    model: policy.name for policy in POLICIES.values() for model in policy.conditions
}


def condition_for(model) -> Callable | None:
    return CONDITIONS.get(model._meta.concrete_model)


def visible(model_or_queryset, user) -> QuerySet:
    """``model_or_queryset`` cut to what ``user`` may see, by its model's policy. A model with
    no policy raises ``LookupError``: every model shown anywhere must have one."""
    if isinstance(model_or_queryset, QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    condition = condition_for(queryset.model)
    if condition is None:
        raise LookupError(f"no access policy for {queryset.model._meta.label}")
    return queryset.filter(condition(user))


def visible_requests(user, queryset=None) -> QuerySet:
    return visible(PassRequest if queryset is None else queryset, user)


def visible_passes(user, queryset=None) -> QuerySet:
    return visible(Pass if queryset is None else queryset, user)


def visible_documents(user, queryset=None) -> QuerySet:
    return visible(Document if queryset is None else queryset, user)


def visible_messages(user, queryset=None) -> QuerySet:
    return visible(RequestMessage if queryset is None else queryset, user)


def visible_audit_events(user, queryset=None) -> QuerySet:
    return visible(AuditEvent if queryset is None else queryset, user)


def visible_enterprises(user, queryset=None) -> QuerySet:
    return visible(Enterprise if queryset is None else queryset, user)


def visible_vehicles(user, queryset=None) -> QuerySet:
    return visible(Vehicle if queryset is None else queryset, user)


def visible_drivers(user, queryset=None) -> QuerySet:
    return visible(Driver if queryset is None else queryset, user)


def visible_scans(user, queryset=None) -> QuerySet:
    return visible(ScanEvent if queryset is None else queryset, user)


def visible_pass_types(user, queryset=None) -> QuerySet:
    return visible(PassType if queryset is None else queryset, user)


def visible_checkpoints(user, queryset=None) -> QuerySet:
    return visible(Checkpoint if queryset is None else queryset, user)


def visible_offices(user, queryset=None) -> QuerySet:
    return visible(Office if queryset is None else queryset, user)


def visible_announcements(user, queryset=None) -> QuerySet:
    return visible(Announcement if queryset is None else queryset, user)


def can_download_passes(user) -> bool:
    """Printable passes (PDFs) are for the enterprise and the review side; inspectors check
    passes by their QR code and never download them."""
    scope = scope_of(user)
    return scope.kind in (ALL, MEMBER) or (scope.kind == STAFF and scope.reviews)
