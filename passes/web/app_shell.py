"""Installable web apps (the inspector page, the driver's e-pass): the one way their service
workers and manifests are served.

A worker's cache name carries a digest of the files it keeps, so a deployment with new static
files replaces the old copy; the worker itself is never cached by the browser (``no-cache``),
so that a new one is found on the next visit.
"""

import hashlib
import json

from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static

ICON_SIZES = (192, 512)


def service_worker_response(script: str, *, shell: list[str], **urls: str) -> HttpResponse:
    """``script`` with ``%(version)s``, ``%(shell)s`` and each of ``urls`` filled in (as JSON)."""
    version = hashlib.sha256(json.dumps([*urls.values(), *shell]).encode()).hexdigest()[:12]
    values = {name: json.dumps(url) for name, url in urls.items()}
    body = script % {"version": version, "shell": json.dumps(shell), **values}
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def manifest_response(
    *, name: str, short_name: str, description: str, start_url: str, theme_color: str
) -> JsonResponse:
    """A web app manifest that opens ``start_url`` standalone, in portrait, with our icons."""
    data = {
        "name": name,
        "short_name": short_name,
        "description": description,
        "start_url": start_url,
        "scope": start_url,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": theme_color,
        "icons": [
            {
                "src": static(f"passes/checkpoint/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in ICON_SIZES
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
