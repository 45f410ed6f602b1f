"""Bulk import of vehicles and drivers from CSV and XLSX: good rows saved, bad rows explained."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from passes.enterprises.fleet_import import run_import
from passes.models import Driver, Vehicle
from passes.models.imports import ImportJob
from tests import factories
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db


def _csv(rows, encoding="utf-8-sig"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def client(enterprise):
    return client_for(member(enterprise))


def _upload(client, kind, name, content, capture):
    with capture(execute=True):
        response = client.post(
            reverse("passes:import-new"),
            {"kind": kind, "file": SimpleUploadedFile(name, content)},
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImportJob.objects.latest("created_at")


def _reasons(job):
    return {row["line"]: row["reason"] for row in job.rejected_rows}


def test_csv_vehicles_mixed_rows(client, enterprise, django_capture_on_commit_callbacks):
    factories.VehicleFactory(enterprise=enterprise, plate="湘B00009")
    rows = [
        ["车牌号", "车辆类型", "行驶证号"],
        ["湘B12345", "重型货车", "A1"],  # line 2: good (Chinese type label)
        ["湘b·54321", "van", ""],  # line 3: good, normalised
        ["XX999", "", ""],  # line 4: bad plate
        ["湘B12345", "", ""],  # line 5: duplicate of line 2
        ["湘B00009", "", ""],  # line 6: already exists
        ["", "van", ""],  # line 7: missing plate
        ["湘B77777", "spaceship", ""],  # line 8: unknown type
    ]
    job = _upload(client, "vehicles", "fleet.csv", _csv(rows), django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.processed, job.created) == (7, 7, 2)
    reasons = _reasons(job)
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert "not a valid plate" in reasons[4]
    assert "line 2" in reasons[5]
    assert "already exists" in reasons[6]
    assert "missing" in reasons[7]
    assert "spaceship" in reasons[8]
    plates = set(Vehicle.objects.filter(enterprise=enterprise).values_list("plate", flat=True))
    assert plates == {"湘B00009", "湘B12345", "湘B54321"}
    assert Vehicle.objects.get(plate="湘B12345").vehicle_type == "heavy_truck"

    page = client.get(reverse("passes:import-detail", args=[job.pk])).content.decode()
    assert "Refused rows" in page and "not a valid plate" in page


def test_xlsx_drivers_mixed_rows(client, enterprise, django_capture_on_commit_callbacks):
    good = factories.make_id_number(11)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        ["name", "ID number", "phone", "licence number"],
        ["张三", good, 13912345678, "D1"],  # numbers typed into Excel arrive as numbers
        ["李四", bad_check, "13912345679", ""],
        ["王五", factories.make_id_number(12), "12345", ""],
        ["赵六", good, "13912345670", ""],
    ]
    job = _upload(
        client, "drivers", "drivers.xlsx", _xlsx(rows), django_capture_on_commit_callbacks
    )
    job.refresh_from_db()
    assert job.created == 1
    reasons = _reasons(job)
    assert sorted(reasons) == [3, 4, 5]
    assert "check digit" in reasons[3]
    assert "mobile number" in reasons[4]
    assert "Duplicate" in reasons[5]
    driver = Driver.objects.get(enterprise=enterprise)
    assert driver.phone == "13912345678" and driver.id_number == good
    # Refused rows are listed with masked ID numbers only.
    page = client.get(reverse("passes:import-detail", args=[job.pk])).content.decode()
    assert bad_check not in page and good not in page


def test_missing_column_fails_the_whole_file(
    client, enterprise, django_capture_on_commit_callbacks
):
    rows = [["姓名", "手机号"], ["张三", "13912345678"]]
    job = _upload(client, "drivers", "d.csv", _csv(rows), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "Missing column" in job.error and "resident ID number" in job.error
    assert not Driver.objects.exists()


def test_gbk_csv_is_read(client, enterprise, django_capture_on_commit_callbacks):
    rows = [["车牌号"], ["湘B24680"]]
    job = _upload(
        client, "vehicles", "gbk.csv", _csv(rows, "gb18030"), django_capture_on_commit_callbacks
    )
    job.refresh_from_db()
    assert job.created == 1


def test_a_thousand_rows(client, enterprise, django_capture_on_commit_callbacks):
    rows = [["车牌号 (plate)", "车辆类型 (vehicle type)"]]
    rows += [[f"湘C{n:05d}", "heavy_truck"] for n in range(990)]
    rows += [[f"bad{n}", ""] for n in range(10)]
    job = _upload(client, "vehicles", "big.xlsx", _xlsx(rows), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.total, job.processed, job.created) == (1000, 1000, 990)
    assert [row["line"] for row in job.rejected_rows] == list(range(992, 1002))
    assert Vehicle.objects.filter(enterprise=enterprise).count() == 990


def test_progress_json(client, enterprise):
    job = ImportJob.objects.create(
        enterprise=enterprise, kind="vehicles", original_name="x.csv", total=300, processed=100
    )
    data = client.get(reverse("passes:import-status", args=[job.pk])).json()
    assert data["processed"] == 100 and data["total"] == 300 and data["percent"] == 33
    assert data["finished"] is False
    page = client.get(reverse("passes:import-detail", args=[job.pk])).content.decode()
    assert reverse("passes:import-status", args=[job.pk]) in page and "<progress" in page


def test_interrupted_job_resumes_after_the_last_chunk(enterprise):
    user = member(enterprise)
    rows = [["plate"]] + [[f"湘D{n:05d}"] for n in range(250)]
    job = ImportJob.objects.create(
        enterprise=enterprise,
        user=user,
        kind="vehicles",
        original_name="v.csv",
        file=SimpleUploadedFile("v.csv", _csv(rows)),
    )
    # A first run saved the first chunk, then the worker died.
    Vehicle.objects.bulk_create(
        Vehicle(enterprise=enterprise, plate=f"湘D{n:05d}") for n in range(100)
    )
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed=100, created=100)
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.processed, job.created, job.rejected_rows) == (250, 250, [])
    assert Vehicle.objects.filter(enterprise=enterprise).count() == 250
    run_import(job.pk)  # a finished job is left alone
    job.refresh_from_db()
    assert job.created == 250


@pytest.mark.parametrize(("kind", "fmt"), [("vehicles", "csv"), ("drivers", "xlsx")])
def test_templates_download_and_import_back(client, kind, fmt):
    response = client.get(reverse("passes:import-template", args=[kind, fmt]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    if fmt == "csv":
        assert content.decode("utf-8-sig").startswith("车牌号 (plate)")
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        assert sheet["A1"].value == "姓名 (name)"


def test_wrong_type_or_oversized_files_are_refused_at_upload(client, settings):
    response = client.post(
        reverse("passes:import-new"),
        {"kind": "vehicles", "file": SimpleUploadedFile("fleet.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 200 and "CSV or XLSX" in str(response.context["form"].errors)
    settings.PASSDESK_IMPORT_MAX_BYTES = 10
    response = client.post(
        reverse("passes:import-new"),
        {"kind": "vehicles", "file": SimpleUploadedFile("fleet.csv", b"plate\n" * 10)},
    )
    assert "larger than" in str(response.context["form"].errors)
    assert not ImportJob.objects.exists()
