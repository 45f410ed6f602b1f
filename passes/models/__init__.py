"""passdesk's domain model, one module per concern; import from ``passes.models``."""

from .audit import AuditEvent
from .catalog import Checkpoint, DocumentKind, PassType
from .documents import Document
from .enterprises import Driver, Enterprise, Membership, Vehicle
from .issued import Pass, PassSerial
from .requests import PassRequest, RequestItem

__all__ = [
    "AuditEvent",
    "Checkpoint",
    "Document",
    "DocumentKind",
    "Driver",
    "Enterprise",
    "Membership",
    "Pass",
    "PassRequest",
    "PassSerial",
    "PassType",
    "RequestItem",
    "Vehicle",
]
