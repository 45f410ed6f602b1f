"""Writing the audit trail. Called inside the transaction of the change it records."""

from .models import AuditEvent


def record(
    action,
    *,
    actor=None,
    request=None,
    pass_obj=None,
    enterprise=None,
    from_status="",
    to_status="",
    reason="",
    data=None,
):
    if enterprise is None and request is not None:
        enterprise = request.enterprise
    return AuditEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        request=request,
        pass_obj=pass_obj,
        enterprise=enterprise,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
