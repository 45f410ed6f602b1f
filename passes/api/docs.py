"""``/api/redoc/`` served without anything from outside: drf-spectacular's own template links
Google Fonts and starts Redoc with an inline script, and Redoc's bundle shows a logo from its
CDN. Our template has no font links and no inline script (``passes/redoc-init.js`` starts it),
the settings name system fonts, and the site's Content-Security-Policy keeps the browser from
fetching any other origin (the logo's ``onError`` then removes it)."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

from .. import access


class OfflineRedocView(SpectacularRedocView):
    access_policy = access.PUBLIC
    access_reason = "the API documentation"
    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
