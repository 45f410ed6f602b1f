"""Vehicles and drivers: lists, forms, deletion and their standing documents.

Both kinds share one set of views, told apart by a ``FleetKind`` description; the work is done by
``passes.enterprises.fleet`` (create, update, delete) and ``passes.documents`` (scans).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ... import access
from ...enterprises import fleet
from ...errors import WorkflowError
from ...models import DocumentKind, Driver, Vehicle
from ...models.catalog import DRIVER_DOCUMENT_KINDS, VEHICLE_DOCUMENT_KINDS
from ..access import member_required, owned
from ..forms.fleet import DriverForm, StandingDocumentForm, VehicleForm
from ..ratelimit import limit_posts
from .common import UploadRejected, attach_document, remove_document


@dataclass(frozen=True)
class FleetKind:
    name: str  # "vehicle" or "driver": URL names and template switches
    model: type
    form: type
    create: object
    update: object
    delete: object
    document_kinds: tuple
    title: object
    title_one: object

    def label(self, obj):
        return obj.plate if self.name == "vehicle" else obj.name


VEHICLES = FleetKind(
    "vehicle",
    Vehicle,
    VehicleForm,
    fleet.create_vehicle,
    fleet.update_vehicle,
    fleet.delete_vehicle,
    (*sorted(VEHICLE_DOCUMENT_KINDS), DocumentKind.OTHER),
    gettext_lazy("Vehicles"),
    gettext_lazy("Vehicle"),
)
DRIVERS = FleetKind(
    "driver",
    Driver,
    DriverForm,
    fleet.create_driver,
    fleet.update_driver,
    fleet.delete_driver,
    (*sorted(DRIVER_DOCUMENT_KINDS), DocumentKind.OTHER),
    gettext_lazy("Drivers"),
    gettext_lazy("Driver"),
)
KINDS = {"vehicle": VEHICLES, "driver": DRIVERS}


def _search(kind, queryset, query):
    if not query:
        return queryset
    if kind is VEHICLES:
        return queryset.filter(Q(plate__icontains=query.replace("·", "")) | Q(licence_number=query))
    return queryset.filter(Q(name__icontains=query) | Q(phone__contains=query))


@access.policy("fleet")
@member_required
def fleet_list(request, kind):
    kind = KINDS[kind]
    query = request.GET.get("q", "").strip()
    queryset = _search(kind, kind.model.objects.filter(enterprise=request.enterprise), query)
    page = Paginator(queryset.prefetch_related("documents"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "passes/portal/fleet_list.html",
        {"kind": kind, "page": page, "query": query, "total": queryset.count()},
    )


def _save(request, kind, instance=None):
    # The form gets its own copy: a valid ModelForm writes into its instance, and the service
    # compares the stored values with the new ones to record what changed.
    shown = kind.model.objects.get(pk=instance.pk) if instance is not None else None
    form = kind.form(request.POST or None, instance=shown)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if instance is None:
                obj = kind.create(enterprise=request.enterprise, by=request.user, data=data)
            else:
                obj = kind.update(instance, by=request.user, data=data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(what)s saved.") % {"what": kind.label(obj)})
            back = _safe_next(request)
            return redirect(back or reverse(f"passes:{kind.name}-detail", args=[obj.pk]))
    return render(
        request,
        "passes/portal/fleet_form.html",
        {"kind": kind, "form": form, "obj": instance, "next": _safe_next(request)},
    )


def _safe_next(request):
    """Where to go after saving, e.g. back to the request being filed; local URLs only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@access.policy("fleet")
@member_required
def fleet_create(request, kind):
    return _save(request, KINDS[kind])


@access.policy("fleet")
@member_required
def fleet_edit(request, kind, pk):
    kind = KINDS[kind]
    return _save(request, kind, owned(request, kind.model, pk=pk))


@access.policy("fleet")
@member_required
@limit_posts("upload", per="user")
def fleet_detail(request, kind, pk):
    kind = KINDS[kind]
    obj = owned(request, kind.model, pk=pk)
    form = StandingDocumentForm(
        request.POST or None, request.FILES or None, kinds=kind.document_kinds
    )
    if request.method == "POST" and form.is_valid():
        try:
            attach_document(
                enterprise=request.enterprise,
                by=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
                tested_at=form.cleaned_data.get("tested_at"),
                **{kind.name: obj},
            )
        except UploadRejected as error:
            field = error.field if error.field in form.fields else "file"
            form.add_error(field, error.message)
        else:
            messages.success(
                request,
                _("%(file)s was added to %(what)s.")
                % {"file": form.cleaned_data["file"].name, "what": kind.label(obj)},
            )
            return redirect(f"passes:{kind.name}-detail", pk=obj.pk)
    documents = (
        obj.documents.filter(request__isnull=True)
        .select_related("reading")
        .order_by("kind", "-uploaded_at")
    )
    return render(
        request,
        "passes/portal/fleet_detail.html",
        {"kind": kind, "obj": obj, "documents": documents, "form": form},
    )


@access.policy("fleet")
@member_required
def fleet_delete(request, kind, pk):
    kind = KINDS[kind]
    obj = owned(request, kind.model, pk=pk)
    if request.method == "POST":
        try:
            kind.delete(obj, by=request.user)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect(f"passes:{kind.name}-detail", pk=obj.pk)
        messages.success(request, _("%(what)s deleted.") % {"what": kind.label(obj)})
        return redirect(f"passes:{kind.name}-list")
    return render(request, "passes/portal/fleet_delete.html", {"kind": kind, "obj": obj})


@access.policy("fleet")
@member_required
def document_delete(request, kind, pk, document_id):
    """Remove a standing document of a vehicle or driver (not one filed on a request)."""
    kind = KINDS[kind]
    obj = owned(request, kind.model, pk=pk)
    document = owned(request, obj.documents.filter(request__isnull=True), pk=document_id)
    if request.method == "POST":
        try:
            remove_document(document, by=request.user)
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(file)s removed.") % {"file": document.original_name})
        return redirect(f"passes:{kind.name}-detail", pk=obj.pk)
    return render(
        request,
        "passes/portal/confirm.html",
        {
            "title": _("Remove %(file)s?") % {"file": document.original_name},
            "question": _("The scan is removed from %(what)s.") % {"what": kind.label(obj)},
            "confirm_label": _("Remove"),
            "cancel_url": reverse(f"passes:{kind.name}-detail", args=[obj.pk]),
        },
    )
