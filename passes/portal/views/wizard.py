"""The new-request wizard: pass type → route and validity → vehicles and drivers → documents →
review and submit. Every step saves the draft through ``requests.filing``; a draft is resumed at
its first unfinished step. Returned requests are corrected with the same steps."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ... import access
from ...documents.ocr.presenting import summarize
from ...errors import WorkflowError
from ...models import Document, DocumentReading, PassRequest
from ...requests import filing, workflow
from ..access import member_required, owned
from ..checklist import checklist, targets
from ..forms.requests import AddVehicleForm, DetailsForm, PassTypeForm, UploadForm

STEPS = (
    ("type", gettext_lazy("Pass type")),
    ("details", gettext_lazy("Route and validity")),
    ("vehicles", gettext_lazy("Vehicles and drivers")),
    ("documents", gettext_lazy("Documents")),
    ("review", gettext_lazy("Review and submit")),
)
STEP_NAMES = [name for name, _label in STEPS]


def step_done(pass_request, step):
    if step == "type":
        return True
    if step == "details":
        return all(
            (
                pass_request.cargo_description,
                pass_request.origin,
                pass_request.destination,
                pass_request.valid_from,
                pass_request.valid_until,
            )
        )
    if step == "vehicles":
        items = list(pass_request.items.prefetch_related("drivers"))
        return bool(items) and all(item.drivers.all() for item in items)
    if step == "documents":
        return not workflow.missing_documents(pass_request)
    return False


def first_open_step(pass_request):
    for name in STEP_NAMES[:-1]:
        if not step_done(pass_request, name):
            return name
    return "review"


def machine_flagged(pass_request) -> bool:
    """Whether a scan the request relies on was machine-read differently from what was filed:
    the documents step then shows a warning, never a plain tick."""
    return (
        Document.objects.relied_on_by(pass_request)
        .filter(
            reading__status=DocumentReading.Status.READ,
            reading__outcome=DocumentReading.Outcome.MISMATCH,
        )
        .exists()
    )


def _context(pass_request, current, **extra):
    steps = []
    for index, (name, label) in enumerate(STEPS, start=1):
        done = pass_request is not None and name != current and step_done(pass_request, name)
        flagged = done and name == "documents" and machine_flagged(pass_request)
        steps.append(
            {"name": name, "label": label, "number": index, "done": done, "flagged": flagged}
        )
    number = STEP_NAMES.index(current) + 1
    return {
        "request_obj": pass_request,
        "steps": steps,
        "current": current,
        "step_number": number,
        "step_label": STEPS[number - 1][1],
        "next_step": STEP_NAMES[number] if number < len(STEPS) else None,
        "previous_step": STEP_NAMES[number - 2] if number > 1 else None,
        **extra,
    }


def _go_on(request, pass_request, step):
    """After a save: "save and exit" goes to the request page, otherwise to the next step."""
    if "exit" in request.POST:
        messages.success(
            request,
            _("Draft %(reference)s saved. You can resume it from your requests.")
            % {"reference": pass_request.reference},
        )
        return redirect("passes:request-detail", pk=pass_request.pk)
    following = STEP_NAMES[STEP_NAMES.index(step) + 1]
    return redirect("passes:request-step", pk=pass_request.pk, step=following)


def _editable(request, pk):
    pass_request = owned(
        request, PassRequest.objects.select_related("pass_type", "enterprise"), pk=pk
    )
    if not pass_request.is_editable:
        messages.info(
            request,
            _("Request %(reference)s is %(status)s and can no longer be changed.")
            % {"reference": pass_request.reference, "status": pass_request.get_status_display()},
        )
        return pass_request, redirect("passes:request-detail", pk=pass_request.pk)
    return pass_request, None


def _add_errors(form, error):
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@access.policy("requests")
@member_required
def new_request(request):
    """Step 1 without a draft yet: choosing the pass type creates it."""
    form = PassTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pass_request = filing.create_draft(
                by=request.user, data={"pass_type": form.cleaned_data["pass_type"].pk}
            )
        except ValidationError as error:
            _add_errors(form, error)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            return _go_on(request, pass_request, "type")
    return render(request, "passes/portal/wizard_type.html", _context(None, "type", form=form))


@access.policy("requests")
@member_required
def resume(request, pk):
    pass_request, leave = _editable(request, pk)
    if leave:
        return leave
    return redirect("passes:request-step", pk=pk, step=first_open_step(pass_request))


@access.policy("requests")
@member_required
def step(request, pk, step):
    pass_request, leave = _editable(request, pk)
    if leave:
        return leave
    view = {
        "type": _type_step,
        "details": _details_step,
        "vehicles": _vehicles_step,
        "documents": _documents_step,
        "review": _review_step,
    }[step]
    return view(request, pass_request)


def _save(request, pass_request, form, step, data):
    try:
        filing.update_request(pass_request, by=request.user, data=data)
    except ValidationError as error:
        _add_errors(form, error)
    except WorkflowError as error:
        form.add_error(None, error.message)
    else:
        return _go_on(request, pass_request, step)
    return None


def _type_step(request, pass_request):
    form = PassTypeForm(request.POST or None, initial={"pass_type": pass_request.pass_type})
    if request.method == "POST" and form.is_valid():
        data = {"pass_type": form.cleaned_data["pass_type"].pk}
        done = _save(request, pass_request, form, "type", data)
        if done:
            return done
    return render(
        request, "passes/portal/wizard_type.html", _context(pass_request, "type", form=form)
    )


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _details_step(request, pass_request):
    initial = {
        "cargo_category": pass_request.cargo_category,
        "cargo_description": pass_request.cargo_description,
        "origin": pass_request.origin,
        "destination": pass_request.destination,
        "route_description": pass_request.route_description,
        "checkpoints": list(pass_request.checkpoints.all()),
        "valid_from": _local(pass_request.valid_from),
        "valid_until": _local(pass_request.valid_until),
    }
    form = DetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["checkpoints"] = [cp.pk for cp in data["checkpoints"]]
        done = _save(request, pass_request, form, "details", data)
        if done:
            return done
    return render(
        request,
        "passes/portal/wizard_details.html",
        _context(pass_request, "details", form=form, pass_type=pass_request.pass_type),
    )


def _items(pass_request):
    return [
        {"vehicle": item.vehicle_id, "drivers": [d.pk for d in item.drivers.all()]}
        for item in pass_request.items.order_by("pk").prefetch_related("drivers")
    ]


def _vehicles_step(request, pass_request):
    current = _items(pass_request)
    on_request = [row["vehicle"] for row in current]
    add_form = AddVehicleForm(
        request.POST if request.POST.get("action") == "add" else None,
        enterprise=request.enterprise,
        exclude_vehicles=on_request,
    )
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "add" and add_form.is_valid():
                vehicle = add_form.cleaned_data["vehicle"]
                drivers = [d.pk for d in add_form.cleaned_data["drivers"]]
                filing.set_items(
                    pass_request,
                    [*current, {"vehicle": vehicle.pk, "drivers": drivers}],
                    by=request.user,
                )
                messages.success(request, _("Vehicle %(plate)s added.") % {"plate": vehicle.plate})
                return redirect("passes:request-step", pk=pass_request.pk, step="vehicles")
            if action.startswith("remove:"):
                vehicle_id = int(action.split(":", 1)[1])
                filing.set_items(
                    pass_request,
                    [row for row in current if row["vehicle"] != vehicle_id],
                    by=request.user,
                )
                messages.success(request, _("Vehicle removed from the request."))
                return redirect("passes:request-step", pk=pass_request.pk, step="vehicles")
            if "exit" in request.POST:
                return _go_on(request, pass_request, "vehicles")
            if action == "next":
                if not current:
                    error = _("Add at least one vehicle with its drivers before going on.")
                else:
                    return _go_on(request, pass_request, "vehicles")
        except (ValidationError, WorkflowError, ValueError) as exc:
            error = " ".join(getattr(exc, "messages", None) or [str(exc)])
    items = pass_request.items.select_related("vehicle").prefetch_related("drivers")
    return render(
        request,
        "passes/portal/wizard_vehicles.html",
        _context(pass_request, "vehicles", items=items, add_form=add_form, error=error),
    )


def upload_context(pass_request, replace=None):
    choices = targets(pass_request)
    initial = {}
    if replace is not None:
        target = "request"
        if replace.driver_id:
            target = f"driver:{replace.driver_id}"
        elif replace.item_id:
            target = f"item:{replace.item_id}"
        initial = {"kind": replace.kind, "target": target, "replaces": replace.pk}
    return {
        "upload_form": UploadForm(targets=choices, initial=initial),
        "upload_url": reverse("passes:request-upload", args=[pass_request.pk]),
        "slots": checklist(pass_request),
        "attached": pass_request.documents.select_related(
            "item__vehicle", "driver", "reading"
        ).order_by("kind", "uploaded_at"),
        "replacing": replace,
    }


def _documents_step(request, pass_request):
    if request.method == "POST":
        return _go_on(request, pass_request, "documents")
    replace = None
    if request.GET.get("replace", "").isdigit():
        replace = pass_request.documents.filter(pk=int(request.GET["replace"])).first()
    return render(
        request,
        "passes/portal/wizard_documents.html",
        _context(pass_request, "documents", **upload_context(pass_request, replace)),
    )


def _review_step(request, pass_request):
    if request.method == "POST":
        action = (
            workflow.resubmit
            if pass_request.status == PassRequest.Status.RETURNED
            else workflow.submit
        )
        try:
            action(
                pass_request,
                by=request.user,
                declaration_accepted=request.POST.get("declaration") == "1",
            )
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Request %(reference)s was submitted to the traffic office.")
                % {"reference": pass_request.reference},
            )
            return redirect("passes:request-submitted", pk=pass_request.pk)
        return redirect("passes:request-step", pk=pass_request.pk, step="review")
    items = pass_request.items.select_related("vehicle").prefetch_related("drivers")
    attached = list(pass_request.documents.select_related("reading").order_by("kind", "pk"))
    # Every scan the request relies on (standing ones of its vehicles, drivers and enterprise
    # too): the reviewer sees each one's machine check, so the applicant sees it first.
    relied_on = Document.objects.relied_on_by(pass_request).select_related("reading")
    return render(
        request,
        "passes/portal/wizard_review.html",
        _context(
            pass_request,
            "review",
            items=items,
            missing=workflow.missing_documents(pass_request),
            can_submit=request.enterprise.is_verified,
            checkpoints=pass_request.checkpoints.all(),
            attached=attached,
            machine_mismatches=[
                line
                for document in relied_on.order_by("kind", "pk")
                for line in summarize(document).mismatches
            ],
        ),
    )
