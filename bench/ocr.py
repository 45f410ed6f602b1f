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

from passes.demo.scans import make_scan_bytes, make_scan_pdf

from . import machine_line, measure_cpu, report

BASE_DIR = Path(__file__).resolve().parents[1]
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
    from passes.documents.ocr import engine

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
    import datetime

    from passes.models import Document, Driver, Enterprise, Vehicle

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
            vehicle_type=sample.extra.get("filed_vehicle_type", sample.extra["vehicle_type"]),
        )
    if sample.kind in ("driving_licence", "nucleic_acid_test"):
        document.driver = Driver(
            pk=1, enterprise=enterprise, name=filed["name"], id_number=filed["id_number"]
        )
    if filed.get("sampled_at"):
        document.tested_at = datetime.datetime.fromisoformat(filed["sampled_at"])
    return document


ALTERED_FIELD = {
    "code_look_alike": "credit_code",
    "code_other": "credit_code",
    "plate_look_alike": "plate",
    "plate_other": "plate",
    "owner_other": "owner",
    "type_other": "vehicle_type",
    "id_look_alike": "id_number",
    "id_other": "id_number",
    "date_day": "sampled_at",
}


def _altered_field(sample) -> str:
    """The field whose check must not say match."""
    alteration = getattr(sample, "alteration", "")
    if alteration in ALTERED_FIELD:
        return ALTERED_FIELD[alteration]
    differing = [key for key in sample.filed if sample.filed[key] != sample.truth.get(key)]
    return differing[0]


def _field_exact(field, value, extraction, lines) -> bool:
    from passes.documents.ocr.checks import name_on_page
    from passes.documents.ocr.extract import normalize_name

    read = extraction.fields.get(field)
    if read is not None and normalize_name(read) == normalize_name(value):
        return True
    # Organisation names are found on the page, not cut out of it (checks.name_on_page).
    return field in ("enterprise_name", "owner") and name_on_page(lines, value)


def evaluate(samples, read=None) -> dict:
    """Read every sample, extract and check it against what was filed: the counts of the
    accuracy table. ``read(sample)`` gives the engine's result (default: read the bytes)."""
    from passes.documents.ocr import engine
    from passes.documents.ocr.checks import MATCH, MISMATCH, outcome_of, run_checks
    from passes.documents.ocr.extract import extract

    read = read or (
        lambda sample: engine.read_file(sample.image, getattr(sample, "content_type", "image/jpeg"))
    )
    counts = defaultdict(lambda: [0, 0])  # name -> [hits, seen]
    cpu, misses = [], []
    for sample in samples:
        result = read(sample)
        cpu.append(result.cpu_seconds / max(result.pages, 1))
        lines = [line.as_dict() for line in result.lines]
        extraction = extract(sample.kind, lines)
        for field, value in sample.truth.items():
            exact = _field_exact(field, value, extraction, lines)
            keys = ["fields", f"fields|kind|{sample.kind}", f"fields|capture|{sample.quality}"]
            if sample.quality != "blurred":  # the issue lets a blurred photo be "unreadable"
                keys.append("fields sharp")
            for key in keys:
                counts[key][0] += exact
                counts[key][1] += 1
            if not exact:
                misses.append(
                    (sample.kind, sample.quality, field, value, extraction.fields.get(field))
                )
        checks = run_checks(_filed_document(sample), extraction, lines)
        outcome = outcome_of(checks)
        if sample.altered:
            key = _altered_field(sample)
            status = {check["field"]: check["status"] for check in checks}.get(key)
            false_match = status == MATCH or outcome == "all_match"
            flagged = status == MISMATCH
            alteration = getattr(sample, "alteration", "") or "other"
            counts["altered match"][0] += false_match
            counts["altered match"][1] += 1
            counts["altered flagged"][0] += flagged
            counts["altered flagged"][1] += 1
            counts[f"altered match|alteration|{alteration}"][0] += false_match
            counts[f"altered match|alteration|{alteration}"][1] += 1
            if "look_alike" in alteration:
                counts["look-alike match"][0] += false_match
                counts["look-alike match"][1] += 1
        else:
            for scope in ("", f"|kind|{sample.kind}", f"|capture|{sample.quality}"):
                counts[f"genuine all-match{scope}"][0] += outcome == "all_match"
                counts[f"genuine all-match{scope}"][1] += 1
                counts[f"genuine mismatch{scope}"][0] += outcome == "mismatch"
                counts[f"genuine mismatch{scope}"][1] += 1
    return {"counts": counts, "cpu": cpu, "documents": len(samples), "misses": misses}


def _share(pair) -> str:
    hits, seen = pair
    return f"{hits / seen:.1%} ({hits}/{seen})" if seen else "-"


def _by(counts, prefix) -> str:
    parts = []
    for key in sorted(counts):
        if key.startswith(prefix + "|"):
            hits, seen = counts[key]
            parts.append(f"{key.rsplit('|', 1)[1]} {hits / seen:.0%} ({hits}/{seen})")
    return ", ".join(parts) or "-"


def print_table(stdout, columns) -> None:
    """The issue's accuracy table, one column per set: ``columns`` is [(title, evaluation)]."""
    rows = [
        ("fields read exactly", lambda c: _share(c["fields"])),
        ("fields read exactly, blurred photos aside", lambda c: _share(c["fields sharp"])),
        ("genuine documents all-match", lambda c: _share(c["genuine all-match"])),
        (
            "genuine documents flagged mismatch (false alarms)",
            lambda c: _share(c["genuine mismatch"]),
        ),
        (
            "altered documents (one field changed) reported as match",
            lambda c: _share(c["altered match"]),
        ),
        (
            "look-alike single-character edits reported as match",
            lambda c: _share(c["look-alike match"]),
        ),
        ("altered documents flagged mismatch", lambda c: _share(c["altered flagged"])),
    ]
    stdout.write("  | | " + " | ".join(title for title, _evaluation in columns) + " |")
    stdout.write("  |---|" + "---|" * len(columns))
    for label, value in rows:
        cells = [value(evaluation["counts"]) for _title, evaluation in columns]
        stdout.write(f"  | {label} | " + " | ".join(cells) + " |")
    cpu_cells = []
    for _title, evaluation in columns:
        ordered = sorted(evaluation["cpu"])
        cpu_cells.append(
            f"median {ordered[len(ordered) // 2]:.2f}, mean {sum(ordered) / len(ordered):.2f}, "
            f"p90 {ordered[int(len(ordered) * 0.9)]:.2f}"
        )
    stdout.write("  | worker CPU-s per page | " + " | ".join(cpu_cells) + " |")
    for title, evaluation in columns:
        counts = evaluation["counts"]
        stdout.write(f"  {title}:")
        stdout.write("    fields exact by kind: " + _by(counts, "fields|kind"))
        stdout.write("    fields exact by capture: " + _by(counts, "fields|capture"))
        stdout.write("    genuine all-match by kind: " + _by(counts, "genuine all-match|kind"))
        stdout.write(
            "    genuine all-match by capture: " + _by(counts, "genuine all-match|capture")
        )
        stdout.write("    false alarms by kind: " + _by(counts, "genuine mismatch|kind"))
        stdout.write("    false alarms by capture: " + _by(counts, "genuine mismatch|capture"))
        stdout.write(
            "    altered reported as match, by edit: " + _by(counts, "altered match|alteration")
        )


def _accuracy(stdout, tuning: int, held_out: int):
    from . import _ocr_heldout, _ocr_samples

    columns = []
    if held_out:
        started = time.process_time()
        samples = _ocr_heldout.make_samples(held_out)
        stdout.write(
            f"  held-out set: {len(samples)} documents drawn in "
            f"{time.process_time() - started:.0f} CPU-s (bench/_ocr_heldout.py; "
            "never used for tuning)"
        )
        columns.append((f"held-out ({len(samples)} documents)", evaluate(samples)))
        print_table(stdout, columns)  # at once: the tuning set takes minutes more
    if tuning:
        samples = _ocr_samples.make_samples(tuning)
        columns.append((f"tuning generator ({len(samples)} documents)", evaluate(samples)))
        print_table(stdout, columns)


def _reading_memory(stdout, count: int) -> None:
    """Peak memory of a fresh process that loads the engine and reads ``count`` held-out
    pages (phone photos among them) from files, as one OCR worker process does: the pages are
    drawn here, so the drawing's memory is not counted."""
    import pickle
    import subprocess
    import sys

    from . import _ocr_heldout

    pages = [(s.image, s.content_type) for s in _ocr_heldout.make_samples(count, seed=77)]
    with tempfile.NamedTemporaryFile(suffix=".pages") as handle:
        pickle.dump(pages, handle)
        handle.flush()
        code = (
            "import django; django.setup(); "
            "from bench.ocr import _memory_child; "
            f"print(_memory_child({handle.name!r}))"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        done = subprocess.run(  # noqa: S603 - this interpreter, code written above
            [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
        )
    shown = done.stdout.strip().splitlines()[-1:] or [done.stderr.strip()[-300:]]
    stdout.write("  " + shown[0])


def _memory_child(path: str) -> str:
    import pickle

    from passes.documents.ocr import engine

    before = _memory(os.getpid())
    engine.get_engine()
    loaded = _memory(os.getpid())
    with open(path, "rb") as handle:
        pages = pickle.load(handle)  # noqa: S301 - written by the parent a moment ago
    for data, content_type in pages:
        engine.read_file(data, content_type)
    return (
        f"reading process memory: Django loaded {before}; engine loaded {loaded}; "
        f"after {len(pages)} held-out pages {_memory(os.getpid())}"
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

    from passes import validators
    from passes.documents import attach_document
    from passes.documents.ocr.presenting import summarize
    from passes.models import (
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
    tuning = int(os.environ.get("PASSDESK_BENCH_OCR_DOCUMENTS", 210))
    held_out = int(os.environ.get("PASSDESK_BENCH_OCR_HELDOUT", 520))
    if tuning or held_out:
        _accuracy(stdout, tuning, held_out)
    memory_pages = int(os.environ.get("PASSDESK_BENCH_OCR_MEMORY_PAGES", 30))
    if memory_pages:
        _reading_memory(stdout, memory_pages)
    if connection.vendor != "postgresql":
        stdout.write("  end to end: skipped, needs DATABASE_URL pointing at PostgreSQL")
        return
    _end_to_end(stdout, int(os.environ.get("PASSDESK_BENCH_OCR_UPLOADS", 10)))
