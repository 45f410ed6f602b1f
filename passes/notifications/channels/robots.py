"""Posting Markdown to group chats through their robots: WeCom (企业微信), DingTalk (钉钉) and
Feishu (飞书).

Each platform has its own body, signature and limits:

* WeCom: ``{"msgtype": "markdown", "markdown": {"content"}}``, the content at most 4096 bytes;
  the key in the URL is the only credential; 20 messages a minute per robot.
* DingTalk: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a signing secret,
  ``timestamp`` (ms) and ``sign`` = Base64(HMAC-SHA256(secret, "timestamp\\nsecret")) go in the
  query, URL-encoded; 20 messages a minute per robot (more blocks it for 10 minutes).
* Feishu: an ``interactive`` card with a Markdown element; with a signing secret,
  ``timestamp`` (s) and ``sign`` = Base64(HMAC-SHA256(key "timestamp\\nsecret", empty message))
  go in the body; the body at most 20 KB; 100 a minute per robot.

Our own count (``passes.ratelimit``, shared through the cache) keeps each robot under its limit:
a post over it waits (``RateLimited``) instead of being refused and blocking the robot. The URL
goes through the SSRF guard on every post, allowing exactly the platform's hosts
(``PASSDESK_<PLATFORM>_ROBOT_HOSTS``).
"""

import base64
import dataclasses
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from ... import ratelimit
from . import ConfigurationFailure, PermanentFailure, RateLimited, TemporaryFailure
from .netguard import UnsafeURL, check_url
from .webhook import post

# platform -> (messages, seconds) per robot
LIMITS = {"wecom": (20, 60), "dingtalk": (20, 60), "feishu": (100, 60)}
# The Markdown's budget in UTF-8 bytes: WeCom's content limit; DingTalk's and Feishu's 20 KB
# body, less room for the JSON around it.
MARKDOWN_MAX_BYTES = {"wecom": 4096, "dingtalk": 18000, "feishu": 18000}
PATHS = {
    "wecom": ("/cgi-bin/webhook/send", "key"),
    "dingtalk": ("/robot/send", "access_token"),
    "feishu": ("/open-apis/bot/v2/hook/", None),
}
RATE_CODES = {45009, 130101, 11232}
CONFIG_CODES = {93000, 93004, 300001, 300005, 310000, 19001, 19002, 19021, 19022, 19024}
TOO_BIG_CODES = {40058, 460101, 9499}


def allowed_hosts(platform: str) -> list[str]:
    return [
        host.strip().lower()
        for host in getattr(settings, f"PASSDESK_{platform.upper()}_ROBOT_HOSTS")
        if host.strip()
    ]


def check_robot_url(url: str, platform: str):
    """The URL's host must be one of the platform's hosts (exactly, or ``host:port``), its path
    the platform's robot path; then the SSRF guard. Returns where to connect."""
    try:
        parts = urlsplit((url or "").strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError as error:
        raise UnsafeURL(_("This is not a valid URL.")) from error
    hosts = allowed_hosts(platform)
    if host not in hosts and f"{host}:{port}" not in hosts:
        raise UnsafeURL(
            _("A %(platform)s robot's URL must be on %(hosts)s.")
            % {"platform": platform, "hosts": ", ".join(hosts) or "—"}
        )
    path, token = PATHS[platform]
    query = dict(parse_qsl(parts.query))
    good_path = parts.path.startswith(path) if token is None else parts.path == path
    if not good_path or (token and not query.get(token)) or (token is None and parts.path == path):
        raise UnsafeURL(_("This is not the webhook address of a group robot of that platform."))
    return check_url(
        url,
        allow_private=settings.PASSDESK_ROBOT_ALLOW_PRIVATE,
        require_https=settings.PASSDESK_ROBOT_REQUIRE_HTTPS,
    )


def cut(text: str, limit: int, tail: str = "") -> str:
    """``text`` + ``tail`` within ``limit`` UTF-8 bytes, cut at a character boundary with "…"."""
    if len((text + tail).encode("utf-8")) <= limit:
        return text + tail
    room = limit - len(tail.encode("utf-8")) - len("…".encode())
    clipped = text.encode("utf-8")[: max(0, room)].decode("utf-8", errors="ignore")
    return clipped.rstrip() + "…" + tail


def markdown_for(platform: str, body: str, link: str = "", link_text: str = "") -> str:
    tail = f"\n\n[{link_text}]({link})" if link else ""
    return cut(body, MARKDOWN_MAX_BYTES[platform], tail)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def build(platform: str, secret: str, title: str, markdown: str, *, now=None) -> tuple[dict, str]:
    """``(JSON body, extra query string)`` of one post."""
    now = time.time() if now is None else now
    if platform == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown}}, ""
    if platform == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": title[:60], "text": markdown}}
        if not secret:
            return body, ""
        stamp = int(now * 1000)
        return body, f"timestamp={stamp}&sign={quote(dingtalk_sign(secret, stamp), safe='')}"
    body = {
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": title[:100]}},
            "elements": [{"tag": "markdown", "content": markdown}],
        },
    }
    if secret:
        stamp = int(now)
        body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
    return body, ""


def _answer_code(platform: str, data: dict):
    if platform == "feishu":
        return data.get("code", data.get("StatusCode"))
    return data.get("errcode")


def send(notification) -> None:
    robot = notification.chat_robot
    if robot is None or not robot.is_active:
        raise PermanentFailure("The group robot was removed or disabled.")
    platform = robot.platform
    try:
        target = check_robot_url(robot.webhook_url, platform)
    except UnsafeURL as error:
        raise ConfigurationFailure(str(error.message)) from error
    limit, window = LIMITS[platform]
    key = f"robot:{robot.pk}"
    if not ratelimit.hit(key, limit, window):
        wait = ratelimit.retry_after(key, limit, window)
        raise RateLimited(
            f"{platform} robot: {limit} messages a minute reached; waiting {wait} s",
            retry_after=wait,
        )
    payload = notification.template or {}
    body, extra = build(
        platform, robot.secret, payload.get("title") or notification.subject, notification.body_text
    )
    if extra:
        joiner = "&" if "?" in target.path else "?"
        target = dataclasses.replace(target, path=f"{target.path}{joiner}{extra}")
    try:
        response = post(
            target,
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
            {"Content-Type": "application/json; charset=utf-8", "User-Agent": "passdesk-robots/1"},
            timeout=settings.PASSDESK_ROBOT_TIMEOUT,
        )
    except httpx.HTTPError as error:
        raise TemporaryFailure(f"{platform} robot: {type(error).__name__}: {error}") from error
    if response.status_code >= 300:
        raise TemporaryFailure(f"{platform} robot: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as error:
        raise TemporaryFailure(f"{platform} robot: not JSON: {response.text[:200]}") from error
    code = _answer_code(platform, data)
    if code == 0:
        return
    text = f"{platform} robot {code}: {data.get('errmsg') or data.get('msg') or data}"[:1000]
    if code in RATE_CODES:
        raise RateLimited(text, retry_after=window)
    if code in CONFIG_CODES:
        raise ConfigurationFailure(text)
    if code in TOO_BIG_CODES:
        raise PermanentFailure(text)
    raise TemporaryFailure(text)
