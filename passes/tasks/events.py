"""Pass expiry."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone


@shared_task(name="passes.expire_passes", acks_late=True)
def expire_passes() -> int:
    """Mark active passes whose validity has ended as expired, auditing each one."""
    from .. import audit, notifications
    from ..models import Pass

    expired = 0
    now = timezone.now()
    ids = list(
        Pass.objects.filter(status=Pass.Status.ACTIVE, valid_until__lte=now).values_list(
            "pk", flat=True
        )
    )
    for pass_id in ids:
        with transaction.atomic():
            pass_obj = (
                Pass.objects.select_for_update()
                .filter(pk=pass_id, status=Pass.Status.ACTIVE, valid_until__lte=now)
                .first()
            )
            if pass_obj is None:
                continue
            pass_obj.status = Pass.Status.EXPIRED
            pass_obj.status_changed_at = timezone.now()  # the revocation feed's cursor
            pass_obj.save(update_fields=["status", "status_changed_at"])
            event = audit.record(
                "pass.expire",
                pass_obj=pass_obj,
                request=pass_obj.request,
                from_status=Pass.Status.ACTIVE,
                to_status=Pass.Status.EXPIRED,
            )
            notifications.queue_event(
                notifications.PASS_EXPIRED, object_id=pass_obj.pk, audit_event_id=event.pk
            )
            expired += 1
    return expired
