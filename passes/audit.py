"""Writing the audit trail. Called inside the transaction of the change it records; and how
its events read to people (a translated label and the actor's name, never a raw code)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEvent

ACTION_LABELS = {
    "request.create": gettext_lazy("Draft created"),
    "request.update": gettext_lazy("Draft changed"),
    "request.renewal": gettext_lazy("Renewal filed"),
    "request.submit": gettext_lazy("Submitted"),
    "request.claim": gettext_lazy("Taken up for review"),
    "request.assign": gettext_lazy("Assigned to a reviewer"),
    "request.approve": gettext_lazy("Approved, passes issued"),
    "request.return": gettext_lazy("Returned for changes"),
    "request.reject": gettext_lazy("Rejected"),
    "request.resubmit": gettext_lazy("Resubmitted"),
    "request.withdraw": gettext_lazy("Withdrawn"),
    "request.message": gettext_lazy("Message"),
    "document.upload": gettext_lazy("Document added"),
    "document.remove": gettext_lazy("Document removed"),
    "document.replace": gettext_lazy("Document replaced"),
    "document.accepted": gettext_lazy("Document accepted"),
    "document.flagged": gettext_lazy("Document flagged"),
    "document.machine_read": gettext_lazy("Document read by machine"),
    "document.reread": gettext_lazy("Document read again by machine"),
    "pass.revoke": gettext_lazy("Pass revoked"),
    "pass.expire": gettext_lazy("Pass expired"),
    "pass.amend": gettext_lazy("Pass drivers changed"),
    "epass.send": gettext_lazy("E-pass links sent to drivers"),
    "epass.handover": gettext_lazy("E-pass link handed to a driver"),
    "epass.withdraw": gettext_lazy("E-pass links withdrawn"),
    "vehicle.create": gettext_lazy("Vehicle added"),
    "vehicle.update": gettext_lazy("Vehicle changed"),
    "vehicle.delete": gettext_lazy("Vehicle deleted"),
    "driver.create": gettext_lazy("Driver added"),
    "driver.update": gettext_lazy("Driver changed"),
    "driver.delete": gettext_lazy("Driver deleted"),
    "fleet.import_vehicles": gettext_lazy("Vehicles imported"),
    "fleet.import_drivers": gettext_lazy("Drivers imported"),
    "fleet.bulk_vehicles": gettext_lazy("Vehicles added in bulk"),
    "fleet.bulk_drivers": gettext_lazy("Drivers added in bulk"),
    "enterprise.register": gettext_lazy("Enterprise registered"),
    "enterprise.verified": gettext_lazy("Enterprise verified"),
    "enterprise.suspended": gettext_lazy("Enterprise suspended"),
    "enterprise.pending": gettext_lazy("Enterprise set back to pending verification"),
    "enterprise.key_flag": gettext_lazy("Key enterprise mark changed"),
    "enterprise.staff_add": gettext_lazy("Staff account added"),
    "enterprise.staff_remove": gettext_lazy("Staff account removed"),
    "signing_key.create": gettext_lazy("Signing key created"),
    "signing_key.rotate": gettext_lazy("Signing key rotated"),
    "signing_key.register": gettext_lazy("Signing key registered"),
    "trust_key.create": gettext_lazy("Trust-list key created"),
    "api.token_revoke": gettext_lazy("API token revoked"),
    "signing_key.withdraw": gettext_lazy("Signing key withdrawn"),
    "peer.trust_list_accepted": gettext_lazy("Peer's trust list accepted"),
    "peer.trust_list_refused": gettext_lazy("Peer's trust list refused"),
    "peer.claim_set": gettext_lazy("Peer's region code or key id set by an officer"),
    "peer.claim_removed": gettext_lazy("Peer's region code or key id removed by an officer"),
    "webhook.create": gettext_lazy("Webhook added"),
    "webhook.rotate_secret": gettext_lazy("Webhook secret renewed"),
    "webhook.delete": gettext_lazy("Webhook deleted"),
    "wechat.bind": gettext_lazy("WeChat bound"),
    "wechat.unbind": gettext_lazy("WeChat unbound"),
    "announcement.change": gettext_lazy("Announcement changed"),
    "announcement.publish": gettext_lazy("Announcement published"),
    "announcement.withdraw": gettext_lazy("Announcement withdrawn"),
}


def action_label(action: str) -> str:
    """The event in words; an unknown code still reads as words, not dotted code."""
    label = ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    return action.replace(".", " ").replace("_", " ").capitalize()


def status_label(code: str) -> str:
    """A state as people read it (a request's, a pass's or an enterprise's), not its code."""
    if not code:
        return ""
    from .models import Enterprise, Pass, PassRequest

    for choices in (PassRequest.Status, Pass.Status, Enterprise.Verification):
        if code in choices.values:
            return str(choices(code).label)
    return code


def actor_name(user) -> str:
    """The person's name (full name, else username); "System" for automatic events."""
    if user is None:
        return _("System")
    return user.get_full_name() or user.get_username()


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
