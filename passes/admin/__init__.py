"""The Django admin, one module per area. Importing them registers the model admins."""

from django.contrib import admin

from . import catalog, enterprises, queue, reasons, requests, scans  # noqa: F401

# The index lists the review queue and the dashboard first (passes/templates/admin/passes/).
admin.site.index_template = "admin/passes/index.html"
