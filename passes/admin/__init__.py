"""The Django admin, one module per area. Importing them registers the model admins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401
    audit_trail,
    catalog,
    enterprises,
    queue,
    reasons,
    requests,
    scans,
    trust,  # noqa: F401
    trust_claims,
)
from . import messaging as _messaging  # noqa: F401 - announcements, reply templates, FAQ
from . import notifications as _notifications  # noqa: F401 - registers the outbox admin

# The index lists the review queue and the dashboard first (passes/templates/admin/passes/).
admin.site.index_template = "admin/passes/index.html"
admin.site.site_header = _("passdesk · pass office")
admin.site.site_title = _("passdesk")
admin.site.index_title = _("Pass office administration")
# No model list down the left of every page: at 1366 px it took a fifth of the width and pushed
# list columns out of view; the breadcrumbs and the index lead everywhere instead.
admin.site.enable_nav_sidebar = False
