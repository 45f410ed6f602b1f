"""The object store goes away (its SeaweedFS server stopped) under the web process: uploads and
downloads answer a translated 503 with Retry-After, in the API's, the portal's and the page's
shape, instead of a 500; nothing half-stored is left behind, and once the server is back every
file is there and every request succeeds again."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from config.storage import storage_from_url
from passes.issuing import rendering
from passes.models import Document
from tests import factories, fixtures_files, s3_server
from tests.api_support import API
from tests.api_support import client_for as api_client_for
from tests.factories.issuing import issued_passes
from tests.portal_helpers import member

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


@pytest.fixture(scope="module")
def own_s3_server(tmp_path_factory):
    """A SeaweedFS server of this module's own, which the test may stop: never the shared one
    the other tests store their files in."""
    server = s3_server.SeaweedServer(tmp_path_factory.mktemp("s3-outage")).start()
    yield server
    server.stop()


@pytest.fixture
def store(own_s3_server, settings):
    url = s3_server.with_prefix(own_s3_server.url, s3_server.unique_prefix())
    settings.STORAGE_URL = url
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(url)}
    yield own_s3_server
    if own_s3_server.process.poll() is not None:  # a failed test left it stopped
        own_s3_server.start()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def upload_through_api(api, pass_request, name, width):
    return api.post(
        f"{API}/requests/{pass_request.pk}/documents/",
        {
            "file": fixtures_files.upload(name, fixtures_files.jpeg_bytes(width)),
            "kind": "commitment_letter",
        },
        format="multipart",
    )


def upload_through_portal(portal, pass_request, name, width):
    return portal.post(
        reverse("passes:request-upload", args=[pass_request.pk]),
        {
            "kind": "other",
            "target": "request",
            "file": fixtures_files.upload(name, fixtures_files.jpeg_bytes(width), "image/jpeg"),
        },
        HTTP_ACCEPT="application/json",
    )


def assert_unavailable(response):
    assert response.status_code == 503, (response.status_code, body(response)[:300])
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"


def test_an_object_store_outage_is_a_503_that_heals_and_loses_nothing(store):
    enterprise = factories.EnterpriseFactory()
    applicant = member(enterprise)
    draft = factories.submittable_request(enterprise=enterprise)
    approved = factories.submittable_request(vehicles=1, enterprise=enterprise)
    (issued,) = issued_passes(approved)
    stored_pdf = rendering.pass_pdf(issued)
    api = api_client_for(applicant)
    portal = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    portal.force_login(applicant)
    first = upload_through_api(api, draft, "letter.jpg", 330)
    assert first.status_code == 201, first.content
    document = Document.objects.get(pk=first.json()["id"])
    scan = body(portal.get(f"/files/documents/{document.pk}/"))
    documents_before = Document.objects.count()

    store.stop()
    started = time.monotonic()
    down = {
        "api upload": upload_through_api(api, draft, "second.jpg", 340),
        "portal upload": upload_through_portal(portal, draft, "third.jpg", 350),
        "scan": portal.get(f"/files/documents/{document.pk}/"),
        "pass pdf": portal.get(reverse("passes:pass-pdf", args=[issued.number])),
        "api pass pdf": api.get(f"{API}/passes/{issued.number}/pdf/"),
    }
    seconds_per_request = (time.monotonic() - started) / len(down)
    for response in down.values():
        assert_unavailable(response)
    assert down["api upload"].json()["error"]["code"] == "service_unavailable"
    assert down["api pass pdf"].json()["error"]["code"] == "service_unavailable"
    portal_answer = down["portal upload"].json()
    assert (portal_answer["ok"], portal_answer["code"]) == (False, "service_unavailable")
    assert "服务暂时不可用" in portal_answer["message"]
    assert "服务暂时不可用" in down["scan"].content.decode()
    assert seconds_per_request < 15  # the store's timeouts, not a hung web worker
    assert Document.objects.count() == documents_before  # no row without its file

    store.start()  # the same ports and data: the store is back
    # Its volume server registers a moment after the S3 gateway answers: until then a read may
    # still be a 503 (with Retry-After), as a client retrying would see.
    deadline = time.monotonic() + 60
    while (again := portal.get(f"/files/documents/{document.pk}/")).status_code == 503:
        assert time.monotonic() < deadline, "the store did not come back"
        time.sleep(0.5)
    assert body(again) == scan
    pdf = portal.get(reverse("passes:pass-pdf", args=[issued.number]))
    assert pdf.status_code == 200 and body(pdf).startswith(b"%PDF")
    assert stored_pdf.file.storage.exists(stored_pdf.file.name)
    again = upload_through_api(api, draft, "second.jpg", 340)
    assert again.status_code == 201, again.content
    assert upload_through_portal(portal, draft, "third.jpg", 350).status_code == 201
