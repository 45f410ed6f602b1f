"""Bulk import pages: upload, progress (polling a small JSON view), result, templates."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from ... import access
from ...enterprises import fleet_import
from ...models.imports import ImportJob
from ..access import member_required, owned
from ..forms.fleet import ImportForm
from ..ratelimit import limit_posts


@access.policy("imports")
@member_required
@limit_posts("upload", per="user")
def import_new(request):
    initial = {"kind": request.GET.get("kind") or ImportJob.Kind.VEHICLES}
    form = ImportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = fleet_import.start_import(
                enterprise=request.enterprise,
                user=request.user,
                kind=form.cleaned_data["kind"],
                uploaded=form.cleaned_data["file"],
                language=get_language(),
            )
        except fleet_import.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("passes:import-detail", pk=job.pk)
    recent = ImportJob.objects.filter(enterprise=request.enterprise)[:10]
    return render(request, "passes/portal/import_new.html", {"form": form, "recent": recent})


@access.policy("imports")
@member_required
def import_detail(request, pk):
    job = owned(request, ImportJob, pk=pk)
    return render(request, "passes/portal/import_detail.html", {"job": job})


def status_payload(job):
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "total": job.total,
        "processed": job.processed,
        "created": job.created,
        "rejected": len(job.rejected_rows),
        "percent": job.percent,
        "finished": job.is_finished,
        "error": job.error,
    }


@access.policy("imports")
@member_required
def import_status(request, pk):
    job = owned(request, ImportJob, pk=pk)
    return JsonResponse(status_payload(job))


@access.policy("imports")
@member_required
def import_template(request, kind, fmt):
    if kind not in ImportJob.Kind.values or fmt not in ("csv", "xlsx"):
        raise Http404("no such template")
    content, content_type = fleet_import.template_file(kind, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="passdesk-{kind}.{fmt}"'
    return response
