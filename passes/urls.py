"""Every route the site answers. ``config/urls.py`` includes this module and nothing else, so the
project's configuration names the app only in strings and never imports it.

- ``site_urlpatterns``: under their global names, the health checks, the API and its schema and
  docs, the officers' dashboard and Django's admin;
- ``app_urlpatterns``: the app's own pages (portal, files, checkpoint, e-pass), in the
  namespace "passes". Each area adds its include there.
"""

from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import access
from .admin.dashboard import dashboard_view
from .api.docs import OfflineRedocView
from .documents import views as views_files
from .health.views import healthz, readyz
from .issuing import views as views_passes
from .portal.views import inbox as views_inbox
from .portal.views import notifications as views_notifications

app_urlpatterns = [
    path("", include("passes.portal.urls")),
    path("files/documents/<int:pk>/", views_files.document_file, name="document-file"),
    path(
        "files/documents/<int:pk>/thumbnail/",
        views_files.document_thumbnail,
        name="document-thumbnail",
    ),
    path(
        "files/documents/<int:pk>/pages/<int:page>/",
        views_files.document_page,
        name="document-page",
    ),
    path("", include("passes.checkpoint.urls")),
    path("", include("passes.driver.urls")),
    path(
        "notifications/",
        views_notifications.notification_settings,
        name="notification-settings",
    ),
    path("notifications/received/", views_inbox.notification_list, name="notification-list"),
    path("notifications/wechat/bind/", views_notifications.wechat_bind, name="wechat-bind"),
    path(
        "notifications/wechat/callback/",
        views_notifications.wechat_callback,
        name="wechat-callback",
    ),
    path("notifications/wechat/unbind/", views_notifications.wechat_unbind, name="wechat-unbind"),
    path("notifications/webhooks/", views_notifications.webhook_list, name="webhook-list"),
    path(
        "notifications/webhooks/docs/",
        views_notifications.webhook_docs,
        name="webhook-docs",
    ),
    path(
        "notifications/webhooks/<int:pk>/",
        views_notifications.webhook_detail,
        name="webhook-detail",
    ),
    path(
        "notifications/webhooks/<int:pk>/<slug:action>/",
        views_notifications.webhook_action,
        name="webhook-action",
    ),
    path("passes/<str:number>/pdf/", views_passes.pass_pdf, name="pass-pdf"),
    path(
        "requests/<int:pk>/passes.pdf",
        views_passes.request_passes_pdf,
        name="request-passes-pdf",
    ),
]


@access.public("the site's icon")
def favicon(request):
    """Browsers ask every site for /favicon.ico; the admin's pages (which name no icon) get
    passdesk's instead of a 404."""
    return redirect(static("passes/favicon.ico"), permanent=False)


site_urlpatterns = [
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
]

urlpatterns = [*site_urlpatterns, path("", include((app_urlpatterns, "passes")))]
