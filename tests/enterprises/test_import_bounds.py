"""Issue 26: no import file costs more than it weighs. Each hostile spreadsheet is built here
and must be refused quickly, with its reason on the import page, by a child that stays within
a small memory bound; a job the bounds stop is failed, never retried forever."""

import datetime
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from bench import _spreadsheet_bombs as bombs
from passes.documents.sandbox import run_bounded_measured
from passes.enterprises import fleet_import
from passes.enterprises.fleet_import_io import ImportFileError, ReadLimits, preload, read_import
from passes.models import Vehicle
from passes.models.imports import ImportJob
from tests.portal_helpers import client_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The messages are checked in their English source wording (the code's language; the
    site's default is zh-hans)."""
    with translation.override("en"):
        yield


MB = 1024 * 1024
# Far below the production bound (docs/security.md): every refusal below fits in it.
SMALL_MEMORY = 48 * MB


@pytest.fixture
def tight(settings):
    settings.PASSDESK_IMPORT_MEMORY_BYTES = SMALL_MEMORY
    settings.PASSDESK_IMPORT_CPU_SECONDS = 5
    settings.PASSDESK_IMPORT_WALL_SECONDS = 20
    return settings


@pytest.fixture
def client(enterprise):
    return client_for(member(enterprise))


def _upload(client, name, content, capture, kind="vehicles"):
    with capture(execute=True):
        response = client.post(
            reverse("passes:import-new"),
            {"kind": kind, "file": SimpleUploadedFile(name, content)},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("created_at")
    job.refresh_from_db()
    return job


def _refusal(raw, name):
    """The reason a bounded read refuses ``raw`` and what the child used on the way."""
    preload()  # as run_import does: openpyxl (and numpy, which it imports) loaded once
    limits = ReadLimits.from_settings()
    with pytest.raises(ImportFileError) as caught:
        run_bounded_measured(
            read_import,
            raw,
            name,
            "vehicles",
            limits,
            memory_bytes=SMALL_MEMORY,
            cpu_seconds=5,
            wall_seconds=20,
        )
    return str(caught.value), caught.value.sandbox_usage


HOSTILE = [
    ("claims A1:XFD1048576", "a.xlsx", bombs.dimension_bomb, "claims 1048576 rows"),
    ("5M empty rows, unsized", "b.xlsx", lambda: bombs.unsized_rows_xlsx(5_000_000), "unpacks"),
    ("a row numbered 1048576", "c.xlsx", bombs.far_row_xlsx, "more than 20000 lines"),
    ("5,001 rows", "d.xlsx", lambda: bombs.many_rows_xlsx(5001), "more than 5000 rows"),
    ("1 GiB zip bomb", "e.xlsx", bombs.zip_bomb_xlsx, "unpacks to 1024 MB"),
    ("zip bomb lying about its size", "f.xlsx", bombs.lying_zip_bomb_xlsx, "Bad CRC"),
    ("billion laughs", "g.xlsx", bombs.doctype_xlsx, "document type declaration"),
    ("one row of 700,000 cells", "h.xlsx", lambda: bombs.wide_row_xlsx(15 * MB), "1024 cells"),
    ("5 MB of empty CSV lines", "i.csv", lambda: bombs.blank_lines_csv(5 * MB), "20000 lines"),
    ("one 5 MB CSV line", "j.csv", lambda: bombs.long_line_csv(5 * MB), "8192 characters"),
    ("5 MB of CSV rows", "k.csv", lambda: bombs.full_csv(5 * MB, 64), "more than 5000 rows"),
]


@pytest.mark.parametrize(("label", "name", "build", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_each_hostile_file_is_refused_quickly_in_little_memory(label, name, build, reason):
    raw = build()
    started = time.monotonic()
    message, usage = _refusal(raw, name)
    assert reason in message
    assert usage.added_rss_bytes < 16 * MB, usage
    assert usage.cpu_seconds < 2, usage
    assert time.monotonic() - started < 10


def test_the_issue_26_sheet_fails_its_job_with_the_reason_on_the_page(
    client, tight, django_capture_on_commit_callbacks
):
    raw = bombs.dimension_bomb()
    assert len(raw) < 2048  # the 1.5 KB file that took 15 GB
    job = _upload(client, "fleet.xlsx", raw, django_capture_on_commit_callbacks)
    assert (job.status, job.attempts) == (ImportJob.Status.FAILED, 1)
    assert "A1:XFD1048576" in job.error and "20000" in job.error
    page = client.get(reverse("passes:import-detail", args=[job.pk])).content.decode()
    assert "The file could not be imported" in page and "A1:XFD1048576" in page
    status = client.get(reverse("passes:import-status", args=[job.pk])).json()
    assert (status["status"], status["finished"]) == ("failed", True)
    assert "A1:XFD1048576" in status["error"]


def test_a_zip_bomb_and_a_huge_csv_fail_their_jobs(
    client, tight, django_capture_on_commit_callbacks
):
    job = _upload(client, "z.xlsx", bombs.zip_bomb_xlsx(), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED and "unpacks to 1024 MB" in job.error
    csv = bombs.blank_lines_csv(5 * MB - 1024)
    job = _upload(client, "lines.csv", csv, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED and "more than 20000 lines" in job.error


def test_the_largest_accepted_sheet_is_imported_within_the_small_bound(
    client, enterprise, tight, django_capture_on_commit_callbacks
):
    raw = bombs.many_rows_xlsx(5000)
    _message_free = run_bounded_measured(
        read_import,
        raw,
        "ok.xlsx",
        "vehicles",
        ReadLimits.from_settings(),
        memory_bytes=SMALL_MEMORY,
        cpu_seconds=5,
        wall_seconds=20,
    )
    assert len(_message_free.value) == 5000
    assert _message_free.usage.added_rss_bytes < 32 * MB
    job = _upload(client, "ok.xlsx", raw, django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.created) == (ImportJob.Status.DONE, 5000, 5000)
    assert Vehicle.objects.filter(enterprise=enterprise).count() == 5000


def test_a_file_past_the_memory_bound_fails_with_the_memory_reason(
    client, tight, django_capture_on_commit_callbacks
):
    # Valid under every structural limit, but openpyxl needs ~220 MB for these styles.
    tight.PASSDESK_IMPORT_MEMORY_BYTES = 32 * MB
    tight.PASSDESK_IMPORT_CPU_SECONDS = 30  # the memory bound, not the CPU one, must stop it
    tight.PASSDESK_IMPORT_WALL_SECONDS = 60
    raw = bombs.styles_xlsx(15 * MB)
    started = time.monotonic()
    job = _upload(client, "styles.xlsx", raw, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert "more than the 32 MB of memory an import may use" in job.error
    assert time.monotonic() - started < 40


def test_a_file_past_the_cpu_bound_fails_with_the_time_reason(
    client, tight, django_capture_on_commit_callbacks
):
    # Valid under every structural limit; its shared strings take seconds of CPU to read.
    tight.PASSDESK_IMPORT_CPU_SECONDS = 1
    tight.PASSDESK_IMPORT_MEMORY_BYTES = 512 * MB
    raw = bombs.shared_strings_xlsx(15 * MB)
    job = _upload(client, "strings.xlsx", raw, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert "took longer than the 1 seconds an import may take" in job.error


# --- Attempts and the sweeper -------------------------------------------------------------------


def _waiting_job(enterprise, *, attempts=0, seconds_ago=0, status=ImportJob.Status.PENDING):
    job = ImportJob.objects.create(
        enterprise=enterprise,
        kind="vehicles",
        original_name="v.csv",
        file=SimpleUploadedFile("v.csv", "plate\n湘B12345\n".encode()),
        status=status,
        attempts=attempts,
        language="en",
    )
    when = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    ImportJob.objects.filter(pk=job.pk).update(created_at=when, attempted_at=when)
    return job


@pytest.fixture
def queued(monkeypatch):
    """The job ids the sweeper hands to the broker."""
    sent = []
    monkeypatch.setattr(fleet_import, "queue_import", lambda pk: sent.append(pk) or True)
    return sent


def test_the_sweeper_backs_off_and_gives_up_after_the_last_attempt(
    client, enterprise, settings, queued
):
    settings.PASSDESK_IMPORT_MAX_ATTEMPTS = 3
    settings.PASSDESK_IMPORT_RETRY_SECONDS = 120
    fresh = _waiting_job(enterprise, attempts=0, seconds_ago=60)
    due = _waiting_job(enterprise, attempts=0, seconds_ago=150)
    backing_off = _waiting_job(enterprise, attempts=2, seconds_ago=400)  # waits 480 s
    retried = _waiting_job(enterprise, attempts=2, seconds_ago=500)
    exhausted = _waiting_job(enterprise, attempts=3, seconds_ago=1000)

    assert fleet_import.sweep_imports() == 2
    assert sorted(queued) == sorted([due.pk, retried.pk])
    for job in (fresh, backing_off):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.PENDING
    exhausted.refresh_from_db()
    assert exhausted.status == ImportJob.Status.FAILED
    assert "given up after 3 attempts" in exhausted.error
    retried.refresh_from_db()
    assert timezone.now() - retried.attempted_at < datetime.timedelta(seconds=5)

    # Once requeued, a job waits for its back-off again: a second sweep queues nothing.
    queued.clear()
    assert fleet_import.sweep_imports() == 0 and queued == []

    exhausted.user = member(enterprise)
    exhausted.save(update_fields=["user"])
    page = client.get(reverse("passes:import-detail", args=[exhausted.pk])).content.decode()
    assert "given up after 3 attempts" in page
    listing = client.get(reverse("passes:import-new")).content.decode()
    assert "Failed" in listing and "Waiting" in listing


def test_a_running_job_is_left_alone_until_its_run_is_abandoned(enterprise, settings, queued):
    settings.CELERY_TASK_TIME_LIMIT = 180
    settings.PASSDESK_IMPORT_RETRY_SECONDS = 120
    running = _waiting_job(enterprise, attempts=1, seconds_ago=250, status="running")
    abandoned = _waiting_job(enterprise, attempts=1, seconds_ago=400, status="running")
    assert fleet_import.sweep_imports() == 1 and queued == [abandoned.pk]
    running.refresh_from_db()
    assert running.status == ImportJob.Status.RUNNING


def test_each_run_counts_and_the_run_after_the_last_attempt_gives_up(enterprise, settings):
    settings.PASSDESK_IMPORT_MAX_ATTEMPTS = 2
    job = _waiting_job(enterprise, attempts=2)
    fleet_import.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.FAILED, 0)
    assert "given up after 2 attempts" in job.error
    assert not Vehicle.objects.filter(enterprise=enterprise).exists()

    job = _waiting_job(enterprise, attempts=1)
    fleet_import.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created) == (ImportJob.Status.DONE, 2, 1)
