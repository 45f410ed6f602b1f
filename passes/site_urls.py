"""Every route the site answers, under its global name: health checks, the API and its schema
and docs, the officers' dashboard, Django's admin, and the app's own pages (``passes.urls``,
namespace "passes"). ``config/urls.py`` includes this module and nothing else, so the project's
configuration names the app only in strings and never imports it.
"""

from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from . import access
from .admin.dashboard import dashboard_view
from .api.docs import OfflineRedocView
from .health import healthz, readyz


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
