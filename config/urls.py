from django.contrib import admin
from django.urls import include, path

from passes.admin.dashboard import dashboard_view

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "admin/passes/dashboard/",
        admin.site.admin_view(dashboard_view),
        name="passes_admin_dashboard",
    ),
    path("admin/", admin.site.urls),
    path("", include("passes.urls")),
]
