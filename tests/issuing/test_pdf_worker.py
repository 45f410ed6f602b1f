"""Approval -> Redis -> a real Celery worker renders the request's PDF (PostgreSQL + Redis)."""

import pytest
from django.conf import settings

from passes.models import PassPdf
from passes.signing import keys as signing_keys
from passes.signing import tokens as signing
from tests import factories
from tests.factories.issuing import issued_passes


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_renders_the_pdf_after_approval(start_celery_worker):
    key = signing_keys.create_key()  # committed: the worker reads it from the database
    pass_request = factories.submittable_request(vehicles=3)
    env = {
        "PASSDESK_SIGNING_KEY_DIR": str(settings.PASSDESK_SIGNING_KEY_DIR),
        "PASSDESK_SIGNING_AUTO_CREATE": "false",
    }
    with start_celery_worker(env=env) as worker:
        passes = issued_passes(pass_request)
        worker.wait_for(
            lambda: PassPdf.objects.filter(request=pass_request, pass_obj__isnull=True).exists(),
            timeout=90,
            message="the worker did not render the PDF",
        )
        worker.wait_for(
            lambda: "passes.render_request_passes[" in worker.log(),
            timeout=30,
            message="the task did not go through the worker",
        )
    record = PassPdf.objects.get(request=pass_request, pass_obj__isnull=True)
    assert record.page_count == len(passes) == 3
    with record.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # Signed with the key this process created, not one the worker made up.
    token = signing_keys.sign_pass(passes[0])
    assert signing.verify_token(token, signing_keys.server_keyring()).kid == key.kid
