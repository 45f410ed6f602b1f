"""Checkpoint pages, included into ``passes.urls`` (namespace "passes")."""

from django.urls import path

from . import app_shell, views

urlpatterns = [
    path("checkpoint/", views.inspector, name="checkpoint"),
    path("checkpoint/sw.js", app_shell.service_worker, name="checkpoint-sw"),
    path("checkpoint/manifest.webmanifest", app_shell.manifest, name="checkpoint-manifest"),
    path("v/", views.verify_form, name="verify"),
    # The QR code's URL: <PASSDESK_PUBLIC_BASE_URL>/v/<token> (signing.tokens.verification_url).
    path("v/<str:token>", views.verify_token, name="verify-token"),
]
