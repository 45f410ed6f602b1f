"""``/api/redoc/`` served without anything from outside: drf-spectacular's own template links
Google Fonts, and Redoc's bundle shows a logo from its CDN. Our template has no font links, the
settings name system fonts, and a Content-Security-Policy keeps the browser from fetching any
other origin (the logo's ``onError`` then removes it)."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

SELF_ONLY_POLICY = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; connect-src 'self'"
)


class OfflineRedocView(SpectacularRedocView):
    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = SELF_ONLY_POLICY
        return response
