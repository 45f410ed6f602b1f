"""Attaching scans to a request: a JSON endpoint the page's script calls once per file, which
also answers a plain form post (several files) with a redirect and messages."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ... import access
from ...documents.ocr.presenting import summarize
from ...errors import WorkflowError
from ...models import Document, PassRequest
from ..access import member_required, owned
from ..checklist import targets
from ..forms.requests import UploadForm
from ..ratelimit import limit_posts
from .common import UploadRejected, attach_document, remove_document, replace_document


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _target_objects(pass_request, target):
    """``item:<id>`` / ``driver:<id>`` looked up on this request only."""
    if target.startswith("item:"):
        return {"item": pass_request.items.get(pk=int(target[5:]))}
    if target.startswith("driver:"):
        driver_id = int(target[7:])
        item = pass_request.items.filter(drivers__pk=driver_id).first()
        if item is None:
            raise ValueError(target)
        return {"driver": item.drivers.get(pk=driver_id)}
    return {}


def _store(request, pass_request, form, uploaded):
    data = form.cleaned_data
    replaces = data.get("replaces")
    if replaces:
        old = pass_request.documents.filter(pk=replaces).first()
        if old is None:
            raise UploadRejected(_("The document to replace is gone."), "gone", field="replaces")
        return replace_document(
            old, uploaded_file=uploaded, by=request.user, tested_at=data.get("tested_at")
        )
    return attach_document(
        enterprise=pass_request.enterprise,
        uploaded_file=uploaded,
        kind=data["kind"],
        by=request.user,
        request=pass_request,
        tested_at=data.get("tested_at"),
        **_target_objects(pass_request, data["target"]),
    )


@access.policy("documents")
@require_POST
@member_required
@limit_posts("upload", per="user")
def upload(request, pk):
    pass_request = owned(request, PassRequest.objects.select_related("pass_type"), pk=pk)
    form = UploadForm(request.POST, request.FILES, targets=targets(pass_request))
    as_json = _wants_json(request)
    if not form.is_valid():
        message = " ".join(
            f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        if as_json:
            return JsonResponse({"ok": False, "code": "invalid", "message": message}, status=400)
        messages.error(request, message)
        return redirect("passes:request-step", pk=pk, step="documents")
    results = []
    for uploaded in form.cleaned_data["file"]:
        try:
            document = _store(request, pass_request, form, uploaded)
        except UploadRejected as error:
            results.append((False, error.code, error.message, None))
        except WorkflowError as error:
            results.append((False, error.code, error.message, None))
        except (ValueError, PassRequest.DoesNotExist, Document.DoesNotExist):
            results.append((False, "invalid_target", _("Choose what the scan belongs to."), None))
        else:
            text = _("“%(name)s” was added as %(kind)s.") % {
                "name": document.original_name,
                "kind": document.get_kind_display(),
            }
            # Read at once when the machine check runs in-process; otherwise the list shows
            # the reading when it comes.
            mismatches = summarize(Document.objects.get(pk=document.pk)).mismatches
            if mismatches:
                text = " ".join([text, *(line.text for line in mismatches)])
            results.append((True, "mismatch" if mismatches else "ok", text, document))
    if as_json:
        ok, code, message, document = results[0]
        body = {"ok": ok, "code": code, "message": str(message)}
        if document is not None:
            body["document"] = {
                "id": document.pk,
                "name": document.original_name,
                "kind": document.kind,
            }
        return JsonResponse(body, status=201 if ok else 400)
    for ok, code, message, _doc in results:
        if code == "mismatch":
            messages.warning(request, message)
        else:
            (messages.success if ok else messages.error)(request, message)
    return redirect(reverse("passes:request-step", args=[pk, "documents"]))


@access.policy("documents")
@member_required
def document_remove(request, pk, document_id):
    pass_request = owned(request, PassRequest, pk=pk)
    document = owned(request, pass_request.documents, pk=document_id)
    back = reverse("passes:request-step", args=[pk, "documents"])
    if request.method == "POST":
        try:
            remove_document(document, by=request.user)
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(file)s removed.") % {"file": document.original_name})
        return redirect(back)
    return render(
        request,
        "passes/portal/confirm.html",
        {
            "title": _("Remove %(file)s?") % {"file": document.original_name},
            "question": _("The scan is taken off request %(reference)s.")
            % {"reference": pass_request.reference},
            "confirm_label": _("Remove"),
            "cancel_url": back,
        },
    )
