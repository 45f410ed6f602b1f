"""Readings checked against what was filed, stored with the document, and the degraded paths."""

import datetime

import pytest
from django.utils import timezone, translation

from passes.documents.ocr import engine, services
from passes.documents.ocr.checks import describe
from passes.models import AuditEvent, DocumentKind, DocumentReading
from tests import factories
from tests.ocr_helpers import attach_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def ocr_on(settings):
    settings.PASSDESK_OCR_ENABLED = True


@pytest.fixture
def draft(enterprise):
    pass_request = factories.PassRequestFactory(
        enterprise=enterprise,
        pass_type=factories.PassTypeFactory(health_proof_max_age_hours=48),
    )
    driver = factories.DriverFactory(enterprise=enterprise, name="王建军")
    factories.RequestItemFactory(request=pass_request, drivers=[driver])
    return pass_request


def _upload(django_capture_on_commit_callbacks, applicant, enterprise, kind, truth, **links):
    with django_capture_on_commit_callbacks(execute=True):
        document = attach_scan(applicant, enterprise, kind, truth, **links)
    return DocumentReading.objects.get(document=document)


def _statuses(reading):
    return {check["field"]: check["status"] for check in reading.checks}


def test_a_vehicle_licence_whose_plate_differs_is_a_mismatch(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    item = draft.items.get()
    vehicle = item.vehicle
    wrong = vehicle.plate[:-1] + ("7" if vehicle.plate[-1] != "7" else "8")
    truth = {"plate": wrong, "vehicle_type": "重型厢式货车", "owner": enterprise.name}
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.VEHICLE_LICENCE,
        truth,
        request=draft,
        item=item,
    )
    assert reading.status == DocumentReading.Status.READ
    assert reading.outcome == DocumentReading.Outcome.MISMATCH
    assert _statuses(reading) == {"plate": "mismatch", "owner": "match", "vehicle_type": "match"}
    assert reading.checks[0]["field"] == "plate"  # mismatches first
    assert reading.checks[0]["read"] == wrong and reading.checks[0]["filed"] == vehicle.plate
    assert reading.engine_version.startswith("rapidocr ")
    assert reading.seconds > 0 and reading.cpu_seconds > 0
    plate_line = next(line for line in reading.lines if "plate" in line.get("fields", []))
    assert wrong in plate_line["text"] and len(plate_line["box"]) == 4
    event = AuditEvent.objects.get(action="document.machine_read")
    assert event.data["outcome"] == "mismatch" and event.request_id == draft.pk


def test_a_clean_vehicle_licence_is_all_match(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    item = draft.items.get()
    truth = {"plate": item.vehicle.plate, "vehicle_type": "重型货车", "owner": enterprise.name}
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.VEHICLE_LICENCE,
        truth,
        request=draft,
        item=item,
    )
    assert reading.outcome == DocumentReading.Outcome.ALL_MATCH, reading.checks


def test_business_licence_against_the_enterprise(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    # A fixed code: the factory's follows its sequence, which moves as tests are added, and
    # the engine reads most codes on this drawn scan but not every one (91430200J9CJJE28B3
    # comes out unreadable, which the reviewer is shown as such: advisory, never a mismatch).
    enterprise.credit_code = factories.make_credit_code(100)
    enterprise.save(update_fields=["credit_code"])
    truth = {"credit_code": enterprise.credit_code, "enterprise_name": enterprise.name}
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.BUSINESS_LICENCE,
        truth,
        request=draft,
    )
    assert _statuses(reading) == {"credit_code": "match", "enterprise_name": "match"}


def test_driving_licence_of_another_person_is_a_mismatch(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    driver = draft.items.get().drivers.get()
    other = factories.make_id_number(777)
    truth = {"name": driver.name, "id_number": other, "licence_class": "A2"}
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.DRIVING_LICENCE,
        truth,
        request=draft,
        driver=driver,
    )
    assert _statuses(reading) == {"name": "match", "id_number": "mismatch"}
    check = reading.checks[0]
    assert "*" in check["read"] and "*" in check["filed"]  # ID numbers kept masked
    assert reading.fields["licence_class"] == "A2"


def test_nucleic_acid_report_too_old_for_the_pass_type(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    driver = draft.items.get().drivers.get()
    sampled = (timezone.localtime() - datetime.timedelta(hours=60)).replace(second=0, microsecond=0)
    truth = {
        "name": driver.name,
        "id_number": driver.id_number,
        "sampled_at": sampled.isoformat(timespec="minutes"),
        "result": "negative",
    }
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.NUCLEIC_ACID_TEST,
        truth,
        request=draft,
        driver=driver,
        tested_at=sampled,
    )
    statuses = _statuses(reading)
    assert statuses == {
        "name": "match",
        "id_number": "match",
        "sampled_at": "mismatch",
        "result": "match",
    }
    check = next(c for c in reading.checks if c["field"] == "sampled_at")
    assert check["reason"] == "too_old"
    # Said with the limit and what to do, not only "older than the pass type allows".
    with translation.override("en"):
        sentence = describe(check, "Nucleic-acid test report")
    assert "more than 48 hours ago" in sentence and "sampled within 48 hours" in sentence


def test_nucleic_acid_report_whose_time_differs_from_the_filed_one(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    driver = draft.items.get().drivers.get()
    sampled = (timezone.localtime() - datetime.timedelta(hours=5)).replace(second=0, microsecond=0)
    truth = {
        "name": driver.name,
        "id_number": driver.id_number,
        "sampled_at": sampled.isoformat(timespec="minutes"),
        "result": "negative",
    }
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.NUCLEIC_ACID_TEST,
        truth,
        request=draft,
        driver=driver,
        tested_at=sampled - datetime.timedelta(hours=2),
    )
    assert _statuses(reading)["sampled_at"] == "mismatch"
    assert reading.outcome == DocumentReading.Outcome.MISMATCH


def test_commitment_letter_names_the_enterprise(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.COMMITMENT_LETTER,
        {"enterprise_name": enterprise.name},
        request=draft,
    )
    assert reading.outcome == DocumentReading.Outcome.ALL_MATCH


# --- Degraded paths ----------------------------------------------------------------------------


def test_reading_is_not_started_before_the_upload_commits(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = attach_scan(
            applicant,
            enterprise,
            DocumentKind.COMMITMENT_LETTER,
            {"enterprise_name": "x公司"},
            request=draft,
        )
        assert DocumentReading.objects.get(document=document).status == "pending"
    assert callbacks  # the task is only sent on commit


def test_a_blank_scan_is_not_machine_read(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from passes.documents import attach_document

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (246, 243, 232)).save(buffer, "JPEG")
    with django_capture_on_commit_callbacks(execute=True):
        document = attach_document(
            enterprise=enterprise,
            uploaded_file=SimpleUploadedFile("blank.jpg", buffer.getvalue()),
            kind=DocumentKind.OTHER,
            by=applicant,
            request=draft,
        )
    reading = DocumentReading.objects.get(document=document)
    assert (reading.status, reading.reason) == ("not_read", "no_text")
    assert services.effective_status(reading) == ("not_read", "no_text")


def test_an_engine_failure_leaves_the_document_not_machine_read(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise engine.EngineUnavailable("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr(engine, "get_engine", broken)
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.COMMITMENT_LETTER,
        {"enterprise_name": enterprise.name},
        request=draft,
    )
    assert (reading.status, reading.reason) == ("not_read", "unavailable")


def test_a_broker_that_is_down_leaves_the_reading_to_the_sweeper(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks, monkeypatch
):
    from passes.documents.ocr import services as ocr_services

    def down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    with monkeypatch.context() as broker:
        broker.setattr(ocr_services.read_document, "apply_async", down)
        reading = _upload(
            django_capture_on_commit_callbacks,
            applicant,
            enterprise,
            DocumentKind.COMMITMENT_LETTER,
            {"enterprise_name": enterprise.name},
            request=draft,
        )
        assert (reading.status, reading.reason) == ("pending", "queue_unavailable")
        assert reading.retry_at <= timezone.now()  # due at the next sweep
        assert services.sweep_readings() == {"due": 1, "sent": 0, "given_up": 0}
    # The broker is back: the next sweep sends it, and it is read.
    assert services.sweep_readings(now=timezone.now() + datetime.timedelta(minutes=2))["sent"] == 1
    reading.refresh_from_db()
    assert (reading.status, reading.outcome) == ("read", "all_match")
    assert reading.retry_at is None


def test_a_reading_that_never_finishes_shows_as_not_machine_read(
    ocr_on, draft, applicant, enterprise, settings
):
    # No on-commit execution: as if the worker never picked the task up.
    document = attach_scan(
        applicant,
        enterprise,
        DocumentKind.COMMITMENT_LETTER,
        {"enterprise_name": "x公司"},
        request=draft,
    )
    reading = document.reading
    assert services.effective_status(reading) == ("pending", "")
    later = reading.requested_at + datetime.timedelta(
        seconds=settings.PASSDESK_OCR_STALE_AFTER_SECONDS + 1
    )
    assert services.effective_status(reading, now=later) == ("not_read", "stale")


def test_the_task_gives_up_at_its_time_limit(ocr_on, draft, applicant, enterprise, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from passes.documents.ocr.services import read_document

    document = attach_scan(
        applicant,
        enterprise,
        DocumentKind.COMMITMENT_LETTER,
        {"enterprise_name": "x公司"},
        request=draft,
    )

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(engine, "read_file", slow)
    assert read_document(document.pk) == "not_read"
    document.reading.refresh_from_db()
    assert (document.reading.status, document.reading.reason) == ("not_read", "timeout")


def test_with_ocr_off_nothing_is_queued(draft, applicant, enterprise, settings):
    settings.PASSDESK_OCR_ENABLED = False
    document = attach_scan(
        applicant,
        enterprise,
        DocumentKind.COMMITMENT_LETTER,
        {"enterprise_name": "x公司"},
        request=draft,
    )
    assert not DocumentReading.objects.filter(document=document).exists()
    assert services.effective_status(None) == ("not_read", "not_requested")


def test_reread_replaces_the_reading_and_is_audited(
    ocr_on, draft, applicant, enterprise, officer, django_capture_on_commit_callbacks
):
    reading = _upload(
        django_capture_on_commit_callbacks,
        applicant,
        enterprise,
        DocumentKind.COMMITMENT_LETTER,
        {"enterprise_name": enterprise.name},
        request=draft,
    )
    DocumentReading.objects.filter(pk=reading.pk).update(status="not_read", reason="timeout")
    with django_capture_on_commit_callbacks(execute=True):
        services.reread(reading.document, by=officer)
    reading.refresh_from_db()
    assert reading.status == "read" and reading.attempts == 2
    assert AuditEvent.objects.filter(action="document.reread", actor=officer).exists()


def test_the_machine_check_and_the_guard_judge_freshness_alike(
    ocr_on, draft, applicant, enterprise, django_capture_on_commit_callbacks
):
    """Both judge at now with ``PassType.health_proof_problem``. The machine check used to judge
    at the requested start: a 40-hour-old test on a request starting in 20 hours was "too old"
    to it and fresh to the guard, so bulk approval left out what single approval approved."""
    from passes.requests import guards

    driver = draft.items.get().drivers.get()
    now = timezone.now()
    type(draft).objects.filter(pk=draft.pk).update(
        valid_from=now + datetime.timedelta(hours=20), valid_until=now + datetime.timedelta(days=3)
    )
    draft.refresh_from_db()
    readings = {}
    for age in (40, 50):
        sampled = (timezone.localtime() - datetime.timedelta(hours=age)).replace(
            second=0, microsecond=0
        )
        truth = {
            "name": driver.name,
            "id_number": driver.id_number,
            "sampled_at": sampled.isoformat(timespec="minutes"),
            "result": "negative",
        }
        reading = _upload(
            django_capture_on_commit_callbacks,
            applicant,
            enterprise,
            DocumentKind.NUCLEIC_ACID_TEST,
            truth,
            request=draft,
            driver=driver,
            tested_at=sampled,
        )
        readings[age] = next(c for c in reading.checks if c["field"] == "sampled_at")
        # The guard, at the same moment, with the one report of that age.
        stale = guards.stale_health_proofs(draft)
        assert (stale == []) == (readings[age]["status"] == "match"), age
        reading.document.delete()
    assert readings[40]["status"] == "match"
    assert readings[50]["status"] == "mismatch" and readings[50]["reason"] == "too_old"
