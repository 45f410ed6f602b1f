"""The template table: every kind of message passdesk sends, with the parameters a provider's
template receives and the wording to submit for approval.

Alibaba Cloud and Tencent Cloud send only SMS templates approved in their consoles, under a
registered signature; a WeChat Official Account sends only the templates chosen for it. Each
kind below is one such template: an officer submits its wording, the provider answers with a
template code, and the officer records that code in the admin (``MessageTemplate``). The values
are cut from the message's context by ``params_for``; each is cut to
``PASSDESK_SMS_PARAM_MAX_LENGTH`` characters (the providers limit a variable's length).

Plain module: no models, so the admin, the docs test and the channels read the same table.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    params: tuple[str, ...]
    # Wording to submit, with ``{param}`` where a value goes; without the signature (the
    # provider adds the registered one, e.g. 【通行证】).
    wording: str


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "request_submitted",
            _("Request submitted (receipt)"),
            ("reference", "vehicles"),
            "申请{reference}已提交（{vehicles}辆车），等待审核，结果将另行通知。",
        ),
        Kind(
            "request_resubmitted",
            _("Request resubmitted"),
            ("reference",),
            "申请{reference}已重新提交，等待审核。",
        ),
        Kind(
            "request_returned",
            _("Request returned for changes"),
            ("reference",),
            "申请{reference}需补正材料，请登录查看审核意见并修改后重新提交。",
        ),
        Kind(
            "request_rejected",
            _("Request rejected"),
            ("reference",),
            "申请{reference}未获批准，原因请登录查看。",
        ),
        Kind(
            "request_approved",
            _("Passes issued"),
            ("reference", "count"),
            "申请{reference}已批准，签发通行证{count}张，请登录下载打印。",
        ),
        Kind(
            "request_message",
            _("Office replied on a request"),
            ("reference",),
            "交通部门回复了您的申请{reference}，请登录查看。",
        ),
        Kind(
            "pass_revoked",
            _("Pass revoked"),
            ("plate", "number"),
            "{plate}的通行证{number}已被撤销，请勿继续使用。",
        ),
        Kind(
            "pass_expiring",
            _("Pass expiring"),
            ("plate", "number", "until"),
            "{plate}的通行证{number}将于{until}到期，如需续办请及时申请。",
        ),
        Kind(
            "enterprise_verified",
            _("Enterprise verified"),
            (),
            "贵单位已通过企业认证，现在可以提交通行证申请。",
        ),
        Kind(
            "enterprise_suspended",
            _("Enterprise suspended"),
            (),
            "贵单位已被暂停办理通行证，暂停期间不能提交申请，详情请登录查看。",
        ),
        Kind(
            "review_new_work",
            _("New request to review (staff)"),
            ("reference", "vehicles"),
            "新申请{reference}待审核（{vehicles}辆车），请登录审核。",
        ),
        Kind(
            "announcement",
            _("Announcement"),
            ("title",),
            "交通部门发布公告「{title}」，详情请登录系统查看。",
        ),
        Kind(
            "driver_epass_link",
            _("Driver's e-pass link"),
            ("plate", "number", "link"),
            "{plate}的电子通行证{number}已签发，请打开{link}出示，与纸质通行证同等有效。",
        ),
    )
}
KIND_CHOICES = [(kind.name, kind.label) for kind in KINDS.values()]

# The event kinds a person may choose to hear about on WeChat (drivers: their e-pass only).
MEMBER_KINDS = tuple(name for name in KINDS if name not in ("review_new_work", "driver_epass_link"))


def wording_for(kind: str, provider: str) -> str:
    """The wording in the provider's placeholder syntax: Alibaba ``${reference}``, Tencent
    ``{1}`` (by position), WeChat as the field names the template library gives."""
    item = KINDS[kind]
    text = item.wording
    for index, name in enumerate(item.params, start=1):
        if provider == "tencent":
            text = text.replace("{" + name + "}", "{" + str(index) + "}")
        elif provider == "alibaba":
            text = text.replace("{" + name + "}", "${" + name + "}")
    return text


def _cut(value) -> str:
    limit = settings.PASSDESK_SMS_PARAM_MAX_LENGTH
    text = " ".join(str(value if value is not None else "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_pass(context):
    pass_obj = context.get("pass_obj")
    if pass_obj is None and context.get("passes"):
        pass_obj = context["passes"][0]
    return pass_obj


def params_for(kind: str, context: dict) -> dict:
    """``{param: value}`` for ``kind`` from a notification's rendering context (the event's
    ``Subject.context()``, an announcement's, or a caller's own values for the same names)."""
    pass_request = context.get("pass_request")
    pass_obj = _first_pass(context)
    vehicles = context.get("vehicles")
    if vehicles is None and callable(context.get("vehicle_count")):
        vehicles = context["vehicle_count"]()
    values = {
        "reference": getattr(pass_request, "reference", "") or context.get("reference", ""),
        "vehicles": vehicles if vehicles is not None else "",
        "count": context.get("pass_count", context.get("count", "")),
        "plate": getattr(pass_obj, "plate", "") or context.get("plate", ""),
        "number": getattr(pass_obj, "number", "") or context.get("number", ""),
        "until": (
            timezone.localtime(pass_obj.valid_until).strftime("%m-%d %H:%M")
            if pass_obj is not None and getattr(pass_obj, "valid_until", None)
            else context.get("until", "")
        ),
        "title": context.get("title", ""),
        "link": context.get("link", ""),
    }
    # A link is never cut: a shortened one leads nowhere (keep the link itself short).
    return {
        name: str(values[name]) if name == "link" else _cut(values.get(name, context.get(name)))
        for name in KINDS[kind].params
    }


def template_payload(kind: str, context: dict, *, url: str = "") -> dict:
    """What an outbox row of a template channel (provider SMS, WeChat) carries."""
    payload = {"kind": kind, "params": params_for(kind, context)}
    if url:
        payload["url"] = url
    return payload
