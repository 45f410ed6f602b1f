"""One answer to "is this service away?" behind every 503: a missing file or a refused
credential is no outage; a store, disk, cache or broker that does not answer is."""

import errno

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from passes.health.outages import service_away
from tests import factories, fixtures_files
from tests.api_support import API
from tests.api_support import client_for as api_client_for
from tests.portal_helpers import member


def s3_error(code, status):
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )


def wrapped(error):
    try:
        try:
            raise error
        except Exception as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "service"),
    [
        (OperationalError("server closed the connection"), "database"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "storage"),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), "storage"),
        (s3_error("ServiceUnavailable", 503), "storage"),
        (s3_error("InternalError", 500), "storage"),
        (OSError(errno.EIO, "Input/output error"), "storage"),
        (OSError(errno.ESTALE, "Stale file handle"), "storage"),
        (RedisConnectionError("Connection refused"), "cache"),
        (BrokerError("connection refused"), "broker"),
        (wrapped(EndpointConnectionError(endpoint_url="http://127.0.0.1:9")), "storage"),
        (s3_error("NoSuchKey", 404), None),
        (s3_error("AccessDenied", 403), None),
        (FileNotFoundError(errno.ENOENT, "No such file"), None),
        (PermissionError(errno.EACCES, "Permission denied"), None),
        (ValueError("a bug"), None),
    ],
)
def test_which_service_an_error_says_is_away(error, service):
    assert service_away(error) == service


@pytest.mark.django_db
def test_a_local_disk_that_fails_to_read_is_a_503_and_a_missing_file_a_404(monkeypatch):
    enterprise = factories.EnterpriseFactory()
    applicant = member(enterprise)
    draft = factories.submittable_request(enterprise=enterprise)
    api = api_client_for(applicant)
    created = api.post(
        f"{API}/requests/{draft.pk}/documents/",
        {"file": fixtures_files.upload("a.jpg", fixtures_files.jpeg_bytes()), "kind": "other"},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    portal = Client(HTTP_ACCEPT_LANGUAGE="en")
    portal.force_login(applicant)
    page = f"/files/documents/{created.json()['id']}/"
    assert portal.get(page).status_code == 200

    def failing_open(self, name, mode="rb"):
        raise OSError(errno.EIO, "Input/output error", name)

    monkeypatch.setattr(FileSystemStorage, "open", failing_open)
    away = portal.get(page)
    assert away.status_code == 503 and away["Retry-After"]
    assert "briefly unavailable" in away.content.decode()

    def missing_open(self, name, mode="rb"):
        raise FileNotFoundError(errno.ENOENT, "No such file", name)

    monkeypatch.setattr(FileSystemStorage, "open", missing_open)
    assert portal.get(page).status_code == 404
