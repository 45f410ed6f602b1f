"""Checkpoint API routes, included into ``passes.api.urls`` under ``/api/v1/``."""

from django.urls import path

from . import api

urlpatterns = [
    path("scans/", api.ScanView.as_view(), name="scan-create"),
    path("revocations/", api.RevocationFeedView.as_view(), name="revocation-feed"),
]
