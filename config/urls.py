"""The project's URLconf. Every route is the app's (``passes.urls``): config names the app
only in strings and imports nothing of it, so no arrow climbs from the project's configuration
back up into the app (the import contracts in pyproject.toml hold it)."""

from django.urls import include, path

urlpatterns = [path("", include("passes.urls"))]

# JSON errors under /api/, the usual pages elsewhere.
handler404 = "passes.api.errors.page_not_found"
handler500 = "passes.api.errors.server_error"
