"""Export links on changelists: the rows the officer is looking at (filters and search kept),
all pages, as CSV or XLSX."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..reporting import exports

FORMATS = ("csv", "xlsx")


class ExportMixin:
    export_kind = "requests"  # or "passes"

    def _export_url_name(self):
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_export"

    def get_export_urls(self):
        return [
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name=self._export_url_name(),
            )
        ]

    def get_urls(self):
        return self.get_export_urls() + super().get_urls()

    def has_export_permission(self, request):
        return request.user.has_perm("passes.export_data")

    def export_links(self, request):
        if not self.has_export_permission(request):
            return []
        query = request.GET.urlencode()
        links = []
        for fmt in FORMATS:
            url = reverse(f"admin:{self._export_url_name()}", kwargs={"fmt": fmt})
            links.append((fmt.upper(), f"{url}?{query}" if query else url))
        return links

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "export_links": self.export_links(request)}
        return super().changelist_view(request, extra_context)

    def export_view(self, request, fmt):
        if fmt not in FORMATS or not self.has_export_permission(request):
            raise PermissionDenied
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        rows = (
            exports.pass_rows(queryset)
            if self.export_kind == "passes"
            else exports.request_rows(queryset)
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = f"{self.export_kind}-{stamp}.{fmt}"
        if fmt == "csv":
            response = StreamingHttpResponse(
                exports.csv_chunks(rows), content_type="text/csv; charset=utf-8"
            )
        else:
            title = _("Passes") if self.export_kind == "passes" else _("Requests")
            response = HttpResponse(
                exports.xlsx_bytes(rows, str(title)),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
