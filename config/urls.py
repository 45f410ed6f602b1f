from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from passes import access
from passes.admin.dashboard import dashboard_view
from passes.api.docs import OfflineRedocView
from passes.health import healthz, readyz


@access.public("the site's icon")
def favicon(request):
    """Browsers ask every site for /favicon.ico; the admin's pages (which name no icon) get
    passdesk's instead of a 404."""
    return redirect(static("passes/favicon.ico"), permanent=False)


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("readyz/", readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("passes.portal.auth_urls")),
    path("api/v1/", include("passes.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", OfflineRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path(
        "admin/passes/dashboard/",
        admin.site.admin_view(dashboard_view),
        name="passes_admin_dashboard",
    ),
    path("admin/", admin.site.urls),
    path("", include("passes.urls")),
]

# JSON errors under /api/, the usual pages elsewhere.
handler404 = "passes.api.errors.page_not_found"
handler500 = "passes.api.errors.server_error"
