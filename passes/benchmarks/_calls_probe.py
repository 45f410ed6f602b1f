"""The ``calls`` section's measuring process: one request's life, call by call, in-process.

Run by ``calls`` with the throw-away database's environment; also importable, so a test runs
the same flow. Each enterprise of the fortnight's seed registers two vehicles and two drivers,
files a request with two scans and submits; a reviewer takes it from the queue, claims, reads
the detail and both documents, approves; the worker's tasks run here too (the combined PDF,
the thumbnails, the e-mails); the enterprise reads the request and downloads the PDF, and an
inspector scans each pass four times. For every call: the thread's CPU time (what the web or
worker process spends on it, the database's share excluded) and the statements it ran.
"""

from __future__ import annotations

import collections
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta


class _Counter:
    """A database execute wrapper counting statements (cheap: nothing is formatted)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run_calls(seeded: dict, enterprises: int) -> dict:
    """``{call: {"cpu_ms": [...], "statements": [...], "per_request": n}}`` for the flow."""
    from django.db import connection
    from django.test import Client

    from passes.documents.tasks import make_thumbnail
    from passes.issuing.tasks import render_request_passes
    from passes.models import Document, Notification, Pass
    from passes.notifications.tasks import deliver_notification
    from passes.signing import keys as signing_keys
    from passes.signing import tokens as signing
    from passes.validators import id_number_check_character

    from .api import multipart, scan_jpeg
    from .fortnight import SCAN_BYTES, SCANS_PER_PASS, _unique_jpeg

    cpu = collections.defaultdict(list)
    statements = collections.defaultdict(list)
    counter = _Counter()
    host = {"HTTP_HOST": "localhost"}

    def timed(name, work):
        counter.count = 0
        with connection.execute_wrapper(counter):
            started = time.thread_time()
            result = work()
            cpu[name].append((time.thread_time() - started) * 1000)
        statements[name].append(counter.count)
        return result

    def call(client, name, method, url, body=None, content_type="application/json", token=None):
        headers = dict(host)
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        if body is not None and content_type == "application/json":
            body = json.dumps(body)
        response = timed(
            name,
            lambda: (
                client.get(url, **headers)
                if method == "GET"
                else client.generic(method, url, body or b"", content_type, **headers)
            ),
        )
        if response.status_code >= 300:
            raise RuntimeError(f"{name}: {response.status_code} {response.content[:300]!r}")
        return response

    scans = [scan_jpeg(SCAN_BYTES, seed) for seed in (1, 2)]
    reviewer = seeded["reviewers"][0]
    viewer = Client(**host)
    viewer.cookies["sessionid"] = reviewer["session"]
    inspector, scanner = seeded["inspectors"][0], Client(**host)
    filed = []
    for index in range(enterprises):
        client, token = Client(**host), seeded["tokens"][index]
        vehicles, drivers = [], []
        for n in range(2):
            number = index * 2 + n
            vehicle = call(
                client,
                "register vehicle",
                "POST",
                "/api/v1/vehicles/",
                {"plate": f"湘B{number % 100000:05d}", "vehicle_type": "heavy_truck"},
                token=token,
            )
            vehicles.append(vehicle.json()["id"])
            body = f"4302021985{number % 12 + 1:02d}{number % 28 + 1:02d}{number % 1000:03d}"
            driver = call(
                client,
                "register driver",
                "POST",
                "/api/v1/drivers/",
                {
                    "name": "王师傅",
                    "id_number": body + id_number_check_character(body),
                    "phone": f"138{number % 10**8:08d}",
                },
                token=token,
            )
            drivers.append(driver.json()["id"])
        start = datetime.now(UTC) + timedelta(hours=1)
        created = call(
            client,
            "create request",
            "POST",
            "/api/v1/requests/",
            {
                "pass_type": seeded["pass_type"],
                "cargo_description": "原材料 木材 20 吨",
                "origin": "株洲市荷塘区金山工业园",
                "destination": "长沙市雨花区黎托物流园",
                "route_description": "沪昆高速—京港澳高速",
                "checkpoints": seeded["checkpoints"],
                "valid_from": start.isoformat(),
                "valid_until": (start + timedelta(days=7)).isoformat(),
                "items": [{"vehicle": vehicles[n], "drivers": [drivers[n]]} for n in range(2)],
            },
            token=token,
        ).json()
        request_id = created["id"]
        for n, item in enumerate(created["items"]):
            body, content_type = multipart(
                {"kind": "vehicle_licence", "item": item["id"]},
                "file",
                f"行驶证{n + 1}.jpg",
                _unique_jpeg(scans[n], f"enterprise {index} scan {n}"),
            )
            path = f"/api/v1/requests/{request_id}/documents/"
            call(client, "upload scan", "POST", path, body, content_type, token=token)
        call(client, "submit", "POST", f"/api/v1/requests/{request_id}/submit/", token=token)
        filed.append((request_id, client, token))
    for request_id, client, token in filed:  # the queue holds what is still waiting, as live
        office = Client(**host)
        review = f"/api/v1/review/{request_id}/"
        queue = "/api/v1/review/queue/?status=submitted"
        call(office, "review queue", "GET", queue, token=reviewer["token"])
        call(office, "claim", "POST", f"{review}claim/", token=reviewer["token"])
        detail = call(office, "review detail", "GET", review, token=reviewer["token"]).json()
        for document in detail["documents"]:
            call(viewer, "view document", "GET", document["url"])
        call(office, "approve", "POST", f"{review}approve/", {}, token=reviewer["token"])
        timed("task: render PDF", lambda request_id=request_id: render_request_passes(request_id))
        for document_id in Document.objects.filter(request_id=request_id).values_list(
            "pk", flat=True
        ):
            timed("task: thumbnail", lambda pk=document_id: make_thumbnail(pk))
        for notification_id in Notification.objects.filter(
            status=Notification.Status.QUEUED
        ).values_list("pk", flat=True):
            timed("task: deliver e-mail", lambda pk=notification_id: deliver_notification(pk))
        mine = f"/api/v1/requests/{request_id}/"
        shown = call(client, "request detail", "GET", mine, token=token).json()
        call(client, "download PDF", "GET", shown["all_passes_pdf_url"], token=token)
        for issued in Pass.objects.select_related("request").filter(request_id=request_id):
            code = signing.verification_url(signing_keys.sign_pass(issued))
            for number in range(SCANS_PER_PASS):
                scan = {
                    "code": code,
                    "checkpoint": seeded["checkpoint_codes"][number % 2],
                    "nonce": str(uuid.uuid4()),
                    "scanned_at": datetime.now(UTC).isoformat(),
                }
                call(scanner, "scan", "POST", "/api/v1/scans/", scan, token=inspector)
    return {
        name: {
            "cpu_ms": values,
            "statements": statements[name],
            "per_request": len(values) / enterprises,
        }
        for name, values in cpu.items()
    }


if __name__ == "__main__":
    import django

    django.setup()
    with open(sys.argv[1], encoding="utf-8") as handle:
        seed = json.load(handle)
    figures = run_calls(seed, int(sys.argv[2]))
    with open(sys.argv[3], "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
