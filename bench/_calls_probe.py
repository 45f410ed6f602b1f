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
from datetime import UTC, datetime


class _Counter:
    """A database execute wrapper counting statements (cheap: nothing is formatted)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class _InProcessClient:
    """The fortnight's client contract (``call`` returning ``(status, data)``) served by Django's
    own request handling in this process, timing each call's thread CPU and statements; so
    ``fortnight._file_one`` files the requests here exactly as it does over HTTP."""

    def __init__(self, timed, *, token=None, session=None):
        from django.test import Client

        self.timed = timed
        self.client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
        if session:
            self.client.cookies["sessionid"] = session

    def call(
        self, operation, method, path, body=None, content_type="application/json", expect=(200, 201)
    ):
        if body is not None and content_type == "application/json":
            body = json.dumps(body)
        response = self.timed(
            operation,
            lambda: self.client.generic(method, path, body or b"", content_type, **self.headers),
        )
        if response.status_code not in expect:
            problem = f"{method} {path}: {response.status_code} {response.content[:300]!r}"
            raise RuntimeError(problem)
        if response.streaming:  # a file: gunicorn would hand it to sendfile, not read it here
            response.close()
            return response.status_code, b""
        if response.get("Content-Type", "").startswith("application/json"):
            return response.status_code, response.json()
        return response.status_code, response.content


def run_calls(seeded: dict, enterprises: int) -> dict:
    """``{call: {"cpu_ms": [...], "statements": [...], "per_request": n}}`` for the flow."""
    from django.db import connection

    from passes.documents.previews import make_thumbnail
    from passes.issuing.rendering import render_request_passes
    from passes.models import Document, Notification, Pass
    from passes.notifications.outbox import deliver_notification
    from passes.signing import keys as signing_keys
    from passes.signing import tokens as signing

    from .api import scan_jpeg
    from .fortnight import SCAN_BYTES, SCANS_PER_PASS, _file_one

    cpu = collections.defaultdict(list)
    statements = collections.defaultdict(list)
    counter = _Counter()

    def timed(name, work):
        counter.count = 0
        with connection.execute_wrapper(counter):
            started = time.thread_time()
            result = work()
            cpu[name].append((time.thread_time() - started) * 1000)
        statements[name].append(counter.count)
        return result

    scans = [scan_jpeg(SCAN_BYTES, seed) for seed in (1, 2)]
    reviewer = seeded["reviewers"][0]
    office = _InProcessClient(timed, token=reviewer["token"])
    viewer = _InProcessClient(timed, session=reviewer["session"])
    scanner = _InProcessClient(timed, token=seeded["inspectors"][0])
    filed = []
    for index in range(enterprises):
        client = _InProcessClient(timed, token=seeded["tokens"][index])
        filed.append((_file_one(client, seeded, index, scans), client))
    for request_id, client in filed:  # the queue holds what is still waiting, as live
        review = f"/api/v1/review/{request_id}/"
        office.call("review queue", "GET", "/api/v1/review/queue/?status=submitted")
        office.call("claim", "POST", f"{review}claim/")
        _status, detail = office.call("review detail", "GET", review)
        for document in detail["documents"]:
            viewer.call("view document", "GET", document["url"])
        office.call("approve", "POST", f"{review}approve/", {})
        timed("task: render PDF", lambda request_id=request_id: render_request_passes(request_id))
        for document_id in Document.objects.filter(request_id=request_id).values_list(
            "pk", flat=True
        ):
            timed("task: thumbnail", lambda pk=document_id: make_thumbnail(pk))
        for notification_id in Notification.objects.filter(
            status=Notification.Status.QUEUED
        ).values_list("pk", flat=True):
            timed("task: deliver e-mail", lambda pk=notification_id: deliver_notification(pk))
        _status, shown = client.call("request detail", "GET", f"/api/v1/requests/{request_id}/")
        client.call("download PDF", "GET", shown["all_passes_pdf_url"])
        for issued in Pass.objects.select_related("request").filter(request_id=request_id):
            code = signing.verification_url(signing_keys.sign_pass(issued))
            for number in range(SCANS_PER_PASS):
                scan = {
                    "code": code,
                    "checkpoint": seeded["checkpoint_codes"][number % 2],
                    "nonce": str(uuid.uuid4()),
                    "scanned_at": datetime.now(UTC).isoformat(),
                }
                scanner.call("scan", "POST", "/api/v1/scans/", scan)
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
