"""Telling people what happened, exactly once, on the channels they chose.

The workflow calls ``queue_event`` inside its transaction. It writes one outbox row
(``Notification``) per recipient and channel, rendered in the recipient's language, and hands the
rows to Celery only when the transaction commits. If the broker is down then, the rows wait as
queued and the sweeper dispatches them later; nothing is lost and nothing is sent for a change
that rolled back. See ``outbox`` for delivery, retries and the sweeper.
"""

import logging

from django.db import transaction

# Event names, shared with the notification templates, the webhooks and the API.
REQUEST_SUBMITTED = "request.submitted"
REQUEST_CLAIMED = "request.claimed"
REQUEST_RETURNED = "request.returned"
REQUEST_RESUBMITTED = "request.resubmitted"
REQUEST_REJECTED = "request.rejected"
REQUEST_APPROVED = "request.approved"
REQUEST_WITHDRAWN = "request.withdrawn"
# The office replied on a request (passes.messaging).
REQUEST_MESSAGE = "request.message"
PASS_REVOKED = "pass.revoked"
PASS_EXPIRED = "pass.expired"
PASS_EXPIRING = "pass.expiring"
ENTERPRISE_VERIFIED = "enterprise.verified"
ENTERPRISE_SUSPENDED = "enterprise.suspended"
# Events only staff receive.
REVIEW_NEW_WORK = "review.new_work"
REVIEW_DIGEST = "review.digest"

logger = logging.getLogger(__name__)


def queue_event(
    event: str,
    *,
    object_id: int,
    audit_event_id: int | None = None,
    pass_request=None,
    audit_event=None,
    passes=None,
) -> list[int]:
    """Write the event's outbox rows now and dispatch them after the commit.

    Runs inside the caller's transaction. Queuing the same event twice (same audit event) adds
    no rows: each row's idempotency key is unique. A failure here is logged and swallowed inside
    a savepoint: a broken template must not undo an approval. The workflow hands over the
    request (with its enterprise and pass type), the audit event it has just saved and, for an
    approval, the passes it has just issued, so they are not read again.
    """
    from . import outbox, recipients

    try:
        with transaction.atomic():
            rows = recipients.build(
                event,
                object_id=object_id,
                audit_event_id=audit_event_id,
                pass_request=pass_request,
                audit=audit_event,
                passes=passes,
            )
            ids = outbox.store(rows)
    except Exception:
        logger.exception("could not queue notifications for %s %s", event, object_id)
        return []
    if ids:
        transaction.on_commit(lambda: outbox.dispatch(ids))
    return ids
