"""A real OCR worker (its own ``ocr`` queue, through Redis) reads a real portal upload; and with
no OCR worker running the document degrades to "not machine-read" while review goes on."""

import datetime

import pytest
from django.urls import reverse

from config.celery import app as celery_app
from passes.documents.ocr.presenting import summarize
from passes.models import Document, DocumentKind, DocumentReading, PassRequest
from passes.requests import workflow
from tests import factories
from tests.ocr_helpers import scan_upload
from tests.portal_helpers import client_for, member


def _upload_wrong_plate(client, pass_request, item):
    wrong = item.vehicle.plate[:-1] + ("7" if item.vehicle.plate[-1] != "7" else "8")
    truth = {"plate": wrong, "vehicle_type": "重型货车", "owner": pass_request.enterprise.name}
    response = client.post(
        reverse("passes:request-upload", args=[pass_request.pk]),
        {
            "kind": DocumentKind.VEHICLE_LICENCE,
            "target": f"item:{item.pk}",
            "file": scan_upload(DocumentKind.VEHICLE_LICENCE, truth),
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return wrong


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_ocr_worker_reads_a_portal_upload(start_celery_worker, settings):
    settings.PASSDESK_OCR_ENABLED = True
    enterprise = factories.EnterpriseFactory()
    applicant = member(enterprise)
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    item = factories.RequestItemFactory(request=pass_request)
    client = client_for(applicant)
    with start_celery_worker(queues=["ocr"]) as worker:
        wrong = _upload_wrong_plate(client, pass_request, item)
        document = Document.objects.get(request=pass_request)
        worker.wait_for(
            lambda: DocumentReading.objects.filter(document=document, status="read").exists(),
            timeout=120,
            message="the OCR worker did not read the upload",
        )
    assert "passes.read_document" in worker.log()
    page = client.get(
        reverse("passes:request-step", args=[pass_request.pk, "review"]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert f"号牌读作{wrong}，与申请车辆{item.vehicle.plate}不符" in page


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_the_ocr_worker_down_review_goes_on(settings, reviewer):
    """Tasks go to Redis's ``ocr`` queue and nobody takes them: the reading stays pending, then
    shows as not machine-read, and the reviewer approves as before."""
    settings.PASSDESK_OCR_ENABLED = True
    enterprise = factories.EnterpriseFactory()
    applicant = member(enterprise)
    pass_request = factories.PassRequestFactory(enterprise=enterprise)
    item = factories.RequestItemFactory(request=pass_request)
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        _upload_wrong_plate(client_for(applicant), pass_request, item)
    finally:
        celery_app.conf.task_always_eager = was_eager
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge("ocr")
    reading = DocumentReading.objects.get(document__request=pass_request)
    assert reading.status == "pending"
    DocumentReading.objects.filter(pk=reading.pk).update(
        requested_at=reading.requested_at - datetime.timedelta(hours=1)
    )
    document = Document.objects.select_related("reading").get(request=pass_request)
    summary = summarize(document)
    assert (summary.status, summary.reason) == ("not_read", "stale")
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    workflow.approve(pass_request, by=reviewer)
    assert PassRequest.objects.get(pk=pass_request.pk).status == PassRequest.Status.APPROVED
