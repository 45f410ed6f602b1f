"""Machine reading (OCR) figures: speed per page, field accuracy, upload to reading.

``python manage.py benchmark ocr [--runs N]``

1. *speed*: one A4 page (1240 × 1754, 150 dpi, and 1654 × 2339, 200 dpi) as a JPEG and as a
   scanned PDF, and a licence-sized JPEG: wall seconds and CPU-seconds per page in this process
   with one ONNX thread, as one OCR worker process reads them. The engine is loaded first.
2. *accuracy*: ``PASSDESK_BENCH_OCR_DOCUMENTS`` (210) generated licences and reports, drawn
   with the demo's scan generator at six qualities (clean, rotated 3-5°, blurred, JPEG quality
   40, a seal stamped over the text, low contrast); the share of fields read exactly (after
   normalisation) per kind, and the checks on the ~20 % deliberately altered documents (filed
   with another valid plate, credit code or ID number than the scan shows): how many were
   reported as a match (must be 0).
3. *end to end* (needs ``DATABASE_URL`` on PostgreSQL and a Redis broker,
   ``PASSDESK_BENCH_BROKER``, default ``redis://127.0.0.1:6379/9``): one OCR worker process
   (solo pool, queue ``ocr``); a vehicle licence attached with ``attach_document`` (the portal's
   upload path) and the time from the upload's commit until the portal's summary of it shows a
   reading; median of ``PASSDESK_BENCH_OCR_UPLOADS`` (10). Then the worker's resident memory
   (VmRSS and peak VmHWM from /proc), which is the memory of one OCR worker process.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from django.db import connection

from ..demo.scans import make_scan_bytes, make_scan_pdf
from . import machine_line, measure_cpu, report

BASE_DIR = Path(__file__).resolve().parents[2]
DB_NAME = "passdesk_bench_ocr"
A4_LINES = [
    "统一社会信用代码：",
    "91430211MA4PHX7Q26",
    "名称：株洲好媳妇家居用品有限公司",
    "类型：有限责任公司",
    "住所：湖南省株洲市天元区栗雨路88号",
    "法定代表人：何丽",
    "注册资本：伍佰万元整",
    "成立日期：2016年05月12日",
    "经营范围：家居用品、日用百货",
    "的批发零售；普通货物道路运输。",
]


def _jpeg_a4(size, seed):
    return make_scan_bytes("营业执照", A4_LINES, size=size, seed=seed, photo=False)


def _speed(stdout, runs):
    from ..documents.ocr import engine

    started = time.process_time()
    engine.get_engine()
    stdout.write(f"  engine loaded in {time.process_time() - started:.2f} CPU-s")
    cases = [
        ("A4 150 dpi JPEG (1240x1754)", _jpeg_a4((1240, 1754), 1), "image/jpeg"),
        ("A4 200 dpi JPEG (1654x2339)", _jpeg_a4((1654, 2339), 2), "image/jpeg"),
        (
            "A4 150 dpi scanned PDF, 1 page",
            make_scan_pdf("营业执照", A4_LINES, size=(1240, 1754), photo=False),
            "application/pdf",
        ),
        (
            "licence JPEG (1240x874)",
            make_scan_bytes("机动车行驶证", ["号牌号码：湘B5J827", "车辆类型：重型货车"]),
            "image/jpeg",
        ),
    ]
    for label, data, content_type in cases:
        wall, cpu = measure_cpu(lambda d=data, t=content_type: engine.read_file(d, t), runs)
        report(stdout, f"{label}: seconds per page", wall, unit="s", scale=1.0)
        report(stdout, f"{label}: CPU-seconds per page", cpu, unit="CPU-s", scale=1.0)


def _filed_document(sample):
    """Unsaved model instances standing for what the enterprise filed."""
    from ..models import Document, Driver, Enterprise, Vehicle

    filed = sample.filed
    enterprise = Enterprise(
        pk=1,
        name=filed.get("enterprise_name") or filed.get("owner") or "",
        credit_code=filed.get("credit_code", ""),
    )
    document = Document(kind=sample.kind, enterprise=enterprise)
    if sample.kind == "vehicle_licence":
        document.vehicle = Vehicle(
            pk=1,
            enterprise=enterprise,
            plate=filed["plate"],
            vehicle_type=sample.extra["vehicle_type"],
        )
    if sample.kind in ("driving_licence", "nucleic_acid_test"):
        document.driver = Driver(
            pk=1, enterprise=enterprise, name=filed["name"], id_number=filed["id_number"]
        )
    return document


def _accuracy(stdout, count):
    from ..documents.ocr import engine
    from ..documents.ocr.checks import MATCH, outcome_of, run_checks
    from ..documents.ocr.extract import extract, normalize_name
    from ._ocr_samples import make_samples

    samples = make_samples(count)
    exact, total = defaultdict(int), defaultdict(int)
    by_quality = defaultdict(lambda: [0, 0])
    altered = altered_reported_match = altered_flagged = 0
    clean_all_match = clean_total = 0
    cpu = []
    for sample in samples:
        result = engine.read_file(sample.image, "image/jpeg")
        cpu.append(result.cpu_seconds)
        lines = [line.as_dict() for line in result.lines]
        extraction = extract(sample.kind, [line["text"] for line in lines])
        for field, value in sample.truth.items():
            total[sample.kind] += 1
            by_quality[sample.quality][1] += 1
            read = extraction.fields.get(field)
            if read is not None and normalize_name(read) == normalize_name(value):
                exact[sample.kind] += 1
                by_quality[sample.quality][0] += 1
        checks = run_checks(_filed_document(sample), extraction, lines)
        if sample.altered:
            altered += 1
            key = next(k for k in sample.filed if sample.filed[k] != sample.truth[k])
            status = {c["field"]: c["status"] for c in checks}.get(key)
            if status == MATCH or outcome_of(checks) == "all_match":
                altered_reported_match += 1
            elif status == "mismatch":
                altered_flagged += 1
        else:
            clean_total += 1
            clean_all_match += outcome_of(checks) == "all_match"
    all_exact, all_total = sum(exact.values()), sum(total.values())
    stdout.write(
        f"  {len(samples)} documents: fields read exactly {all_exact}/{all_total} = "
        f"{all_exact / all_total:.1%} (median {sorted(cpu)[len(cpu) // 2]:.2f} CPU-s each)"
    )
    for kind in sorted(total):
        stdout.write(f"    {kind}: {exact[kind]}/{total[kind]} = {exact[kind] / total[kind]:.1%}")
    for quality, (good, seen) in sorted(by_quality.items()):
        stdout.write(f"    quality {quality}: {good}/{seen} = {good / seen:.1%}")
    stdout.write(
        f"  altered documents: {altered}; reported as match: {altered_reported_match}; "
        f"flagged as mismatch: {altered_flagged}; the rest unreadable (left to the reviewer)"
    )
    stdout.write(
        f"  unaltered documents found all-match: {clean_all_match}/{clean_total} = "
        f"{clean_all_match / max(clean_total, 1):.1%}"
    )


def _ocr_worker(broker, media: Path, workdir: Path):
    from .notifications import celery_worker

    return celery_worker(broker, workdir, name="ocr", queues="ocr", env={"MEDIA_ROOT": str(media)})


def _memory(pid) -> str:
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":", 1)
                values[name] = int(value.split()[0]) / 1024
    return f"VmRSS {values.get('VmRSS', 0):.0f} MB, peak VmHWM {values.get('VmHWM', 0):.0f} MB"


def _end_to_end(stdout, uploads):
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.utils import override_settings

    from .. import validators
    from ..documents import attach_document
    from ..documents.ocr.presenting import summarize
    from ..models import (
        Document,
        DocumentKind,
        Enterprise,
        Membership,
        PassRequest,
        PassType,
        RequestItem,
        Vehicle,
    )
    from .notifications import _bench_database, _producer

    broker = os.environ.get("PASSDESK_BENCH_BROKER", "redis://127.0.0.1:6379/9")
    with (
        tempfile.TemporaryDirectory() as tmp,
        override_settings(
            MEDIA_ROOT=str(Path(tmp) / "media"),
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(Path(tmp) / "media"), "base_url": None},
                },
            },
            PASSDESK_OCR_ENABLED=True,
        ),
        _bench_database(),
        _producer(broker),
        _ocr_worker(broker, Path(tmp) / "media", Path(tmp)) as worker,
    ):
        from django.contrib.auth import get_user_model

        body = "91430200MA4BENCH1"
        enterprise = Enterprise.objects.create(
            name="株洲市荷塘区顺达物流有限责任公司",
            credit_code=body + validators.credit_code_check_character(body),
            address="湖南省株洲市荷塘区",
            contact_name="王经理",
            contact_phone="13900000000",
            verification_status=Enterprise.Verification.VERIFIED,
        )
        user = get_user_model().objects.create_user("bench-ocr", password=None)
        Membership.objects.create(user=user, enterprise=enterprise)
        pass_type = PassType.objects.create(
            name="货车通行证", code="bench-ocr", max_validity_days=30
        )
        pass_request = PassRequest.objects.create(enterprise=enterprise, pass_type=pass_type)
        vehicle = Vehicle.objects.create(enterprise=enterprise, plate="湘B5J827")
        item = RequestItem.objects.create(request=pass_request, vehicle=vehicle)
        seconds = []
        for index in range(uploads + 1):  # the first one loads the engine: not counted
            data = make_scan_bytes(
                "机动车行驶证",
                ["号牌号码：湘B5J827", "车辆类型：重型货车", f"所有人：{enterprise.name}"],
                seed=index,
            )
            started = time.perf_counter()
            document = attach_document(
                enterprise=enterprise,
                uploaded_file=SimpleUploadedFile(f"licence-{index}.jpg", data),
                kind=DocumentKind.VEHICLE_LICENCE,
                by=user,
                request=pass_request,
                item=item,
            )
            deadline = time.monotonic() + 120
            while True:
                fresh = Document.objects.select_related("reading").get(pk=document.pk)
                shown = summarize(fresh)
                if shown.status != "pending":
                    if shown.status != "read" or not shown.all_match:
                        raise RuntimeError(f"reading ended {shown.status} {shown.reason}")
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("the OCR worker did not read the upload")
                time.sleep(0.02)
            if index:
                seconds.append(time.perf_counter() - started)
        report(stdout, "upload commit -> reading visible, one OCR worker", seconds, "s", 1.0)
        stdout.write(
            f"  OCR worker process memory after {uploads + 1} readings: " + _memory(worker.pid)
        )


def run(stdout, runs: int) -> None:
    stdout.write(f"ocr ({machine_line()}; shared machine: figures are noisy)")
    _speed(stdout, runs)
    documents = int(os.environ.get("PASSDESK_BENCH_OCR_DOCUMENTS", 210))
    if documents:
        _accuracy(stdout, documents)
    if connection.vendor != "postgresql":
        stdout.write("  end to end: skipped, needs DATABASE_URL pointing at PostgreSQL")
        return
    _end_to_end(stdout, int(os.environ.get("PASSDESK_BENCH_OCR_UPLOADS", 10)))
