"""passdesk's own routes. Each area (portal, API, files, checkpoint) adds its include here."""

from django.urls import include, path

from . import views_files, views_passes

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
    path("passes/<str:number>/pdf/", views_passes.pass_pdf, name="pass-pdf"),
    path(
        "requests/<int:pk>/passes.pdf",
        views_passes.request_passes_pdf,
        name="request-passes-pdf",
    ),
]
