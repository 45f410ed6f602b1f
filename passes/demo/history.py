"""The demo's last 30 days: requests decided over the past weeks (so the per-day chart and the
median have something to show), passes that have expired, requests waiting past the office's
target (the queue's SLA highlighting), renewals (续期) filed and approved, return-reason
templates, and a scan of an expired pass (amber, next to the revoked and unknown ones in red).

Everything is made through the real services first, at today's date; then the request's and
its passes' times are moved back, as if they had happened on those days. The audit trail is
append-only and keeps the times the seeding really ran. Each record is
found by its natural key (reference, title, nonce) first, so seeding twice adds nothing.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from ..models import (
    Pass,
    PassRequest,
    ReplyTemplate,
    RequestItem,
    ReturnReasonTemplate,
)
from ..requests import renewal, workflow
from .filings import attach_request_documents, seed_request

User = get_user_model()
EMERGENCY = "emergency-logistics"

# reference, enterprise, plate, driver, days ago it was decided, hours from submission to decision
HISTORY = [
    ("SQ20221101-HXF101", "HXF", "湘B·5J827", "王建军", 28, 2.5),
    ("SQ20221105-XY0101", "XY", "湘B·80916", "张卫东", 24, 5),
    ("SQ20221108-XY0102", "XY", "湘B·08516D", "罗建华", 21, 1.5),
    ("SQ20221111-HXF102", "HXF", "湘BD·21836", "刘芳", 18, 3),
    ("SQ20221114-XY0103", "XY", "湘B·80916", "谭国庆", 15, 7),
    ("SQ20221118-HXF103", "HXF", "湘B·6K302", "李志强", 11, 2),
    ("SQ20221121-XY0104", "XY", "湘B·08516D", "罗建华", 8, 4),
    ("SQ20221124-XY0105", "XY", "湘B·80916", "张卫东", 5, 1),  # ends within 3 days
]
ROUTE = ("株洲市荷塘区金山物流园", "长沙市雨花区物流中心", "金山路—沪昆高速—京港澳高速")
# Requests waiting longer than the office's target, by reference: hours since submission.
OVERDUE = {"SQ20221126-HXF002": 9, "SQ20221126-XY0002": 30}
TEMPLATES = [
    ("核酸报告超时", "驾驶员核酸检测报告超过48小时，请上传48小时内的报告。"),
    ("行驶证不清晰", "车辆行驶证扫描件不清晰，请重新扫描上传（须能看清号牌和有效期）。"),
    ("承诺书未盖章", "承诺书未加盖企业公章，请盖章后重新上传。"),
    ("路线不明确", "请写明途经道路和卡口，一车一证一线路。"),
]
# Common answers to enterprises' questions, inserted into a reply and edited before sending.
REPLY_TEMPLATES = [
    ("已收到，正在审核", "您好，您的申请已收到，正在审核中，预计今天内办结，请留意短信通知。"),
    (
        "核酸报告时限",
        "您好，每名驾驶员须提供 48 小时内的核酸检测报告（以采样时间为准），"
        "请在“补正”中上传新的报告后重新提交。",
    ),
    (
        "通行证打印与电子证",
        "您好，审批通过后可在“我的通行证”中下载打印通行证，驾驶员也会收到电子通行证短信链接，"
        "纸质证与电子证同等有效。",
    ),
    ("卡口与线路", "您好，通行证仅在所列卡口和线路上有效，如需变更线路请重新提交申请。"),
]


def seed_history(enterprises, checkpoints, reviewer, officer) -> None:
    _seed_templates()
    for reference, key, plate, driver, days_ago, hours in HISTORY:
        if PassRequest.objects.filter(reference=reference).exists():
            continue
        spec = {
            "reference": reference,
            "enterprise": key,
            "pass_type": EMERGENCY,
            "state": "approved",
            "items": [(plate, [driver])],
            "cargo": ("raw_materials", "生产原料"),
            "route": ROUTE,
            "checkpoints": ["xiangjiang-bridge-1"],
        }
        seed_request(spec, enterprises[key], checkpoints, reviewer, officer)
        _move_back(PassRequest.objects.get(reference=reference), days_ago, hours)
    for pass_obj in Pass.objects.due_to_expire():
        workflow.expire_pass(pass_obj)
    _make_overdue()
    _seed_renewals({e.pk: e.demo_applicant for e in enterprises.values()}, reviewer)
    _seed_scans(checkpoints)


def _seed_templates():
    for position, (title, text) in enumerate(TEMPLATES):
        ReturnReasonTemplate.objects.get_or_create(
            title=title, defaults={"text": text, "position": position}
        )
    for position, (title, body) in enumerate(REPLY_TEMPLATES):
        ReplyTemplate.objects.get_or_create(
            title=title, defaults={"body": body, "position": position}
        )


def _move_back(pass_request, days_ago, hours):
    """As if decided ``days_ago`` days ago, ``hours`` after it was submitted."""
    shift = datetime.timedelta(days=days_ago)
    decided = pass_request.decided_at - shift
    submitted = decided - datetime.timedelta(hours=hours)
    PassRequest.objects.filter(pk=pass_request.pk).update(
        created_at=submitted - datetime.timedelta(minutes=40),
        submitted_at=submitted,
        claimed_at=submitted + datetime.timedelta(hours=hours / 3),
        decided_at=decided,
        updated_at=decided,
        valid_from=pass_request.valid_from - shift,
        valid_until=pass_request.valid_until - shift,
    )
    for issued in pass_request.passes.all():
        Pass.objects.filter(pk=issued.pk).update(
            issued_at=decided,
            valid_from=issued.valid_from - shift,
            valid_until=issued.valid_until - shift,
        )


def _make_overdue():
    now = timezone.now()
    for reference, hours in OVERDUE.items():
        PassRequest.objects.filter(
            reference=reference, status__in=PassRequest.QUEUE_STATUSES
        ).update(submitted_at=now - datetime.timedelta(hours=hours))


def _seed_renewals(applicants, reviewer):
    """One renewal approved (the pass ending within 3 days, renewed from its end) and one
    clean renewal waiting in the queue for one-action approval."""
    expiring = Pass.objects.filter(request__reference="SQ20221124-XY0105").first()
    if expiring is not None and not RequestItem.objects.filter(renews=expiring).exists():
        filed = _renew(expiring, applicants[expiring.request.enterprise_id])
        renewal.approve_clean_renewal(filed, by=reviewer)
    current = (
        Pass.objects.filter(request__reference="SQ20221126-HXF001", status=Pass.Status.ACTIVE)
        .order_by("number")
        .first()
    )
    if current is not None and not RequestItem.objects.filter(renews=current).exists():
        _renew(current, applicants[current.request.enterprise_id])


def _renew(pass_obj, applicant):
    """File the renewal as the applicant would: the one action, then the fresh health proofs
    the pass type asks for, then submit."""
    (filed,) = renewal.file_renewals([pass_obj], by=applicant)
    if filed.status == PassRequest.Status.DRAFT:
        drivers = {driver.name: driver for driver in pass_obj.drivers.all()}
        spec = {"items": [(pass_obj.plate, list(drivers))]}
        attach_request_documents(filed, filed.pass_type, applicant, drivers, spec)
        workflow.submit(filed, by=applicant)
        filed.refresh_from_db()
    return filed


def _seed_scans(checkpoints):
    """An expired pass shown at a bridge: amber at the checkpoint."""
    try:
        from ..checkpoint.services import record_scan
    except ImportError:  # the checkpoint area is optional for the demo
        return
    expired = Pass.objects.filter(status=Pass.Status.EXPIRED).order_by("-valid_until").first()
    if expired is None:
        return
    record_scan(
        inspector=User.objects.get(username="inspector"),
        checkpoint=checkpoints["xiangjiang-bridge-1"],
        nonce=f"demo-history-{expired.number}",
        scanned_at=timezone.now() - datetime.timedelta(minutes=3),
        number=expired.number,
        plate=expired.plate,
    )
