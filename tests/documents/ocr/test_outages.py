"""An outage is no verdict on the scan: a reading whose file the store could not give, or whose
task the broker lost, stays pending and is sent again by the sweeper, waiting longer each time,
until it is read; only after PASSDESK_OCR_GIVE_UP_SECONDS is it "not machine-read", saying
why. The reviewer never sees "unreadable" for a file nobody could fetch."""

import datetime
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation

from passes.documents.ocr import services
from passes.documents.ocr.presenting import summarize
from passes.models import Document, DocumentKind, DocumentReading
from tests import factories
from tests.ocr_helpers import attach_scan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The messages are checked in their English source wording (the code's language; the
    site's default is zh-hans)."""
    with translation.override("en"):
        yield


@pytest.fixture
def ocr_on(settings):
    settings.PASSDESK_OCR_ENABLED = True


def store_away():
    """Every stored file fails to open, as when the object store does not answer."""

    def away(self, mode="rb"):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    return mock.patch.object(FieldFile, "open", away)


def letter(applicant, enterprise, capture, *, execute=True):
    draft = factories.PassRequestFactory(enterprise=enterprise)
    with capture(execute=execute):
        return attach_scan(
            applicant,
            enterprise,
            DocumentKind.COMMITMENT_LETTER,
            {"enterprise_name": enterprise.name},
            request=draft,
        )


def reading_of(document):
    return DocumentReading.objects.get(document=document)


def shown(document):
    return summarize(Document.objects.select_related("reading").get(pk=document.pk))


def test_a_file_the_store_cannot_give_waits_and_is_read_once_the_store_is_back(
    ocr_on, applicant, enterprise, django_capture_on_commit_callbacks
):
    with store_away():
        document = letter(applicant, enterprise, django_capture_on_commit_callbacks)
    reading = reading_of(document)
    assert (reading.status, reading.reason, reading.attempts) == (
        "pending",
        "storage_unavailable",
        1,
    )
    assert 50 < (reading.retry_at - timezone.now()).total_seconds() <= 60
    summary = shown(document)
    assert summary.status == "pending" and "file store" in str(summary.label)
    # An hour on it is still shown as waiting, not "did not finish in time": it is retried.
    later = timezone.now() + datetime.timedelta(hours=1)
    assert services.effective_status(reading, now=later) == ("pending", "storage_unavailable")
    assert services.sweep_readings()["due"] == 0  # not due yet

    # The store is back; the sweep after the wait sends it, and it is read.
    result = services.sweep_readings(now=reading.retry_at + datetime.timedelta(seconds=1))
    assert result == {"due": 1, "sent": 1, "given_up": 0}
    reading.refresh_from_db()
    assert (reading.status, reading.outcome, reading.attempts) == ("read", "all_match", 2)
    assert reading.retry_at is None
    # Another sweep, or a duplicate task message, leaves the finished reading alone.
    assert services.sweep_readings(now=later)["due"] == 0
    assert services.read_now(document.pk).read_at == reading.read_at


def test_the_waits_double_and_the_reading_gives_up_saying_why(
    ocr_on, applicant, enterprise, django_capture_on_commit_callbacks, settings
):
    with store_away():
        document = letter(applicant, enterprise, django_capture_on_commit_callbacks)
        reading = reading_of(document)
        waits = []
        for waited in (120, 240, 480, 960):  # the reading was asked for that long ago
            asked = timezone.now() - datetime.timedelta(seconds=waited)
            DocumentReading.objects.filter(pk=reading.pk).update(
                requested_at=asked, retry_at=timezone.now()
            )
            assert services.sweep_readings()["sent"] == 1
            reading.refresh_from_db()
            assert reading.status == "pending"
            waits.append(round((reading.retry_at - timezone.now()).total_seconds(), -1))
        assert waits == [120, 240, 480, services.RETRY_CAP_SECONDS]
        assert reading.attempts == 5

        too_long = settings.PASSDESK_OCR_GIVE_UP_SECONDS + 1
        DocumentReading.objects.filter(pk=reading.pk).update(
            requested_at=timezone.now() - datetime.timedelta(seconds=too_long),
            retry_at=timezone.now(),
        )
        assert services.sweep_readings()["given_up"] == 1
    reading.refresh_from_db()
    assert (reading.status, reading.reason) == ("not_read", "file_unavailable")
    label = str(shown(document).label)
    assert "could not be fetched" in label and "opened" not in label  # never "unreadable"


def test_a_reading_whose_task_was_lost_is_sent_again_after_the_grace(
    ocr_on, applicant, enterprise, django_capture_on_commit_callbacks, settings
):
    # The task never reached a worker (a broker restarted without persistence).
    document = letter(applicant, enterprise, django_capture_on_commit_callbacks, execute=False)
    reading = reading_of(document)
    assert reading.status == "pending"
    assert services.sweep_readings()["due"] == 0  # it may still be in the queue
    grace = datetime.timedelta(seconds=settings.PASSDESK_OCR_STALE_AFTER_SECONDS + 1)
    assert services.sweep_readings(now=timezone.now() + grace)["sent"] == 1
    reading.refresh_from_db()
    assert (reading.status, reading.outcome) == ("read", "all_match")


def test_a_lost_reading_that_never_reaches_a_worker_is_given_up_as_stale(
    ocr_on, applicant, enterprise, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from passes.documents.ocr import services as ocr_services

    document = letter(applicant, enterprise, django_capture_on_commit_callbacks, execute=False)
    monkeypatch.setattr(ocr_services.read_document, "apply_async", lambda *a, **k: None)  # lost
    reading = reading_of(document)
    moments = [timezone.now() + datetime.timedelta(minutes=m) for m in range(6, 400, 6)]
    sent = sum(services.sweep_readings(now=moment)["sent"] for moment in moments)
    assert 5 <= sent <= 45  # waits that grow, not one send a sweep (66 sweeps)
    reading.refresh_from_db()
    assert (reading.status, reading.reason) == ("not_read", "stale")
