"""The driver's e-pass pages: no account, no password; the link's token is the key.

``/d/<token>`` draws the e-pass on the server (readable with no script at all, as in WeChat's
and Alipay's in-app browsers on a slow network), ``/d/<token>/state`` gives the same as JSON for
the page's refresh, and ``/d/`` lists the e-passes kept on this phone (the installed app's start
page). Each address may ask ``PASSDESK_EPASS_RATE_PER_MINUTE`` times a minute, and a token that
opens nothing counts against a smaller allowance (``PASSDESK_EPASS_MISSES_PER_MINUTE``), so
tokens cannot be guessed by trying.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from .. import access
from ..epass import links
from ..ratelimit import client_address, hit
from . import epass


def _limited(request, token_found: bool | None = None) -> bool:
    address = client_address(request)
    if token_found is False:
        return not hit(f"epass-miss:{address}", settings.PASSDESK_EPASS_MISSES_PER_MINUTE, 60)
    return not hit(f"epass:{address}", settings.PASSDESK_EPASS_RATE_PER_MINUTE, 60)


def _private(response, status=None):
    """No caching by proxies, no address in a Referer, not indexed: the path is a key."""
    if status:
        response.status_code = status
    response["Cache-Control"] = "no-cache, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(request, context, status=200):
    context = {
        "epass_config": {
            "serviceWorkerUrl": reverse("passes:epass-sw"),
            "scope": reverse("passes:epass-home"),
            "messages": epass.messages(),
            "card": context.get("script_card"),
        },
        **context,
    }
    return _private(render(request, "passes/driver/epass.html", context), status)


def _lookup(request, token):
    """(link, None) when the token opens an e-pass now; (None, status) otherwise: 429 past the
    limits, 410 for a withdrawn or ended link, 404 for a token that never opened anything."""
    if _limited(request):
        return None, 429
    link = links.resolve(token)
    if link is None:
        return None, 429 if _limited(request, token_found=False) else 404
    if link.state() != "active":
        return None, 410
    return link, None


@access.public("a driver's e-pass: whoever holds the link's unguessable token, rate-limited")
@never_cache
@gzip_page
@require_GET
def epass_page(request, token):
    link, status = _lookup(request, token)
    if link is None:
        return _page(request, {"missing": status, "throttled": status == 429}, status)
    links.mark_opened(link)
    now = timezone.now()
    state_url = reverse("passes:epass-state", args=[token])
    card = epass.card(link, state_url=state_url, at=now)
    # The script gets the card's data once; the QR code's path it reads from the drawn page.
    script_card = {key: value for key, value in card.items() if key != "qr_path"}
    return _page(request, {"card": card, "now": now, "script_card": script_card})


@access.public("the JSON of a driver's e-pass, for its page's refresh: by token, rate-limited")
@never_cache
@gzip_page
@require_GET
def epass_state(request, token):
    link, status = _lookup(request, token)
    if link is None:
        data = epass.gone() if status in (404, 410) else {"state": "throttled"}
        return _private(JsonResponse(data, json_dumps_params={"ensure_ascii": False}), status)
    state_url = reverse("passes:epass-state", args=[token])
    data = epass.card(link, state_url=state_url)
    return _private(JsonResponse(data, json_dumps_params={"ensure_ascii": False}))


@access.public("the list of e-passes kept on this phone: drawn by its script, no data")
@never_cache
@gzip_page
@require_GET
def epass_home(request):
    return _page(request, {"home": True})
