from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from passes.admin.dashboard import dashboard_view
from passes.health import healthz, readyz

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("readyz/", readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("passes.portal.auth_urls")),
    path("api/v1/", include("passes.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("accounts/", include("passes.portal.auth_urls")),
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
