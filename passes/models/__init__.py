"""passdesk's domain model, one module per concern; import from ``passes.models``."""

from .api import IdempotencyKey
from .audit import AuditEvent
from .catalog import Checkpoint, DocumentKind, PassType
from .channels import ChatRobot, MessageTemplate, WechatBinding
from .documents import Document
from .enterprises import Driver, Enterprise, Membership, Vehicle
from .epass import DriverLink
from .imports import ImportJob
from .issued import OfflineTag, Pass, PassSerial
from .messaging import (
    Announcement,
    AnnouncementAttachment,
    AnnouncementRead,
    FaqEntry,
    ReplyTemplate,
    RequestMessage,
)
from .notifications import Notification, NotificationPreference, WebhookDelivery, WebhookEndpoint
from .offices import Office, PeerClaim, PeerDeployment, PeerRevocation
from .readings import DocumentReading
from .rendering import PassPdf
from .requests import PassRequest, RequestItem
from .review import DocumentReview, DocumentView, ReturnReasonTemplate, ReviewQueue
from .scans import Decision, ScanEvent, Verdict
from .signing import SigningKey

__all__ = [
    "Announcement",
    "AnnouncementAttachment",
    "AnnouncementRead",
    "FaqEntry",
    "ReplyTemplate",
    "RequestMessage",
    "AuditEvent",
    "ChatRobot",
    "Checkpoint",
    "Document",
    "DriverLink",
    "Decision",
    "DocumentReview",
    "DocumentView",
    "DocumentKind",
    "DocumentReading",
    "Driver",
    "Enterprise",
    "ImportJob",
    "IdempotencyKey",
    "Membership",
    "MessageTemplate",
    "Notification",
    "OfflineTag",
    "Office",
    "PeerClaim",
    "PeerDeployment",
    "PeerRevocation",
    "NotificationPreference",
    "Pass",
    "PassPdf",
    "PassRequest",
    "PassSerial",
    "PassType",
    "RequestItem",
    "ReturnReasonTemplate",
    "ReviewQueue",
    "ScanEvent",
    "SigningKey",
    "Vehicle",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WechatBinding",
    "Verdict",
]
