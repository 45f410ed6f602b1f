"""The e-pass as an installable web app: its manifest and service worker (the inspector page's
pattern, ``checkpoint/app_shell.py``).

The worker keeps the shell (style, script, icons, ``/d/``) and a copy of each e-pass page the
phone opened, network first: with no network the kept copy opens, and its script shows the
last state it knew with its age. A link that answers 404 or 410 (withdrawn, ended) has its kept
copy thrown away. The state JSON is never kept by the worker: a failed refresh is how the page
knows it is offline. WeChat's and Alipay's in-app browsers may have no service worker; the page
works without one (drawn by the server, refreshed by its script while it is open).
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import access
from ..web.app_shell import manifest_response, service_worker_response

SHELL_STATIC = (
    "passes/driver/epass.css",
    "passes/driver/epass.js",
    "passes/checkpoint/icon-192.png",
    "passes/checkpoint/icon-512.png",
)

_WORKER = """/* passdesk driver's e-pass: service worker (from passes/driver/app_shell.py). */
"use strict";
var CACHE = "passdesk-epass-%(version)s";
var HOME = %(home)s;
var SHELL = %(shell)s;
var STATE = /\\/state$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // The browser's HTTP cache may answer: the page has just fetched the same files.
    return cache.addAll(SHELL.concat([HOME]).map(function (url) {
      return new Request(url, { credentials: "same-origin" });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("passdesk-epass-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }).then(keepOpenPages));
});

// The e-pass pages opened before this worker was in charge: fetched once more and kept.
function keepOpenPages() {
  return self.clients.matchAll({ includeUncontrolled: true, type: "window" })
    .then(function (windows) {
      return caches.open(CACHE).then(function (cache) {
        return Promise.all(windows.map(function (client) {
          var url = new URL(client.url);
          if (url.pathname.indexOf(HOME) !== 0 || STATE.test(url.pathname)) return null;
          return fetch(url.pathname, { credentials: "same-origin" }).then(function (response) {
            if (response.ok) return cache.put(url.origin + url.pathname, response);
          }).catch(function () { return null; });
        }));
      });
    });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request).then(function (kept) {
      return kept || fetch(request);
    }));
    return;
  }
  if (url.pathname.indexOf(HOME) !== 0 || STATE.test(url.pathname)) return;
  var key = url.origin + url.pathname;
  event.respondWith(fetch(request).then(function (response) {
    var copy = response.ok && !response.redirected ? response.clone() : null;
    var gone = response.status === 404 || response.status === 410;
    if (copy || gone) {
      caches.open(CACHE).then(function (cache) {
        return copy ? cache.put(key, copy) : cache.delete(key);
      });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (kept) { return kept || caches.match(HOME); });
  }));
});
"""


def _shell_urls() -> list[str]:
    return [static(path) for path in SHELL_STATIC] + [reverse("passes:epass-manifest")]


@access.public("the e-pass page's offline shell: static code")
@require_GET
def service_worker(request):
    return service_worker_response(_WORKER, shell=_shell_urls(), home=reverse("passes:epass-home"))


@access.public("the e-pass page's web app manifest")
@require_GET
def manifest(request):
    return manifest_response(
        name=_("E-pass"),
        short_name=_("E-pass"),
        description=_("Your vehicle pass on this phone, equal to the printed one."),
        start_url=reverse("passes:epass-home"),
        theme_color="#0b7a34",
    )
