"""Stored files in a private S3 bucket (SeaweedFS on loopback): configured from STORAGE_URL or
the AWS_* variables, written and read only through the storage API, served only through the
permission-checked views, never reachable by a bucket URL."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from config.storage import S3_BACKEND, StorageUrlError, describe, storage_from_url
from passes import documents
from passes.documents import attach_document, remove_document
from passes.issuing import rendering
from passes.models import DocumentKind
from passes.operations.backup import stored_names
from tests import factories, s3_server
from tests import fixtures_files as files
from tests.factories.issuing import issued_passes

BASE_DIR = Path(__file__).resolve().parents[2]


# --- Configuration (no server needed) -----------------------------------------------------------


def test_storage_url_names_endpoint_bucket_prefix_and_credentials():
    storage = storage_from_url("s3://AK%2F1:se%40cret@10.0.0.5:8333/passdesk/site-a?region=cn-1")
    options = storage["OPTIONS"]
    assert storage["BACKEND"] == S3_BACKEND
    assert options["endpoint_url"] == "http://10.0.0.5:8333"
    assert (options["bucket_name"], options["location"]) == ("passdesk", "site-a")
    assert (options["access_key"], options["secret_key"]) == ("AK/1", "se@cret")
    assert options["region_name"] == "cn-1"
    # Private: no ACL written, no overwriting, never a public URL handed out.
    assert options["default_acl"] is None
    assert options["file_overwrite"] is False
    assert options["querystring_auth"] is True
    assert "cret" not in describe(storage)


def test_storage_url_with_tls():
    options = storage_from_url("s3+https://k:s@s3.example.org/b")["OPTIONS"]
    assert options["endpoint_url"] == "https://s3.example.org"
    options = storage_from_url("s3://k:s@s3.example.org:9000/b?secure=true")["OPTIONS"]
    assert options["endpoint_url"] == "https://s3.example.org:9000"


@pytest.mark.parametrize("url", ["http://k:s@host/bucket", "s3://k:s@host/", "s3://k:s@host"])
def test_a_wrong_storage_url_is_refused(url):
    with pytest.raises(StorageUrlError):
        storage_from_url(url)


def _settings_in_a_fresh_process(**environment) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_URL"))}
    env.update(environment)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default'], default=str))"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_settings_read_storage_url_aws_variables_or_default_to_the_disk(tmp_path):
    default = _settings_in_a_fresh_process(MEDIA_ROOT=str(tmp_path / "m"))
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert default["OPTIONS"]["location"] == str(tmp_path / "m")

    from_url = _settings_in_a_fresh_process(STORAGE_URL="s3://k:s@127.0.0.1:9/bucket")
    assert from_url["BACKEND"] == S3_BACKEND
    assert from_url["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9"

    from_aws = _settings_in_a_fresh_process(
        AWS_STORAGE_BUCKET_NAME="files",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="k",
        AWS_SECRET_ACCESS_KEY="s",
        AWS_S3_REGION_NAME="cn-1",
        AWS_LOCATION="office",
    )
    assert from_aws["BACKEND"] == S3_BACKEND
    assert from_aws["OPTIONS"]["bucket_name"] == "files"
    assert from_aws["OPTIONS"]["location"] == "office"
    assert from_aws["OPTIONS"]["region_name"] == "cn-1"


# --- Against the S3 server ----------------------------------------------------------------------

PDF = files.pdf_bytes(pages=2)


@pytest.fixture
def draft(applicant):
    item = factories.RequestItemFactory(
        request=factories.PassRequestFactory(enterprise=applicant.membership.enterprise)
    )
    return item.request


@pytest.fixture
def pdf_document(applicant, draft):
    return attach_document(
        enterprise=draft.enterprise,
        uploaded_file=files.upload("营业执照.pdf", PDF),
        kind=DocumentKind.BUSINESS_LICENCE,
        by=applicant,
        request=draft,
    )


def bucket_keys() -> list[str]:
    options = settings.STORAGES["default"]["OPTIONS"]
    listing = s3_server.client(settings.STORAGE_URL).list_objects_v2(
        Bucket=options["bucket_name"], Prefix=options["location"] + "/"
    )
    return sorted(item["Key"] for item in listing.get("Contents", []))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.s3
@pytest.mark.django_db
def test_an_upload_lands_in_the_bucket_and_nowhere_on_disk(pdf_document):
    assert default_storage.__class__.__name__ == "S3Storage"
    location = settings.STORAGES["default"]["OPTIONS"]["location"]
    assert bucket_keys() == [f"{location}/{pdf_document.file.name}"]
    assert stored_names(default_storage) == [pdf_document.file.name]
    assert not Path(settings.MEDIA_ROOT).exists()


@pytest.mark.s3
@pytest.mark.django_db
def test_the_bucket_refuses_anonymous_and_wrongly_signed_reads(pdf_document):
    options = settings.STORAGES["default"]["OPTIONS"]
    key = f"{options['location']}/{pdf_document.file.name}"
    public_url = f"{options['endpoint_url']}/{options['bucket_name']}/{key}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(public_url, timeout=10)  # noqa: S310 - loopback test server
    assert refused.value.code == 403


@pytest.mark.s3
@pytest.mark.django_db
def test_the_view_streams_the_object_with_the_same_headers(client, applicant, pdf_document):
    client.force_login(applicant)
    response = client.get(reverse("passes:document-file", args=[pdf_document.pk]))
    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert "X-Amz" not in str(response.headers) and "Location" not in response
    assert settings.STORAGES["default"]["OPTIONS"]["endpoint_url"] not in str(response.headers)


@pytest.mark.s3
@pytest.mark.django_db
def test_a_stranger_gets_404_for_an_object_in_the_bucket(client, pdf_document):
    client.force_login(factories.MembershipFactory().user)
    response = client.get(reverse("passes:document-file", args=[pdf_document.pk]))
    assert response.status_code == 404


@pytest.mark.s3
@pytest.mark.django_db
def test_pdf_pages_and_thumbnails_render_from_the_bucket(client, applicant, pdf_document):
    assert documents.ensure_thumbnail(pdf_document)
    pdf_document.refresh_from_db()
    assert pdf_document.thumbnail.name in stored_names(default_storage)
    client.force_login(applicant)
    page = client.get(reverse("passes:document-page", args=[pdf_document.pk, 2]))
    assert page.status_code == 200
    assert body(page).startswith(b"\xff\xd8")  # the stored page picture, JPEG
    thumbnail = client.get(reverse("passes:document-thumbnail", args=[pdf_document.pk]))
    assert body(thumbnail).startswith(b"\xff\xd8")  # JPEG


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_removing_a_document_deletes_its_objects(applicant, pdf_document):
    documents.ensure_thumbnail(pdf_document)
    pdf_document.refresh_from_db()
    # The scan, its thumbnail and a picture of each page.
    assert len(bucket_keys()) == 2 + pdf_document.page_count
    remove_document(pdf_document, by=applicant)
    assert bucket_keys() == []


@pytest.mark.s3
@pytest.mark.django_db
def test_a_missing_object_is_a_404_not_a_crash(client, applicant, pdf_document):
    default_storage.delete(pdf_document.file.name)
    client.force_login(applicant)
    response = client.get(reverse("passes:document-file", args=[pdf_document.pk]))
    assert response.status_code == 404


@pytest.mark.s3
@pytest.mark.django_db
def test_pass_pdfs_are_stored_in_and_downloaded_from_the_bucket(client, applicant, enterprise):
    pass_request = factories.submittable_request(vehicles=1, enterprise=enterprise)
    (issued,) = issued_passes(pass_request)
    record = rendering.pass_pdf(issued)
    assert record.file.name in stored_names(default_storage)
    client.force_login(applicant)
    response = client.get(reverse("passes:pass-pdf", args=[issued.number]))
    assert response.status_code == 200
    assert body(response).startswith(b"%PDF")
    assert response["Cache-Control"].startswith("private, no-store")


@pytest.mark.s3
@pytest.mark.django_db
def test_the_setup_step_creates_the_bucket_once(settings):
    from io import StringIO
    from urllib.parse import urlsplit

    from django.core.management import call_command

    name = f"setup-{uuid.uuid4().hex[:10]}"
    url = urlsplit(settings.STORAGE_URL)._replace(path=f"/{name}").geturl()
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(url)}
    output = StringIO()
    call_command("passdesk_storage", "create-bucket", stdout=output)
    call_command("passdesk_storage", "create-bucket", stdout=output)
    assert output.getvalue().splitlines() == [
        f"bucket {name} created (private)",
        f"bucket {name} exists",
    ]
    names = {b["Name"] for b in s3_server.client(url).list_buckets()["Buckets"]}
    assert name in names
