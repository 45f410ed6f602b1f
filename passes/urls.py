"""passdesk's own routes. Each area (portal, API, files, checkpoint) adds its include here."""

from django.urls import include, path

from .documents import views as views_files
from .issuing import views as views_passes
from .portal.views import inbox as views_inbox
from .portal.views import notifications as views_notifications

app_name = "passes"

urlpatterns = [
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
