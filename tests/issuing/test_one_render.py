"""One render per PDF: downloads that arrive while a request is being approved, and while its
PDF is being drawn, wait for that one file instead of drawing copies (PostgreSQL row locks)."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from passes.issuing import rendering
from passes.models import PassPdf
from passes.requests import workflow
from passes.signing import keys as signing_keys
from tests import factories
from tests.factories.issuing import member_of, staff

DOWNLOADERS = 6


@pytest.fixture
def counted_renders(monkeypatch):
    """Counts every PDF drawn, and makes drawing slow enough for downloads to pile up."""
    renders = []
    real_render = rendering._render

    def render(passes, signer):
        renders.append(threading.get_ident())
        time.sleep(0.3)
        return real_render(passes, signer)

    monkeypatch.setattr(rendering, "_render", render)
    return renders


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_downloads_during_approval_render_once(counted_renders):
    signing_keys.create_key()  # committed: every thread signs with it
    pass_request = factories.submittable_request(vehicles=2)
    applicant = member_of(pass_request.enterprise, "one-render-applicant")
    reviewer = staff("one-render-reviewer", "Reviewers")
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    url = reverse("passes:request-passes-pdf", args=[pass_request.pk])
    clients = []
    for _ in range(DOWNLOADERS):
        client = Client()
        client.force_login(applicant)
        clients.append(client)

    bodies, statuses, errors = [], [], []
    start = threading.Barrier(DOWNLOADERS + 1)

    def download(client):
        try:
            start.wait(timeout=30)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                response = client.get(url)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    bodies.append(b"".join(response.streaming_content))
                    return
                time.sleep(0.01)  # 404 until the approval commits
        except BaseException as error:  # noqa: BLE001 - asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=download, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    time.sleep(0.05)  # the downloads are polling: approve in the middle of them
    workflow.approve(pass_request, by=reviewer)  # eager Celery renders after the commit too
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert set(statuses) <= {200, 404}
    assert len(bodies) == DOWNLOADERS
    assert len(set(bodies)) == 1  # every download got the same file
    assert len(counted_renders) == 1, f"{len(counted_renders)} renders of one PDF"
    record = PassPdf.objects.get(request=pass_request, pass_obj__isnull=True)
    with record.file.open("rb") as handle:
        assert handle.read() == bodies[0]
