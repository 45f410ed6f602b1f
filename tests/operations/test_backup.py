"""Nothing lost: a site backed up (pg_dump + every object in the bucket) is restored into a
fresh database and a fresh bucket, where every document opens, every pass PDF downloads and
every pass token printed on them still verifies; a missing object is reported, not hidden."""

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from passes import documents
from passes.documents import attach_document
from passes.issuing import rendering
from passes.models import DocumentKind
from passes.requests import workflow
from tests import clock, factories, s3_server
from tests import fixtures_files as files
from tests.celery_worker import _test_database_url

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_database():
    """An empty database on the same server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin_url = _test_database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _test_database_url().rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_bucket():
    parts = urlsplit(settings.STORAGE_URL)
    url = parts._replace(path=f"/restore-{uuid.uuid4().hex[:12]}").geturl()
    s3_server.ensure_bucket(url)
    return url


def manage(*args, env):
    environment = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        clock.shifted_command("manage.py", *args),
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def a_site(applicant, reviewer):
    """Two approved requests with scans, thumbnails and rendered pass PDFs."""
    for vehicles in (1, 2):
        pass_request = factories.submittable_request(
            vehicles=vehicles, enterprise=applicant.membership.enterprise
        )
        for name, data in (("letter.pdf", files.pdf_bytes(pages=2)), ("p.jpg", files.jpeg_bytes())):
            document = attach_document(
                enterprise=pass_request.enterprise,
                uploaded_file=files.upload(name, data),
                kind=DocumentKind.OTHER,
                by=applicant,
                request=pass_request,
            )
            documents.ensure_thumbnail(document)
        workflow.submit(pass_request, by=applicant)
        workflow.claim(pass_request, by=reviewer)
        for issued in workflow.approve(pass_request, by=reviewer):
            rendering.pass_pdf(issued)
        rendering.render_request_passes(pass_request.pk)


@pytest.mark.postgres
@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database_and_bucket(
    applicant, reviewer, tmp_path, fresh_database, fresh_bucket
):
    a_site(applicant, reviewer)
    folder = tmp_path / "backup"
    call_command("passdesk_backup", "backup", str(folder))
    assert (folder / "database.dump").stat().st_size > 0
    assert len(list((folder / "files").rglob("*.*"))) >= 8

    restored = {
        "DATABASE_URL": fresh_database,
        "STORAGE_URL": fresh_bucket,
        "PASSDESK_SIGNING_KEY_DIR": str(settings.PASSDESK_SIGNING_KEY_DIR),
        "PASSDESK_SIGNING_AUTO_CREATE": "false",
        "PASSDESK_VAR_DIR": str(tmp_path / "var"),
    }
    result = manage("passdesk_backup", "restore", str(folder), env=restored)
    assert result.returncode == 0, result.stderr
    checked = manage("passdesk_backup", "check", env=restored)
    assert checked.returncode == 0, checked.stderr
    # 4 scans; 3 single-pass PDFs + 2 combined request PDFs carrying 3 + 3 QR codes.
    assert "ok: 4 documents open" in checked.stdout, checked.stdout
    assert "6 pass tokens verify" in checked.stdout, checked.stdout

    # Restoring twice into the same bucket is refused rather than mixed.
    again = manage("passdesk_backup", "restore", str(folder), env=restored)
    assert again.returncode != 0 and "not empty" in again.stderr

    # A lost object in the restored bucket is found by the check.
    client = s3_server.client(fresh_bucket)
    bucket = urlsplit(fresh_bucket).path.strip("/")
    key = next(
        item["Key"]
        for item in client.list_objects_v2(Bucket=bucket)["Contents"]
        if item["Key"].startswith("documents/") and "thumb" not in item["Key"]
    )
    client.delete_object(Bucket=bucket, Key=key)
    broken = manage("passdesk_backup", "check", env=restored)
    assert broken.returncode != 0
    assert "document" in broken.stderr
