"""Checkpoint API routes, included into ``passes.api.urls`` under ``/api/v1/``."""

from django.urls import path

from . import api

urlpatterns = [
    path("scans/", api.ScanView.as_view(), name="scan-create"),
    path("scans/decision/", api.DecisionView.as_view(), name="scan-decision"),
    path("checkpoint/active-passes/", api.ActivePassListView.as_view(), name="active-passes"),
    path("revocations/", api.RevocationFeedView.as_view(), name="revocation-feed"),
]
