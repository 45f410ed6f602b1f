"""A 1,000-row import through Redis and a real Celery worker, followed by the page's status
view the way the progress bar polls it."""

import io
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from passes.models import Vehicle
from passes.models.imports import ImportJob
from tests import factories
from tests.portal_helpers import client_for, member


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thousand_row_import_runs_in_the_worker(celery_worker):
    enterprise = factories.EnterpriseFactory()
    client = client_for(member(enterprise))
    workbook = openpyxl.Workbook()
    workbook.active.append(["车牌号", "车辆类型"])
    for n in range(995):
        workbook.active.append([f"湘E{n:05d}", "重型货车"])
    for n in range(5):
        workbook.active.append([f"湘E{n:05d}", ""])  # duplicates of the first five rows
    content = io.BytesIO()
    workbook.save(content)

    response = client.post(
        reverse("passes:import-new"),
        {"kind": "vehicles", "file": SimpleUploadedFile("fleet.xlsx", content.getvalue())},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("passes:import-detail", args=[job.pk])

    status_url = reverse("passes:import-status", args=[job.pk])
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        data = client.get(status_url).json()
        seen.append(data["processed"])
        if data["finished"]:
            break
        time.sleep(0.2)
    assert data["finished"] and data["status"] == "done", celery_worker.log()
    assert (data["total"], data["processed"], data["created"], data["rejected"]) == (
        1000,
        1000,
        995,
        5,
    )
    assert seen == sorted(seen)  # progress only moves forward
    assert Vehicle.objects.filter(enterprise=enterprise).count() == 995
    page = client.get(reverse("passes:import-detail", args=[job.pk])).content.decode()
    assert "Duplicate in this file" in page and "line 2" in page
