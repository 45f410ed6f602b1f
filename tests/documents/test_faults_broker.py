"""The broker is away (a closed port) while the web process works; a real Celery worker on
Redis picks up what was left once it is back. Nothing returns 500, nothing is lost."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from passes.documents.previews import sweep_thumbnails
from passes.enterprises.fleet_import import sweep_imports
from passes.models import Document
from passes.models.imports import ImportJob
from tests import factories, fixtures_files
from tests.api_support import API
from tests.api_support import client_for as api_client_for
from tests.faults import broker_unreachable
from tests.portal_helpers import client_for, member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def backdate(model, pk, field, seconds=600):
    model.objects.filter(pk=pk).update(
        **{field: timezone.now() - datetime.timedelta(seconds=seconds)}
    )


def test_upload_with_the_broker_down_is_kept_and_gets_its_thumbnail_later(celery_worker):
    enterprise = factories.EnterpriseFactory()
    applicant = member(enterprise)
    draft = factories.submittable_request(enterprise=enterprise)
    api = api_client_for(applicant)
    url = f"{API}/requests/{draft.pk}/documents/"
    scan = fixtures_files.jpeg_bytes()

    with broker_unreachable():
        response = api.post(
            url,
            {"file": fixtures_files.upload("letter.jpg", scan), "kind": "commitment_letter"},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        document = Document.objects.get(pk=response.json()["id"])
        # The committed row keeps its file: the applicant and the reviewer can open it.
        assert document.file.storage.exists(document.file.name)
        assert not document.thumbnail
        assert client_for(applicant).get(f"/files/documents/{document.pk}/").status_code == 200
        again = api.post(
            url,
            {"file": fixtures_files.upload("letter.jpg", scan), "kind": "commitment_letter"},
            format="multipart",
        )
        assert again.status_code == 400  # the same file twice is still a duplicate

    # The broker is back: the beat's sweeper draws the thumbnail the upload could not queue.
    backdate(Document, document.pk, "uploaded_at")
    sweep_thumbnails.delay()
    celery_worker.wait_for(
        lambda: Document.objects.get(pk=document.pk).thumbnail,
        message="the sweeper to draw the thumbnail",
    )
    document.refresh_from_db()
    assert document.thumbnail.storage.exists(document.thumbnail.name)


def test_fleet_import_with_the_broker_down_waits_and_runs_after_the_sweep(celery_worker):
    enterprise = factories.EnterpriseFactory()
    client = client_for(member(enterprise))
    content = io.BytesIO("车牌号,车辆类型\n湘B12345,重型货车\n".encode())

    with broker_unreachable():
        response = client.post(
            reverse("passes:import-new"),
            {"kind": "vehicles", "file": SimpleUploadedFile("fleet.csv", content.getvalue())},
        )
        assert response.status_code == 302, response.content[:500]
        job = ImportJob.objects.get()
        status = client.get(reverse("passes:import-status", args=[job.pk])).json()
        assert (status["status"], status["finished"]) == ("pending", False)
        page = client.get(reverse("passes:import-detail", args=[job.pk]))
        assert page.status_code == 200

    backdate(ImportJob, job.pk, "created_at")
    sweep_imports.delay()
    celery_worker.wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).is_finished,
        message="the swept import to finish",
    )
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.DONE, 1), job.error
