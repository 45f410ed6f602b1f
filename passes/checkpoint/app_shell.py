"""The inspector page as an installable web app: its manifest and its service worker.

The service worker keeps the app shell (the page, its script, styles and icons) so that the
page loads after a reload with no network; the page itself keeps the keys, the revocation list
and the signed list of active passes (``offline.js``). The worker is served from the page's
own path so that its scope covers the page; its cache name changes with the shell's files, so a
deployment with new static files replaces the old copy.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import access
from ..web.app_shell import manifest_response, service_worker_response

SHELL_STATIC = (
    "passes/portal.css",
    "passes/portal.js",
    "passes/checkpoint/checkpoint.css",
    "passes/checkpoint/offline.js",
    "passes/checkpoint/inspector.js",
    "passes/vendor/jsQR.js",
    "passes/checkpoint/icon-192.png",
    "passes/checkpoint/icon-512.png",
)

_WORKER = """/* passdesk inspector page: service worker (from passes/checkpoint/app_shell.py). */
"use strict";
var CACHE = "passdesk-shell-%(version)s";
var PAGE = %(page)s;
var SHELL = %(shell)s;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.concat([PAGE]).map(function (url) {
      return new Request(url, { credentials: "same-origin", cache: "reload" });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("passdesk-shell-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {
    // The page: fresh from the network when there is one (new checkpoints, a new login),
    // the kept copy when there is none.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(PAGE, { ignoreSearch: true });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request).then(function (kept) {
      return kept || fetch(request);
    }));
  }
});
"""


def _shell_urls() -> list[str]:
    return [static(path) for path in SHELL_STATIC] + [reverse("passes:checkpoint-manifest")]


@access.public("the inspector page's offline shell: static code")
@require_GET
def service_worker(request):
    return service_worker_response(_WORKER, shell=_shell_urls(), page=reverse("passes:checkpoint"))


@access.public("the inspector page's web app manifest")
@require_GET
def manifest(request):
    return manifest_response(
        name=_("passdesk checkpoint"),
        short_name=_("Checkpoint"),
        description=_("Check vehicle passes at a checkpoint, with or without a network."),
        start_url=reverse("passes:checkpoint"),
        theme_color="#0b5cad",
    )
