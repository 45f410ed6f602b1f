"""The WeChat Official Account: binding a person's (or a driver's) WeChat through the account's
web authorisation, the account's access token, and template messages.

The access token is fetched from ``/cgi-bin/stable_token`` (which, unlike the older
``/cgi-bin/token``, does not invalidate the token other servers hold) and kept in Django's
cache, which every web and worker process shares when ``CACHE_URL`` points at Redis. One
process fetches at a time (a lock key in the same cache), the others wait for its result; a
token WeChat rejects is replaced once, by the first process that sees it rejected.

A small client over httpx rather than ``wechatpy``: its last release is from 2021 and it uses
``/cgi-bin/token``; the four calls passdesk needs are below.
"""

import contextlib
import logging
import secrets
import time
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .. import audit
from ..models import WechatBinding
from .failures import (
    ConfigurationFailure,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
    seconds_until_tomorrow,
)
from .kinds import MEMBER_KINDS

logger = logging.getLogger(__name__)

TOKEN_KEY = "passdesk:wechat:token:{app}"
LOCK_KEY = "passdesk:wechat:token-lock:{app}"
LOCK_SECONDS = 15
WAIT_SECONDS = 8
# A token is dropped from the cache this long before WeChat's expiry.
EARLY_SECONDS = 300
SESSION_KEY = "passdesk_wechat_bind"

TOKEN_REJECTED = {40001, 40014, 42001}
GIVE_UP = {43004, 43101, 40003}  # unfollowed, refused the messages, unknown openid
CONFIGURATION = {40013, 40125, 40164, 40037, 47003, 48001, 40036, 41001, 40002}
RATE = {45009: "day", 45011: 60, 45047: 60}
# Template value limits by the field's type prefix (WeChat refuses longer values).
VALUE_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "car_number": 8, "number": 32}


class WechatError(Exception):
    def __init__(self, code, message):
        super().__init__(f"WeChat {code}: {message}")
        self.code = code
        self.message = message


def enabled() -> bool:
    return bool(settings.PASSDESK_WECHAT_APP_ID and settings.PASSDESK_WECHAT_APP_SECRET)


def _app() -> str:
    return settings.PASSDESK_WECHAT_APP_ID


def _url(path: str) -> str:
    return settings.PASSDESK_WECHAT_API_BASE.rstrip("/") + path


def _call(method: str, path: str, **kwargs) -> dict:
    try:
        response = httpx.request(
            method,
            _url(path),
            timeout=settings.PASSDESK_WECHAT_TIMEOUT,
            follow_redirects=False,
            trust_env=False,
            **kwargs,
        )
    except httpx.HTTPError as error:
        raise TemporaryFailure(f"WeChat: {type(error).__name__}: {error}") from error
    if response.status_code >= 300:
        raise TemporaryFailure(f"WeChat: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        raise TemporaryFailure(f"WeChat: not JSON: {response.text[:200]}") from error


# --- the access token ----------------------------------------------------------------------------


def _fetch_token(force: bool) -> tuple[str, int]:
    data = _call(
        "POST",
        "/cgi-bin/stable_token",
        json={
            "grant_type": "client_credential",
            "appid": _app(),
            "secret": settings.PASSDESK_WECHAT_APP_SECRET,
            "force_refresh": force,
        },
    )
    if not data.get("access_token"):
        classify(data.get("errcode"), data.get("errmsg", ""))
    return data["access_token"], int(data.get("expires_in") or 7200)


def _cached(key):
    try:
        return cache.get(key)
    except Exception as error:  # noqa: BLE001 - the cache is away: fetch without it
        logger.warning("WeChat token cache unavailable: %r", error)
        return None


def access_token(*, rejected: str | None = None) -> str:
    """The account's access token, shared by all processes through the cache. ``rejected``:
    the token WeChat has just refused; a different one is returned."""
    if not enabled():
        raise ConfigurationFailure(
            "Set PASSDESK_WECHAT_APP_ID and PASSDESK_WECHAT_APP_SECRET to send WeChat messages."
        )
    key, lock = TOKEN_KEY.format(app=_app()), LOCK_KEY.format(app=_app())
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        token = _cached(key)
        if token and token != rejected:
            return token
        try:
            got_lock = cache.add(lock, 1, timeout=LOCK_SECONDS)
        except Exception:  # noqa: BLE001 - no cache, no lock: fetch
            got_lock = True
        if got_lock:
            try:
                token = _cached(key)
                if token and token != rejected:
                    return token
                token, expires = _fetch_token(force=False)
                if rejected and token == rejected:  # WeChat still hands out the refused one
                    token, expires = _fetch_token(force=True)
                with contextlib.suppress(Exception):  # no cache: used uncached this once
                    cache.set(key, token, timeout=max(60, expires - EARLY_SECONDS))
                return token
            finally:
                with contextlib.suppress(Exception):  # the lock expires by itself
                    cache.delete(lock)
        if time.monotonic() > deadline:
            raise TemporaryFailure("Another process is still fetching the WeChat access token.")
        time.sleep(0.05)


def classify(code, message: str) -> None:
    """Raise the outbox's failure for a WeChat error code."""
    text = f"WeChat {code}: {message}"[:1000]
    if code in GIVE_UP:
        raise PermanentFailure(text)
    if code in CONFIGURATION:
        raise ConfigurationFailure(text)
    if code in RATE:
        wait = seconds_until_tomorrow() if RATE[code] == "day" else RATE[code]
        raise RateLimited(f"{text} (rate limited: waiting {wait} s)", retry_after=wait)
    raise TemporaryFailure(text)


# --- template messages ---------------------------------------------------------------------------


def _value(field: str, value) -> str:
    text = " ".join(str(value if value is not None else "").split())
    prefix = field.rstrip("0123456789")
    limit = VALUE_LIMITS.get(prefix)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def template_body(openid: str, template, params: dict, url: str = "") -> dict:
    """The template message: the template's fields (``field_map``: WeChat's field -> our
    parameter) filled with the parameters."""
    field_map = template.field_map or {name: name for name in params}
    body = {
        "touser": openid,
        "template_id": template.template_code,
        "data": {
            field: {"value": _value(field, params.get(ours, ""))}
            for field, ours in field_map.items()
        },
    }
    if url:
        body["url"] = url
    return body


def send_template(openid: str, template, params: dict, url: str = "") -> str:
    """Send one template message; returns WeChat's msgid. A token refused once is replaced."""
    body = template_body(openid, template, params, url)
    rejected = None
    for _attempt in (1, 2):
        token = access_token(rejected=rejected)
        data = _call(
            "POST", "/cgi-bin/message/template/send", params={"access_token": token}, json=body
        )
        code = data.get("errcode", 0)
        if code == 0:
            return str(data.get("msgid", ""))
        if code in TOKEN_REJECTED and rejected is None:
            rejected = token
            continue
        if code in (43004, 40003):
            WechatBinding.objects.filter(openid=openid, app_id=_app()).update(is_active=False)
        classify(code, data.get("errmsg", ""))
    raise TemporaryFailure("WeChat refused a fresh access token too.")


# --- binding through the web authorisation (OAuth) -----------------------------------------------


def start_binding(session, *, redirect_uri: str, user=None, driver=None, next_url="") -> str:
    """Remember in the caller's session whom the binding is for; return the authorisation URL
    to open inside WeChat. ``state`` (letters and digits, as WeChat requires) ties the
    callback to this session."""
    state = secrets.token_hex(16)
    session[SESSION_KEY] = {
        "state": state,
        "user": user.pk if user is not None else None,
        "driver": driver.pk if driver is not None else None,
        "next": next_url,
    }
    query = urlencode(
        {
            "appid": _app(),
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    return (
        f"{settings.PASSDESK_WECHAT_OAUTH_BASE.rstrip('/')}/connect/oauth2/authorize?"
        f"{query}#wechat_redirect"
    )


def openid_for_code(code: str) -> str:
    data = _call(
        "GET",
        "/sns/oauth2/access_token",
        params={
            "appid": _app(),
            "secret": settings.PASSDESK_WECHAT_APP_SECRET,
            "code": code,
            "grant_type": "authorization_code",
        },
    )
    if not data.get("openid"):
        raise WechatError(data.get("errcode"), data.get("errmsg", ""))
    return data["openid"]


def finish_binding(session, *, code: str, state: str) -> WechatBinding:
    """The callback: check the state against the session, trade the code for the openid and
    bind it to whom the session started the binding for. Raises ``WechatError``."""
    pending = session.pop(SESSION_KEY, None)
    if not pending or not state or not secrets.compare_digest(pending["state"], state):
        raise WechatError("state", "the binding was not started from this browser")
    openid = openid_for_code(code)
    return bind(openid, user_id=pending.get("user"), driver_id=pending.get("driver"))


def bind(openid: str, *, user_id=None, driver_id=None) -> WechatBinding:
    holder = {"user_id": user_id} if user_id else {"driver_id": driver_id}
    kinds = list(MEMBER_KINDS) if user_id else ["driver_epass_link", "pass_revoked"]
    with transaction.atomic():
        binding, _created = WechatBinding.objects.update_or_create(
            **holder,
            defaults={"openid": openid, "app_id": _app(), "is_active": True, "kinds": kinds},
        )
        audit.record(
            "wechat.bind",
            actor=binding.user,
            data={"binding": binding.pk, "driver": driver_id},
        )
    return binding


def unbind(user) -> bool:
    with transaction.atomic():
        deleted, _ = WechatBinding.objects.filter(user=user).delete()
        if deleted:
            audit.record("wechat.unbind", actor=user, data={})
    return bool(deleted)


def binding_of(user) -> WechatBinding | None:
    try:
        return user.wechat_binding
    except WechatBinding.DoesNotExist:
        return None
