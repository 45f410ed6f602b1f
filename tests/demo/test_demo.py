"""``python manage.py demo --no-serve``: seeds the story through the real services, prints the
logins, and running it twice creates nothing twice."""

import datetime
import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command

from passes import validators
from passes.demo import data as demo_data
from passes.demo import scans as demo_scans
from passes.models import AuditEvent, Document, Enterprise, Pass, PassRequest, SigningKey
from passes.signing import trust
from passes.trust import publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_scans(monkeypatch):
    """The same scans, drawn smaller: the test runs on a shared machine."""
    monkeypatch.setattr(demo_scans, "SCAN_SIZE", (400, 280))
    monkeypatch.setattr(demo_scans, "DOCUMENT_SIZE", (330, 468))


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", "--port", "8123", stdout=out)
    return out.getvalue()


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"passes", "auth"}
    }


def test_demo_seeds_the_story_once_and_prints_the_logins(client):
    first_output = run_demo()
    after_first = counts()
    second_output = run_demo()

    assert counts() == after_first, "the second run created or deleted records"
    assert "passdesk demo ready: 6 enterprises, 20 requests, 15 passes." in second_output
    # The first line is the demo's own, not a log line; QR codes point at this port.
    assert first_output.splitlines()[0].startswith("passdesk demo on http://127.0.0.1:8123")
    for username in ("applicant", "reviewer", "officer", "inspector", "admin"):
        assert f" {username} " in first_output
    assert demo_data.DEMO_PASSWORD in first_output
    assert "http://127.0.0.1:8123/admin/" in first_output

    # Every state of the flow is represented.
    assert set(PassRequest.objects.values_list("status", flat=True)) == set(
        PassRequest.Status.values
    )
    # The printed logins work, each for what the role does.
    assert client.login(username="applicant", password=demo_data.DEMO_PASSWORD)
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 302  # an applicant is not staff
    client.logout()
    assert client.login(username="reviewer", password=demo_data.DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_a_fresh_demo_publishes_its_signed_trust_list(client, settings):
    """No ``passdesk_keys trust-create`` by hand: the list verifies with the fingerprint the
    demo prints, lists the key that signed the demo's passes, and a second run keeps the key."""
    first_output = run_demo()
    printed = re.search(r"key fingerprint \(for peers\): ([0-9a-f ]{79})$", first_output, re.M)
    fingerprint = printed.group(1).replace(" ", "")
    trust_key = (settings.PASSDESK_SIGNING_KEY_DIR / publish.TRUST_KEY_FILE).read_bytes()

    response = client.get("/api/v1/trust/")
    assert response.status_code == 200
    listed = trust.verify_trust_list(response.json(), pinned=fingerprint)
    signer = SigningKey.objects.get()
    assert [key.kid for key in listed.offices[0].keys] == [signer.kid]

    second_output = run_demo()
    assert printed.group(0) in second_output
    assert (settings.PASSDESK_SIGNING_KEY_DIR / publish.TRUST_KEY_FILE).read_bytes() == trust_key
    assert SigningKey.objects.get() == signer


def test_demo_data_is_valid_and_went_through_the_workflow():
    run_demo()

    main = Enterprise.objects.get(name="株洲好媳妇家居用品有限公司")
    assert main.is_verified and main.is_key_enterprise
    assert Enterprise.objects.get(credit_code="91430203MA4QF8L07F").verification_status == (
        "pending"
    )
    assert Enterprise.objects.get(credit_code="91430204MA4M5B9G34").verification_status == (
        "suspended"
    )
    for enterprise in Enterprise.objects.all():
        validators.validate_credit_code(enterprise.credit_code)
        for driver in enterprise.drivers.all():
            validators.validate_id_number(driver.id_number)
        for vehicle in enterprise.vehicles.all():
            validators.validate_plate(vehicle.plate)
            assert vehicle.plate.startswith("湘B")

    approved = PassRequest.objects.get(reference="SQ20221126-HXF001")
    assert approved.status == "approved"
    steps = approved.audit_events.filter(action__startswith="request.")
    assert list(steps.values_list("action", flat=True)) == [
        "request.create",
        "request.submit",
        "request.claim",
        "request.approve",
    ]
    assert approved.passes.count() == 2
    numbers = sorted(Pass.objects.values_list("number", flat=True))
    assert numbers == [f"430200{serial:06d}" for serial in range(1, 16)]

    returned = PassRequest.objects.get(reference="SQ20221126-XY0003")
    assert returned.status == "returned" and "核酸检测报告" in returned.decision_reason
    rejected = PassRequest.objects.get(reference="SQ20221126-SF0001")
    assert rejected.status == "rejected" and rejected.decision_reason
    revoked = Pass.objects.get(status="revoked")
    assert revoked.plate == "湘B81273" and revoked.revocation_reason
    assert AuditEvent.objects.filter(action="pass.revoke", pass_obj=revoked).exists()

    # Scanned materials were attached through the document service (sniffed, hashed).
    assert Document.objects.filter(request=approved).exists()
    for document in Document.objects.all():
        assert document.content_type in {"image/jpeg", "application/pdf"}
        assert len(document.sha256) == 64 and document.size > 0
        assert document.file.storage.exists(document.file.name)
    assert AuditEvent.objects.filter(action="document.upload").count() == Document.objects.count()


def test_demo_spreads_the_story_over_the_last_30_days(settings):
    from django.utils import timezone

    from passes.models import ReturnReasonTemplate, ScanEvent
    from passes.reporting import dashboard

    run_demo()
    assert settings.PASSDESK_PUBLIC_BASE_URL == "http://127.0.0.1:8123"
    now = timezone.now()
    decided = PassRequest.objects.filter(decided_at__isnull=False)
    oldest = min(decided.values_list("decided_at", flat=True))
    assert 25 <= (now - oldest).days <= 30
    figures = dashboard.figures()
    assert sum(1 for _day, count in figures.issued_per_day if count) >= 8  # spread over days
    # Overdue requests for the SLA highlighting, expired and revoked passes.
    target = datetime.timedelta(hours=settings.PASSDESK_REVIEW_TARGET_HOURS)
    waiting = PassRequest.objects.filter(status__in=PassRequest.QUEUE_STATUSES)
    assert waiting.filter(submitted_at__lt=now - target).count() >= 2
    assert Pass.objects.filter(status=Pass.Status.EXPIRED).exists()
    assert Pass.objects.filter(status=Pass.Status.REVOKED).exists()
    # Renewals: one approved (its new pass starts when the old one ends), one waiting, clean.
    renewals = PassRequest.objects.filter(items__renews__isnull=False)
    assert set(renewals.values_list("status", flat=True)) == {"approved", "submitted"}
    approved = renewals.get(status="approved")
    item = approved.items.get()
    assert approved.passes.get().valid_from == item.renews.valid_until
    assert ReturnReasonTemplate.objects.filter(is_active=True).count() >= 3
    verdicts = set(ScanEvent.objects.values_list("verdict", flat=True))
    assert {"valid", "expired", "revoked", "unknown"} <= verdicts
