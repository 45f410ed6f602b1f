"""Local fakes of the providers passdesk's channels talk to: Alibaba Cloud and Tencent Cloud SMS,
the WeChat Official Account API (token, template messages, web authorisation) and the WeCom,
DingTalk and Feishu group robots. One small threaded HTTP server on loopback, for the tests and
the demo (``manage.py demo`` starts one and points the channels at it).

Each fake checks a request as the provider would: the signature the SDK or channel computed
(Alibaba ACS3-HMAC-SHA256, Tencent TC3-HMAC-SHA256, DingTalk's and Feishu's robot signatures),
the registered signature name and template, the template's parameters, the access token, the
robots' message size and rate limits; it answers with the provider's documented bodies. What
it received is kept in ``received`` (with the verdict), and ``script`` queues answers (an
outage, a rate limit) for the next requests of one provider.
"""

import base64
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

MOBILE = re.compile(r"^(\+86)?1[3-9]\d{9}$")
WECOM_MARKDOWN_MAX_BYTES = 4096
ROBOT_BODY_MAX_BYTES = 20_000
ROBOT_LIMIT_PER_MINUTE = {"wecom": 20, "dingtalk": 20, "feishu": 100}


@dataclass
class Received:
    provider: str
    path: str
    headers: dict
    body: bytes
    data: dict = field(default_factory=dict)  # what the request said, parsed
    answer: dict = field(default_factory=dict)
    status: int = 200

    @property
    def ok(self) -> bool:
        answer = self.answer
        return self.status == 200 and (
            answer.get("Code") == "OK"
            or answer.get("errcode") == 0
            or answer.get("code") == 0
            or "access_token" in answer
            or any(
                s.get("Code") == "Ok" for s in answer.get("Response", {}).get("SendStatusSet", [])
            )
        )


@dataclass
class FakeState:
    alibaba_keys: dict = field(default_factory=lambda: {"LTAI-fake-id": "fake-alibaba-secret"})
    tencent_keys: dict = field(default_factory=lambda: {"AKID-fake-id": "fake-tencent-key"})
    tencent_app_ids: set = field(default_factory=lambda: {"1400000001"})
    sign_names: set = field(default_factory=lambda: {"通行证"})
    # template code -> its variables (Alibaba: names; Tencent: how many; WeChat: field keys)
    alibaba_templates: dict = field(default_factory=dict)
    tencent_templates: dict = field(default_factory=dict)
    wechat_apps: dict = field(default_factory=lambda: {"wx-fake-app": "fake-wechat-secret"})
    wechat_templates: dict = field(default_factory=dict)
    wechat_followers: set = field(default_factory=set)
    wechat_tokens: dict = field(default_factory=dict)  # token -> appid
    wechat_codes: dict = field(default_factory=dict)  # oauth code -> openid
    robots: dict = field(default_factory=dict)  # (platform, token) -> secret
    scripted: dict = field(default_factory=lambda: defaultdict(deque))
    posts: dict = field(default_factory=lambda: defaultdict(deque))  # robot -> post times
    received: list = field(default_factory=list)


class FakeProviders:
    """The running server: ``base_url``, ``state``, ``received``, ``script``, ``stop``."""

    def __init__(self, port: int = 0):
        self.state = FakeState()
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.host = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def received(self) -> list:
        return self.state.received

    def of(self, provider: str) -> list:
        return [item for item in self.state.received if item.provider == provider]

    def script(self, provider: str, *answers):
        """Answer the next requests of ``provider`` with these ``(status, body)`` pairs."""
        with self.lock:
            self.state.scripted[provider].extend(answers)

    def add_robot(self, platform: str, secret: str = "") -> tuple[str, str]:
        """Register a robot; returns ``(webhook URL, secret)``."""
        token = secrets.token_hex(16)
        if platform in ("dingtalk", "feishu") and not secret:
            secret = ("SEC" if platform == "dingtalk" else "") + secrets.token_hex(24)
        self.state.robots[(platform, token)] = secret
        path = {
            "wecom": f"/cgi-bin/webhook/send?key={token}",
            "dingtalk": f"/robot/send?access_token={token}",
            "feishu": f"/open-apis/bot/v2/hook/{token}",
        }[platform]
        return self.base_url + path, secret

    def revoke_wechat_tokens(self):
        """As if another server had fetched a new token: the cached one stops working."""
        with self.lock:
            self.state.wechat_tokens.clear()


_ids = itertools.count(1)


def _request_id() -> str:
    return f"FAKE-{next(_ids):06d}-{secrets.token_hex(4).upper()}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProviders = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # --- plumbing ---------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, payload, content_type="application/json;charset=utf-8"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, provider, body, data, status, answer):
        item = Received(
            provider=provider,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            data=data,
            answer=answer,
            status=status,
        )
        with self.fake.lock:
            self.fake.state.received.append(item)
        return item

    def _scripted(self, provider):
        with self.fake.lock:
            queue = self.fake.state.scripted[provider]
            return queue.popleft() if queue else None

    def _finish(self, provider, body, data, status, answer):
        scripted = self._scripted(provider)
        if scripted is not None and status == 200 and _looks_ok(answer):
            status, answer = scripted  # a scripted outage replaces a good answer only
        self._record(provider, body, data, status, answer)
        # Tencent Cloud answers plain application/json; its SDK reads errors only then.
        kind = "application/json" if provider == "tencent" else "application/json;charset=utf-8"
        self._answer(status, answer, kind)

    # --- routing ----------------------------------------------------------------------------

    def do_GET(self):  # noqa: N802
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == "/":
            return self._answer(200, self._page(), "text/html; charset=utf-8")
        if parts.path == "/sns/oauth2/access_token":
            return self._wechat_oauth_token(query)
        if parts.path == "/connect/oauth2/authorize":
            return self._wechat_authorize(query)
        return self._answer(404, {"errcode": 404, "errmsg": "not found"})

    def do_POST(self):  # noqa: N802
        body = self._body()
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if self.headers.get("x-acs-action"):
            return self._alibaba(body, parts)
        if self.headers.get("X-TC-Action"):
            return self._tencent(body)
        if parts.path == "/cgi-bin/stable_token":
            return self._wechat_token(body)
        if parts.path == "/cgi-bin/message/template/send":
            return self._wechat_send(body, query)
        if parts.path == "/cgi-bin/webhook/send":
            return self._robot("wecom", query.get("key", ""), body, query)
        if parts.path == "/robot/send":
            return self._robot("dingtalk", query.get("access_token", ""), body, query)
        if parts.path.startswith("/open-apis/bot/v2/hook/"):
            return self._robot("feishu", parts.path.rsplit("/", 1)[-1], body, query)
        return self._answer(404, {"errcode": 404, "errmsg": "not found"})

    # --- Alibaba Cloud SMS (RPC style, ACS3-HMAC-SHA256) -------------------------------------

    def _alibaba(self, body, parts):
        state = self.fake.state
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        data = {
            "action": headers.get("x-acs-action"),
            "phone": query.get("PhoneNumbers", ""),
            "sign_name": query.get("SignName", ""),
            "template_code": query.get("TemplateCode", ""),
            "params": json.loads(query["TemplateParam"]) if query.get("TemplateParam") else {},
        }
        problem = _alibaba_signature_problem(
            "POST", parts.path or "/", query, headers, body, state.alibaba_keys
        )
        if problem:
            code, message, status = problem
            return self._finish(
                "alibaba",
                body,
                data,
                status,
                {"Code": code, "Message": message, "RequestId": _request_id()},
            )
        data["signature_verified"] = True
        wanted = state.alibaba_templates.get(data["template_code"])
        if data["action"] != "SendSms":
            code, message = "InvalidAction.NotFound", "Specified api is not found"
        elif data["sign_name"] not in state.sign_names:
            code, message = "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"
        elif wanted is None:
            code, message = "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"
        elif set(data["params"]) != set(wanted):
            code, message = "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值"
        elif not MOBILE.match(data["phone"]):
            code, message = "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
        else:
            code, message = "OK", "OK"
        answer = {"Code": code, "Message": message, "RequestId": _request_id()}
        if code == "OK":
            answer["BizId"] = f"{int(time.time() * 1000)}^0"
        return self._finish("alibaba", body, data, 200, answer)

    # --- Tencent Cloud SMS (TC3-HMAC-SHA256) -------------------------------------------------

    def _tencent(self, body):
        state = self.fake.state
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        problem = _tencent_signature_problem(headers, body, state.tencent_keys)
        if problem:
            answer = {
                "Response": {
                    "Error": {"Code": problem[0], "Message": problem[1]},
                    "RequestId": _request_id(),
                }
            }
            return self._finish("tencent", body, data, 200, answer)
        data["signature_verified"] = True
        template = state.tencent_templates.get(str(data.get("TemplateId")))
        error = None
        if headers.get("x-tc-action") != "SendSms":
            error = ("InvalidAction", "The action is not found.")
        elif str(data.get("SmsSdkAppId")) not in state.tencent_app_ids:
            error = ("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist.")
        elif data.get("SignName") not in state.sign_names:
            error = (
                "FailedOperation.SignatureIncorrectOrUnapproved",
                "signature format is incorrect or signature is not approved",
            )
        elif template is None:
            error = (
                "FailedOperation.TemplateIncorrectOrUnapproved",
                "template format error or template is not approved",
            )
        elif len(data.get("TemplateParamSet") or []) != template:
            error = (
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                "the number of variables does not match the approved template",
            )
        if error:
            answer = {
                "Response": {
                    "Error": {"Code": error[0], "Message": error[1]},
                    "RequestId": _request_id(),
                }
            }
            return self._finish("tencent", body, data, 200, answer)
        statuses = []
        for phone in data.get("PhoneNumberSet") or []:
            good = bool(MOBILE.match(phone)) and phone.startswith("+86")
            statuses.append(
                {
                    "SerialNo": f"2433:{secrets.randbelow(10**18)}" if good else "",
                    "PhoneNumber": phone,
                    "Fee": 1 if good else 0,
                    "SessionContext": "",
                    "Code": "Ok" if good else "InvalidParameterValue.IncorrectPhoneNumber",
                    "Message": "send success" if good else "invalid mobile number",
                    "IsoCode": "CN",
                }
            )
        answer = {"Response": {"SendStatusSet": statuses, "RequestId": _request_id()}}
        return self._finish("tencent", body, data, 200, answer)

    # --- WeChat Official Account ---------------------------------------------------------------

    def _wechat_token(self, body):
        state = self.fake.state
        data = json.loads(body or b"{}")
        if state.wechat_apps.get(data.get("appid")) != data.get("secret"):
            answer = {"errcode": 40125, "errmsg": "invalid appsecret"}
        else:
            with self.fake.lock:
                token = next(
                    (t for t, app in state.wechat_tokens.items() if app == data["appid"]), None
                )
                if token is None or data.get("force_refresh"):
                    state.wechat_tokens = {
                        t: a for t, a in state.wechat_tokens.items() if a != data["appid"]
                    }
                    token = "ACCESS_" + secrets.token_hex(16)
                    state.wechat_tokens[token] = data["appid"]
            answer = {"access_token": token, "expires_in": 7200}
        return self._finish("wechat", body, {"token_request": data}, 200, answer)

    def _wechat_send(self, body, query):
        state = self.fake.state
        data = json.loads(body or b"{}")
        data["access_token"] = query.get("access_token", "")
        wanted = state.wechat_templates.get(data.get("template_id"))
        if data["access_token"] not in state.wechat_tokens:
            answer = {
                "errcode": 40001,
                "errmsg": "invalid credential, access_token is invalid or not latest",
            }
        elif wanted is None:
            answer = {"errcode": 40037, "errmsg": "invalid template_id"}
        elif set(data.get("data") or {}) != set(wanted):
            answer = {"errcode": 47003, "errmsg": "argument invalid! data.thing1.value invalid"}
        elif data.get("touser") not in state.wechat_followers:
            answer = {"errcode": 43004, "errmsg": "require subscribe"}
        else:
            answer = {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**10)}
        return self._finish("wechat", body, data, 200, answer)

    def _wechat_authorize(self, query):
        """What WeChat does when the person opens the link and agrees: back to the redirect
        address with a one-time code (a new follower's openid behind it)."""
        code = "CODE" + secrets.token_hex(8)
        openid = "o" + secrets.token_hex(13)
        with self.fake.lock:
            self.fake.state.wechat_codes[code] = openid
            self.fake.state.wechat_followers.add(openid)
        target = query.get("redirect_uri", "")
        joiner = "&" if "?" in target else "?"
        self.send_response(302)
        self.send_header(
            "Location", f"{target}{joiner}{urlencode({'code': code, 'state': query.get('state')})}"
        )
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _wechat_oauth_token(self, query):
        state = self.fake.state
        with self.fake.lock:
            openid = state.wechat_codes.pop(query.get("code", ""), None)
        if state.wechat_apps.get(query.get("appid")) != query.get("secret"):
            answer = {"errcode": 40125, "errmsg": "invalid appsecret"}
        elif openid is None:
            answer = {"errcode": 40029, "errmsg": "invalid code"}
        else:
            answer = {
                "access_token": "WEB_" + secrets.token_hex(8),
                "expires_in": 7200,
                "refresh_token": "REFRESH_" + secrets.token_hex(8),
                "openid": openid,
                "scope": query.get("scope", "snsapi_base"),
            }
        self._record("wechat", b"", {"oauth": query}, 200, answer)
        self._answer(200, answer)

    # --- Group robots ----------------------------------------------------------------------------

    def _robot(self, platform, token, body, query):
        state = self.fake.state
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        data["_query"] = query
        secret = state.robots.get((platform, token))
        codes = _ROBOT_ERRORS[platform]
        answer = None
        if secret is None:
            answer = codes["token"]
        elif not _robot_sign_ok(platform, secret, query, data):
            answer = codes["sign"]
        elif len(body) > ROBOT_BODY_MAX_BYTES or (
            platform == "wecom"
            and len(data.get("markdown", {}).get("content", "").encode("utf-8"))
            > WECOM_MARKDOWN_MAX_BYTES
        ):
            answer = codes["size"]
        else:
            now = time.monotonic()
            with self.fake.lock:
                posts = state.posts[(platform, token)]
                while posts and now - posts[0] > 60:
                    posts.popleft()
                if len(posts) >= ROBOT_LIMIT_PER_MINUTE[platform]:
                    answer = codes["rate"]
                else:
                    posts.append(now)
        if answer is None:
            data["signature_verified"] = platform != "wecom"
            answer = codes["ok"]
        return self._finish(platform, body, data, 200, answer)

    # --- the demo's page -------------------------------------------------------------------------

    def _page(self) -> bytes:
        rows = []
        for item in reversed(self.fake.state.received[-200:]):
            shown = {k: v for k, v in item.data.items() if k not in ("_query", "access_token")}
            rows.append(
                "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>".format(
                    html.escape(item.provider),
                    "✔" if item.ok else "✘",
                    html.escape(json.dumps(shown, ensure_ascii=False, indent=1)[:3000]),
                    html.escape(json.dumps(item.answer, ensure_ascii=False)[:500]),
                )
            )
        page = (
            "<!doctype html><meta charset=utf-8><title>passdesk provider fakes</title>"
            "<h1>What the provider fakes received</h1><table border=1 cellpadding=4>"
            "<tr><th>provider</th><th>ok</th><th>request</th><th>answer</th></tr>"
            + "".join(rows)
            + "</table>"
        )
        return page.encode("utf-8")


_ROBOT_ERRORS = {
    "wecom": {
        "ok": {"errcode": 0, "errmsg": "ok"},
        "token": {"errcode": 93000, "errmsg": "invalid webhook url"},
        "size": {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"},
        "rate": {"errcode": 45009, "errmsg": "api freq out of limit"},
    },
    "dingtalk": {
        "ok": {"errcode": 0, "errmsg": "ok"},
        "token": {"errcode": 300001, "errmsg": "token is not exist"},
        "sign": {"errcode": 310000, "errmsg": "sign not match"},
        "size": {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"},
        "rate": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
    },
    "feishu": {
        "ok": {"code": 0, "data": {}, "msg": "success"},
        "token": {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"},
        "sign": {
            "code": 19021,
            "msg": "sign match fail or timestamp is not within one hour from current time",
        },
        "size": {"code": 9499, "msg": "Bad Request"},
        "rate": {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"},
    },
}


def _looks_ok(answer) -> bool:
    return Received("", "", {}, b"", answer=answer).ok


# --- the providers' signature checks, as documented -------------------------------------------


def _alibaba_signature_problem(method, path, query, headers, body, keys):
    """ACS3-HMAC-SHA256 (V3): HMAC over the hash of the canonical request (method, path,
    sorted percent-encoded query, the signed headers lower-cased and sorted, the payload's
    SHA-256)."""
    match = re.match(
        r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$",
        headers.get("authorization", ""),
    )
    if not match:
        return "IncompleteSignature", "The request signature does not conform to standards.", 400
    key_id, signed, signature = match.groups()
    secret = keys.get(key_id)
    if secret is None:
        return "InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404
    payload = hashlib.sha256(body).hexdigest()
    if headers.get("x-acs-content-sha256") != payload:
        return "SignatureDoesNotMatch", "The payload hash does not match.", 400
    names = signed.split(";")
    if {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce"} - set(names):
        return "IncompleteSignature", "Required headers are not signed.", 400
    canonical_query = "&".join(f"{name}={quote(query[name], safe='~')}" for name in sorted(query))
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
    canonical = "\n".join([method, path, canonical_query, canonical_headers, signed, payload])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "SignatureDoesNotMatch", "Specified signature does not match our calculation.", 400
    return None


def _tencent_signature_problem(headers, body, keys):
    """TC3-HMAC-SHA256: the signing key derived from the secret key by date, service and
    ``tc3_request``, over the canonical request's hash; the timestamp within 5 minutes."""
    match = re.match(
        r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/(\w+)/tc3_request, "
        r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
        headers.get("authorization", ""),
    )
    if not match:
        return "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
    secret_id, date, service, signed, signature = match.groups()
    secret = keys.get(secret_id)
    if secret is None:
        return "AuthFailure.SecretIdNotFound", "The SecretId is not found."
    timestamp = int(headers.get("x-tc-timestamp", "0"))
    if abs(time.time() - timestamp) > 300:
        return "AuthFailure.SignatureExpire", "Signature expired."
    canonical_headers = "".join(f"{name}:{headers.get(name, '')}\n" for name in signed.split(";"))
    canonical = "\n".join(
        ["POST", "/", "", canonical_headers, signed, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def _hmac(key, message):
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()

    key = _hmac(_hmac(_hmac(("TC3" + secret).encode(), date), service), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
    return None


def _robot_sign_ok(platform, secret, query, data) -> bool:
    if platform == "dingtalk":
        return _dingtalk_sign_ok(secret, query)
    if platform == "feishu" and secret:
        return _feishu_sign_ok(secret, data)
    return True


def _dingtalk_sign_ok(secret, query) -> bool:
    """DingTalk: ``sign`` = Base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), the
    timestamp in milliseconds within an hour."""
    try:
        timestamp = int(query.get("timestamp", ""))
    except ValueError:
        return False
    if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
        return False
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), query.get("sign", ""))


def _feishu_sign_ok(secret, data) -> bool:
    """Feishu: ``sign`` = Base64(HMAC-SHA256(key="timestamp\\nsecret", empty message)), the
    timestamp in seconds within an hour."""
    try:
        timestamp = int(data.get("timestamp", ""))
    except (TypeError, ValueError):
        return False
    if abs(time.time() - timestamp) > 3600:
        return False
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), str(data.get("sign", "")))
