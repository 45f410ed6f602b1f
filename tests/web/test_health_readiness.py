"""``/readyz/``: a node is ready when the database, the broker and the file storage answer;
each fault is made by stopping or missing the real service."""

from urllib.parse import urlsplit

import pytest

from config.storage import storage_from_url
from tests import s3_server


@pytest.mark.django_db
def test_ready_with_the_embedded_defaults(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_not_ready_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{s3_server._free_ports(1)[0]}/0"
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["broker"]}


@pytest.mark.s3
@pytest.mark.django_db
def test_ready_with_the_bucket_then_not_when_the_s3_server_stops(client, settings, tmp_path):
    server = s3_server.SeaweedServer(tmp_path / "s3").start()
    try:
        settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(server.url)}
        assert client.get("/readyz/").status_code == 200
    finally:
        server.stop()
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["storage"]}
    assert client.get("/healthz/").status_code == 200  # alive, just not ready


@pytest.mark.s3
@pytest.mark.django_db
def test_not_ready_when_the_bucket_is_missing(client, settings):
    missing_bucket = urlsplit(settings.STORAGE_URL)._replace(path="/no-such-bucket").geturl()
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(missing_bucket)}
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
