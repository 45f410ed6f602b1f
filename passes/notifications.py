"""Telling people what happened. The workflow calls ``queue_event`` inside its transaction; the
Celery task is queued only once that transaction commits, so nobody hears of a change that was
rolled back."""

from django.db import transaction

# Event names, shared with the notification templates and the API.
REQUEST_SUBMITTED = "request.submitted"
REQUEST_CLAIMED = "request.claimed"
REQUEST_RETURNED = "request.returned"
REQUEST_RESUBMITTED = "request.resubmitted"
REQUEST_REJECTED = "request.rejected"
REQUEST_APPROVED = "request.approved"
REQUEST_WITHDRAWN = "request.withdrawn"
PASS_REVOKED = "pass.revoked"
PASS_EXPIRED = "pass.expired"
ENTERPRISE_VERIFIED = "enterprise.verified"
ENTERPRISE_SUSPENDED = "enterprise.suspended"


def queue_event(event: str, *, object_id: int, audit_event_id: int | None = None) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.deliver_event.delay(event, object_id, audit_event_id))
