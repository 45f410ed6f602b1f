"""The driver's e-pass pages, included into ``passes.urls`` (namespace "passes")."""

from django.urls import path

from . import app_shell, views

urlpatterns = [
    path("d/", views.epass_home, name="epass-home"),
    path("d/sw.js", app_shell.service_worker, name="epass-sw"),
    path("d/manifest.webmanifest", app_shell.manifest, name="epass-manifest"),
    # The link sent by SMS: <PASSDESK_PUBLIC_BASE_URL>/d/<token> (epass.links.link_url).
    path("d/<str:token>", views.epass_page, name="epass"),
    path("d/<str:token>/state", views.epass_state, name="epass-state"),
]
