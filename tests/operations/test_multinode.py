"""Several nodes, nothing shared on disk: two gunicorn web nodes and two Celery workers, each
with its own empty var folder, against one PostgreSQL, one Redis and one S3 bucket, with the
signing key shared as the documented encrypted secret. Consecutive calls alternate nodes, so
every step only works if what the previous node did is visible to the next one."""

import re
import secrets
import time
import uuid

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone

from bench._cluster import (
    HttpClient,
    WebNode,
    Worker,
    collect_static,
    node_environment,
)
from bench.api import multipart
from config.celery import app as celery_app
from passes.models import Document, Pass, PassPdf
from passes.signing import keys as signing_keys
from tests import factories
from tests import fixtures_files as files
from tests.celery_worker import _test_database_url

PASSWORD = "multi-node-" + secrets.token_hex(6)
PASSPHRASE = "mounted-secret-" + secrets.token_hex(6)


def _files_under(folder):
    return sorted(str(p) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def site(transactional_db, tmp_path, tmp_path_factory, settings):
    """Two web nodes and two workers on the test database, the test's S3 prefix and Redis."""
    # The nodes hash passwords with the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    # The signing key: created once, encrypted with a passphrase, "mounted" on every node.
    secret = tmp_path / "secret"
    settings.PASSDESK_SIGNING_KEY_DIR = secret
    settings.PASSDESK_SIGNING_KEY_PASSPHRASE = PASSPHRASE
    signing_keys.clear_cache()
    key = signing_keys.create_key()
    assert b"ENCRYPTED" in (secret / f"{key.kid}.pem").read_bytes()

    common = {
        "database_url": _test_database_url(),
        "broker_url": settings.CELERY_BROKER_URL,
        "storage_url": settings.STORAGE_URL,
        "secret_key": secrets.token_urlsafe(50),
        "key_secret": secret,
        "passphrase": PASSPHRASE,
        "static_root": collect_static(tmp_path_factory.getbasetemp() / "static"),
    }
    folders = {name: tmp_path / name for name in ("web-a", "web-b", "worker-1", "worker-2")}
    web = [
        WebNode(name, node_environment(folders[name], **common), folders[name])
        for name in ("web-a", "web-b")
    ]
    workers = [
        Worker(name, node_environment(folders[name], **common), folders[name])
        for name in ("worker-1", "worker-2")
    ]
    with celery_app.connection_for_write() as conn:
        celery_app.control.purge(connection=conn)
    was_eager = celery_app.conf.task_always_eager
    try:
        for process in (*web, *workers):
            process.start()
        for node in web:
            node.wait_ready()
        for worker in workers:
            worker.wait_ready(celery_app)
        celery_app.conf.task_always_eager = False
        yield web, workers, folders
    finally:
        celery_app.conf.task_always_eager = was_eager
        for process in (*web, *workers):
            process.stop()
        signing_keys.clear_cache()


def wait_for(condition, processes, message, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    logs = "\n".join(f"--- {p.name}\n{p.log()[-2000:]}" for p in processes)
    pytest.fail(f"{message} did not happen within {timeout}s\n{logs}")


def admin_sign_in(client, port, username):
    token = csrf_token(client, port, "/admin/login/")
    form = f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}&next=/admin/"
    response, _ = client.request(
        port, "POST", "/admin/login/", form, "application/x-www-form-urlencoded"
    )
    assert response.status == 302, "the admin sign-in failed"
    assert "sessionid" in client.cookies


def csrf_token(client, port, path):
    response, page = client.request(port, "GET", path)
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, f"GET {path}: {response.status} {response.headers} {page[:500]!r}"
    return found.group(1).decode()


def qr_token(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    (barcode,) = [b for b in zxingcpp.read_barcodes(image) if "/v/" in b.text]
    return barcode.text


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.s3
def test_the_whole_flow_across_two_web_nodes_and_two_workers(site, tmp_path):
    (node_a, node_b), workers, folders = site
    a, b = node_a.port, node_b.port
    everyone = (node_a, node_b, *workers)

    membership = factories.MembershipFactory()
    applicant, enterprise = membership.user, membership.enterprise
    applicant.set_password(PASSWORD)
    applicant.save()
    reviewer = factories.UserFactory(username="mn-reviewer", is_staff=True, groups=["Officers"])
    reviewer.set_password(PASSWORD)
    reviewer.save()
    inspector = factories.UserFactory(username="mn-inspector", groups=["Inspectors"])
    inspector.set_password(PASSWORD)
    inspector.save()
    pass_type = factories.PassTypeFactory()
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    driver = factories.DriverFactory(enterprise=enterprise)
    checkpoint = factories.CheckpointFactory()

    # Sign in on A, file on B, upload on A.
    portal = HttpClient()
    token = portal.json(a, "POST", "/api/v1/auth/token/", {
        "username": applicant.username, "password": PASSWORD})["token"]  # fmt: skip
    portal.token = token
    start = timezone.now()
    created = portal.json(b, "POST", "/api/v1/requests/", {
        "pass_type": pass_type.pk, "origin": "株洲市荷塘区", "destination": "长沙市雨花区",
        "valid_from": start.isoformat(),
        "valid_until": (start + timezone.timedelta(days=3)).isoformat(),
        "items": [{"vehicle": vehicle.pk, "drivers": [driver.pk]}],
    }, expect=201)  # fmt: skip
    scan = files.pdf_bytes(pages=2)
    body, content_type = multipart({"kind": "commitment_letter"}, "file", "承诺书.pdf", scan)
    body = body.replace(b"Content-Type: image/jpeg", b"Content-Type: application/pdf")
    uploaded = portal.json(
        a, "POST", f"/api/v1/requests/{created['id']}/documents/", body,
        content_type=content_type, expect=201,
    )  # fmt: skip
    document = Document.objects.get(pk=uploaded["id"])
    portal.json(b, "POST", f"/api/v1/requests/{created['id']}/submit/")

    # A worker draws the thumbnail (the web nodes never run tasks themselves).
    wait_for(
        lambda: Document.objects.filter(pk=document.pk).exclude(thumbnail="").exists(),
        everyone,
        "the thumbnail",
    )
    assert any("passes.make_thumbnail" in w.log() for w in workers)

    # The reviewer signs in on A; the review page and the document are served by B.
    staff = HttpClient()
    admin_sign_in(staff, a, reviewer.username)
    review_url = reverse("admin:passes_reviewqueue_change", args=[created["id"]])
    response, page = staff.request(b, "GET", review_url)
    assert response.status == 200
    assert "承诺书.pdf" in page.decode()
    response, served = staff.request(b, "GET", f"/files/documents/{document.pk}/")
    assert (response.status, served) == (200, scan)
    assert response.getheader("Cache-Control").startswith("private")
    response, thumbnail = staff.request(b, "GET", f"/files/documents/{document.pk}/thumbnail/")
    assert response.status == 200 and thumbnail.startswith(b"\xff\xd8")

    # Claim on B, approve on A; a worker renders the PDF; the applicant downloads it from B.
    staff_api = HttpClient(token=staff.json(a, "POST", "/api/v1/auth/token/", {
        "username": reviewer.username, "password": PASSWORD})["token"])  # fmt: skip
    staff_api.json(b, "POST", f"/api/v1/review/{created['id']}/claim/")
    staff_api.json(a, "POST", f"/api/v1/review/{created['id']}/approve/", {})
    issued = Pass.objects.get(request_id=created["id"])
    wait_for(
        lambda: PassPdf.objects.filter(request_id=created["id"]).exists(),
        everyone,
        "the pass PDF",
    )
    assert any("passes.render_request_passes" in w.log() for w in workers)
    response, pdf = portal.request(b, "GET", f"/api/v1/requests/{created['id']}/passes/pdf/")
    assert response.status == 200 and pdf.startswith(b"%PDF")
    code = qr_token(pdf)

    # The inspector scans on A: valid. The officer revokes on A; B sees it at once.
    checker = HttpClient(token=HttpClient().json(b, "POST", "/api/v1/auth/token/", {
        "username": inspector.username, "password": PASSWORD})["token"])  # fmt: skip

    def scan_on(port):
        return checker.json(port, "POST", "/api/v1/scans/", {
            "code": code, "checkpoint": checkpoint.code, "nonce": str(uuid.uuid4()),
            "scanned_at": timezone.now().isoformat()}, expect=201)  # fmt: skip

    time.sleep(max(0.0, (start - timezone.now()).total_seconds() + 0.5))  # the pass is valid
    verdict = scan_on(a)
    assert verdict["verdict"]["code"] == "valid", verdict
    assert verdict["pass"]["number"] == issued.number

    changelist = reverse("admin:passes_pass_changelist")
    form = (
        f"csrfmiddlewaretoken={csrf_token(staff, a, changelist)}&action=revoke_selected"
        f"&_selected_action={issued.pk}&index=0"
    )
    response, _ = staff.request(a, "POST", changelist, form, "application/x-www-form-urlencoded")
    assert response.status == 302  # to the confirmation page, which asks for the reason
    confirm = f"{reverse('admin:passes_pass_revoke')}?ids={issued.pk}"
    form = f"csrfmiddlewaretoken={csrf_token(staff, a, confirm)}&ids={issued.pk}&reason=lost"
    response, _ = staff.request(a, "POST", confirm, form, "application/x-www-form-urlencoded")
    assert response.status == 302
    issued.refresh_from_db()
    assert issued.status == Pass.Status.REVOKED

    verdict = scan_on(b)
    assert verdict["verdict"]["code"] == "revoked", verdict
    feed = checker.json(b, "GET", "/api/v1/revocations/")
    assert issued.number in {entry["number"] for entry in feed["revoked"]}

    # Nothing was shared on disk: no node wrote a file under its own var folder.
    for folder in folders.values():
        assert _files_under(folder / "var") == [], folder
    for client in (portal, staff, staff_api, checker):
        client.close()
