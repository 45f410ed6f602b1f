"""我的通行证 › a pass's drivers and their e-pass links: send a new link by SMS, show one as a
QR code to hand over in person, or withdraw them (``passes.epass.links``)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ... import access
from ...driver import qr
from ...epass import links
from ...errors import WorkflowError
from ...issuing import listing
from ..access import member_required, owned

ACTIONS = ("send", "withdraw", "handover")


def _rows(pass_obj, now):
    return [
        {"driver": driver, "link": link, "state": link.state(now) if link else "none"}
        for driver, link in links.links_of(pass_obj)
    ]


@access.policy("passes")
@member_required
def driver_links(request, number):
    """GET: the drivers named on the pass and their links; POST ``action`` (send, withdraw,
    handover) for the ticked ``drivers`` (hand-over: the first)."""
    pass_obj = owned(request, listing.base_queryset(), number=number)
    handed = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        chosen = [pk for pk in request.POST.getlist("drivers") if pk.isdigit()]
        try:
            if action not in ACTIONS:
                raise WorkflowError(_("Choose what to do with the links."), code="no_action")
            if not chosen:
                raise WorkflowError(_("Tick at least one driver."), code="no_drivers")
            if action == "send":
                sent = links.resend(pass_obj, chosen, by=request.user)
                messages.success(
                    request,
                    ngettext(
                        "A new link was sent by SMS to %(count)s driver.",
                        "New links were sent by SMS to %(count)s drivers.",
                        len(sent),
                    )
                    % {"count": len(sent)},
                )
            elif action == "withdraw":
                count = links.withdraw(pass_obj, chosen, by=request.user)
                messages.success(
                    request,
                    ngettext(
                        "%(count)s link was withdrawn.", "%(count)s links were withdrawn.", count
                    )
                    % {"count": count},
                )
            else:
                url = links.handover(pass_obj, chosen[0], by=request.user)
                count, path = qr.svg_path(url)
                driver = pass_obj.drivers.get(pk=chosen[0])
                handed = {"driver": driver, "url": url, "qr_box": qr.view_box(count), "qr": path}
        except WorkflowError as error:
            messages.error(request, error.message)
        if handed is None:
            return redirect("passes:pass-driver-links", number=pass_obj.number)
    now = timezone.now()
    return render(
        request,
        "passes/portal/driver_links.html",
        {
            "pass_obj": pass_obj,
            "status": pass_obj.effective_status(now),
            "rows": _rows(pass_obj, now),
            "handed": handed,
        },
    )
