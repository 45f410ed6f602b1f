"""A real OCR worker meets a stopped object store (a SeaweedFS server of the test's own): the
reading is not "unreadable" but waits for the store, and the sweeper, run by the worker, has it
read once the store is back."""

import time

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from passes.documents.ocr.presenting import summarize
from passes.documents.ocr.services import sweep_readings
from passes.models import Document, DocumentKind, DocumentReading
from tests import factories
from tests.ocr_helpers import scan_upload
from tests.portal_helpers import client_for, member
from tests.web.test_faults_storage import own_s3_server, store  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.s3,
    pytest.mark.django_db(transaction=True),
]


def sweep_until(worker, condition, *, timeout=120):
    """Run the beat's sweep on the worker (each time as if the wait were over) until
    ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, worker.log()[-4000:]
        DocumentReading.objects.filter(status="pending").update(retry_at=timezone.now())
        sweep_readings.delay()
        assert worker.alive(), worker.log()[-4000:]
        time.sleep(2)


def test_the_ocr_worker_waits_for_a_stopped_store_and_reads_once_it_is_back(
    store,  # noqa: F811 - the fixture imported above
    start_celery_worker,
    settings,
):
    settings.PASSDESK_OCR_ENABLED = True
    enterprise = factories.EnterpriseFactory()
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    item = factories.RequestItemFactory(request=pass_request)
    truth = {"plate": item.vehicle.plate, "vehicle_type": "重型货车", "owner": enterprise.name}
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # queued for a worker that is not there yet
    try:
        response = client_for(member(enterprise)).post(
            reverse("passes:request-upload", args=[pass_request.pk]),
            {
                "kind": DocumentKind.VEHICLE_LICENCE,
                "target": f"item:{item.pk}",
                "file": scan_upload(DocumentKind.VEHICLE_LICENCE, truth),
            },
            HTTP_ACCEPT="application/json",
        )
    finally:
        celery_app.conf.task_always_eager = was_eager
    assert response.status_code == 201, response.content
    document = Document.objects.get(request=pass_request)

    store.stop()
    with start_celery_worker(queues=["celery", "ocr"]) as worker:
        reading = DocumentReading.objects.filter(document=document)
        sweep_until(worker, lambda: reading.filter(reason="storage_unavailable").exists())
        shown = summarize(Document.objects.select_related("reading").get(pk=document.pk))
        assert shown.status == "pending" and "file store" in str(shown.label)

        store.start()
        deadline = time.monotonic() + 60
        while not default_storage.exists(document.file.name):
            assert time.monotonic() < deadline, "the store did not come back"
            time.sleep(0.5)
        sweep_until(worker, lambda: reading.filter(status="read").exists())

    final = reading.get()
    assert (final.status, final.outcome) == ("read", "all_match")
    assert final.attempts >= 2 and final.retry_at is None
    assert "passes.sweep_readings" in worker.log()
